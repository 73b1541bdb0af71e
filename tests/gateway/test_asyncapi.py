"""The AsyncAPI document says what the channels really carry: every reference resolves, inbox messages carry the
routing headers the gateway sets (not the signature headers a party sends), and every topic is described."""

from __future__ import annotations

from typing import Any

from gateway.asyncapi import asyncapi_document
from gateway.topics import Topics
from swsim.network import GATEWAY_ID


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref" and isinstance(v, str)] + [
            r for k, v in node.items() if k != "$ref" for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_reference_resolves_and_inboxes_carry_routing_headers() -> None:
    topics = Topics("sw")
    doc = asyncapi_document(topics, ["7900", "8000", GATEWAY_ID])
    for ref in _refs(doc):
        if not ref.startswith("#/$defs"):  # those are the JSON Schemas' own, relative to their schema
            _resolve(doc, ref)
    channels = doc["channels"]
    assert {c["address"] for c in channels.values()} >= {topics.ingress, topics.deadletter, topics.events,
                                                        topics.generation, topics.inbox("7900")}  # fmt: skip
    assert f"inbox_{GATEWAY_ID}" not in channels  # nothing is addressed to the gateway
    inbox = [_resolve(doc, m["$ref"]) for m in channels["inbox_7900"]["messages"].values()]
    ingress = [_resolve(doc, m["$ref"]) for m in channels["ingress"]["messages"].values()]
    assert len(inbox) == len(ingress) == 49
    for m in inbox:
        assert set(m["headers"]["required"]) == {"sw-sender", "sw-message-id", "sw-message-type", "sw-format"}
        assert "sw-signature" not in m["headers"]["properties"]
        payload = _resolve(doc, m["payload"]["$ref"])
        assert payload["$schema"].startswith("https://json-schema.org/")
    for m in ingress:
        assert "sw-signature" in m["headers"]["required"]
    dead = doc["components"]["messages"]["DeadLetter"]["payload"]["properties"]
    assert dead["body_sha256"]["type"] == "string"
    assert {o["action"] for o in doc["operations"].values()} == {"send", "receive"}
