"""The AsyncAPI 3.0 document of the Kafka channels and their message payloads."""

from __future__ import annotations

from typing import Any

from gateway.topics import Topics
from schemas.jsonschema import generate_json_schema
from schemas.registry import SPECS

_SIGNATURE_HEADERS = {
    "type": "object",
    "properties": {
        "sw-sender": {"type": "string", "description": "The sending party's ID."},
        "sw-created": {"type": "string", "description": "Unix time in seconds when signed."},
        "sw-nonce": {"type": "string", "description": "Single-use random value."},
        "sw-signature": {
            "type": "string",
            "description": "Base64 Ed25519 signature of 'sw-sig-v1\\nKAFKA\\ningress\\n<sender>\\n<created>\\n"
            "<nonce>\\n<sha256 hex of the value>'.",
        },
        "sw-message-id": {"type": "string", "description": "Optional: what a receipt refers to if undecodable."},
    },
    "required": ["sw-sender", "sw-created", "sw-nonce", "sw-signature"],
}
_EVENT_KEYS = (
    "event", "ts", "sender", "receivers", "message_id", "message_type", "correlation_id", "codes", "channel",
    "receipt_id",
)  # fmt: skip
_ROUTED_HEADERS = {
    "type": "object",
    "properties": {
        k: {"type": "string"}
        for k in (
            "sw-sender",
            "sw-message-id",
            "sw-message-type",
            "sw-format",
            "sw-correlation-id",
            "sw-reference-id",
            "sw-receipt-status",
        )
    },
    "description": "sw-reference-id and sw-receipt-status (delivered or rejected) are set on receipts only.",
}


def asyncapi_document(topics: Topics, parties: list[str]) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for code, spec in SPECS.items():
        messages[code.value] = {
            "name": code.value,
            "title": spec.info.title,
            "contentType": "application/json",
            "summary": f"{spec.info.title} (also as XML, namespace {spec.namespace}, root {spec.root}).",
            "payload": generate_json_schema(spec),
        }
    inbox_channels = {
        f"inbox_{p}": {
            "address": topics.inbox(p),
            "description": f"Messages and receipts delivered to party {p}.",
            "messages": {c: {"$ref": f"#/components/messages/{c}"} for c in messages},
        }
        for p in parties
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "swsim single window (simulated)",
            "version": "1.0.0",
            "description": "Kafka channels of the simulated Sichuan-Chongqing single window. Parties publish "
            "signed messages to the ingress channel; the gateway validates, authorizes, de-duplicates, records "
            "and routes them to inbox channels, and answers each with an MT9999 receipt.",
        },
        "defaultContentType": "application/json",
        "channels": {
            "ingress": {
                "address": topics.ingress,
                "description": "Every party publishes here; key = consignment/document reference (ordering).",
                "messages": {c: {"$ref": f"#/components/messages/{c}"} for c in messages},
            },
            **inbox_channels,
            "deadletter": {
                "address": topics.deadletter,
                "description": "Refused messages with their errors (JSON envelope, every part bounded: `body` is the "
                "start of the body as text, `body_bytes` and `body_sha256` describe the whole body, which "
                "GET /v1/deadletters gives in full; `errors` holds the first 100 of `errors_total`).",
                "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            },
            "events": {
                "address": topics.events,
                "description": "Everything the gateway did (delivered, duplicate, rejected): each record is a JSON "
                "array of the events of one processed batch.",
                "messages": {"GatewayEvent": {"$ref": "#/components/messages/GatewayEvent"}},
            },
        },
        "operations": {
            "publish": {
                "action": "send",
                "channel": {"$ref": "#/channels/ingress"},
                "messages": [{"$ref": f"#/channels/ingress/messages/{c}"} for c in messages],
            },
        },
        "components": {
            "messages": {
                **{k: {**v, "headers": _SIGNATURE_HEADERS} for k, v in messages.items()},
                "DeadLetter": {
                    "payload": {
                        "type": "object",
                        "properties": {
                            k: {}
                            for k in (
                                "deadletter_id",
                                "sender",
                                "message_id",
                                "codes",
                                "errors",
                                "channel",
                                "received_at",
                                "headers",
                                "body",
                                "body_bytes",
                                "body_sha256",
                                "body_truncated",
                                "errors_total",
                            )
                        },
                    }
                },
                "GatewayEvent": {
                    "payload": {
                        "type": "array",
                        "items": {"type": "object", "properties": {k: {} for k in _EVENT_KEYS}},
                    }
                },
            },
            "messageTraits": {"routed": {"headers": _ROUTED_HEADERS}},
        },
    }
