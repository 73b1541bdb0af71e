"""The AsyncAPI 3.0 document of the Kafka channels and their message payloads.

Every message type appears twice among the components: as a party publishes it to the ingress (signed: the
``sw-created``, ``sw-nonce`` and ``sw-signature`` headers) and as the gateway delivers it to an inbox (the routing
headers it sets). Both share one payload, the type's JSON Schema."""

from __future__ import annotations

from typing import Any

from gateway.topics import Topics
from schemas.jsonschema import generate_json_schema
from schemas.registry import SPECS
from swsim.network import GATEWAY_ID

_TEXT = {"type": "string"}

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

_ROUTED_HEADERS = {
    "type": "object",
    "properties": {
        "sw-sender": {"type": "string", "description": "Who sent it (SWGW for the gateway's receipts)."},
        "sw-message-id": {"type": "string", "description": "Its MessageID."},
        "sw-message-type": {"type": "string", "description": "Its message type code (MT9999 for a receipt)."},
        "sw-format": {"type": "string", "enum": ["json", "xml"]},
        "sw-correlation-id": {"type": "string", "description": "Its CorrelationID, when it has one."},
        "sw-reference-id": {"type": "string", "description": "Receipts only: the MessageID the receipt answers."},
        "sw-receipt-status": {"type": "string", "enum": ["delivered", "rejected"], "description": "Receipts only."},
    },
    "required": ["sw-sender", "sw-message-id", "sw-message-type", "sw-format"],
}

_ISSUE = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "A stable error code (README: Validation and errors)."},
        "message": {"type": "string", "description": "What to fix."},
        "location": {"type": "string", "description": "An XPath (XML) or JSON pointer (JSON)."},
        "line": {"type": "integer", "description": "XML only: the line."},
    },
    "required": ["code", "message", "location"],
}

_DEADLETTER = {
    "type": "object",
    "properties": {
        "deadletter_id": {"type": "integer", "description": "Its id in GET /v1/deadletters."},
        "sender": {"type": ["string", "null"], "description": "The sender, authenticated or only claimed."},
        "message_id": {"type": ["string", "null"]},
        "codes": {"type": "array", "items": _TEXT, "description": "Every error code, sorted, once each."},
        "errors": {"type": "array", "items": _ISSUE, "description": "The first 100 errors."},
        "errors_total": {"type": "integer"},
        "channel": {"type": "string", "enum": ["kafka", "http", "redrive"]},
        "received_at": {"type": "number", "description": "Unix time in seconds."},
        "headers": {"type": "object", "additionalProperties": _TEXT, "description": "The record's headers."},
        "body": {"type": "string", "description": "The start of the body as text (invalid UTF-8 replaced)."},
        "body_bytes": {"type": "integer", "description": "The whole body's size."},
        "body_sha256": {"type": "string", "description": "SHA-256 (hex) of the whole body."},
        "body_truncated": {"type": "boolean"},
    },
    "required": ["deadletter_id", "codes", "errors", "errors_total", "channel", "received_at", "body"],
}

_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["delivered", "duplicate", "rejected"]},
        "ts": {"type": "number", "description": "Unix time in seconds."},
        "sender": {"type": ["string", "null"]},
        "receivers": {"type": "array", "items": _TEXT},
        "message_id": {"type": ["string", "null"]},
        "message_type": {"type": ["string", "null"]},
        "correlation_id": {"type": ["string", "null"]},
        "codes": {"type": "array", "items": _TEXT, "description": "Why it was rejected (empty otherwise)."},
        "channel": {"type": "string", "enum": ["kafka", "http", "redrive"]},
        "receipt_id": {
            "type": ["string", "null"],
            "description": "The receipt sent (none to an unauthenticated sender).",
        },
    },
    "required": ["event", "ts", "receivers", "codes", "channel"],
}


def _inbox(code: str) -> str:
    return f"{code}.delivered"


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
    receivers = [p for p in parties if p != GATEWAY_ID]  # the gateway has no inbox: nothing is addressed to it
    inbox_channels = {
        f"inbox_{p}": {
            "address": topics.inbox(p),
            "description": f"Messages and receipts delivered to party {p}, with the gateway's routing headers.",
            "messages": {_inbox(c): {"$ref": f"#/components/messages/{_inbox(c)}"} for c in messages},
        }
        for p in receivers
    }
    receive = {
        f"receive_{p}": {
            "action": "receive",
            "channel": {"$ref": f"#/channels/inbox_{p}"},
            "summary": f"Party {p} reads what is addressed to it, and the receipts of what it sent.",
        }
        for p in receivers
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "swsim single window (simulated)",
            "version": "1.1.0",
            "description": "Kafka channels of the simulated Sichuan-Chongqing single window. Parties publish "
            "signed messages to the ingress channel; the gateway validates, authorizes, de-duplicates, records "
            "and routes them to inbox channels, and answers each with an MT9999 receipt. Operations are a party's.",
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
                "messages": {"GatewayEvents": {"$ref": "#/components/messages/GatewayEvents"}},
            },
            "generation": {
                "address": topics.generation,
                "description": "One record: the broker's generation, a random id written when the gateway finds the "
                "topic empty (a broker that lost everything; README: When the broker loses everything).",
                "messages": {"Generation": {"$ref": "#/components/messages/Generation"}},
            },
        },
        "operations": {
            "publish": {
                "action": "send",
                "channel": {"$ref": "#/channels/ingress"},
                "messages": [{"$ref": f"#/channels/ingress/messages/{c}"} for c in messages],
            },
            **receive,
        },
        "components": {
            "messages": {
                **{k: {**v, "headers": _SIGNATURE_HEADERS} for k, v in messages.items()},
                **{
                    _inbox(k): {
                        **{f: v[f] for f in ("title", "contentType", "summary")},
                        "name": _inbox(k),
                        "payload": {"$ref": f"#/components/messages/{k}/payload"},
                        "headers": _ROUTED_HEADERS,
                    }
                    for k, v in messages.items()
                },
                "DeadLetter": {"name": "DeadLetter", "payload": _DEADLETTER},
                "GatewayEvents": {"name": "GatewayEvents", "payload": {"type": "array", "items": _EVENT}},
                "Generation": {"name": "Generation", "contentType": "text/plain", "payload": _TEXT},
            },
        },
    }
