"""JSON Schema (draft 2020-12) for each message type, from the models (leaf facets from :mod:`schemas.leaf`)."""

from __future__ import annotations

from typing import Any

from schemas.registry import MessageSpec


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


def generate_json_schema(spec: MessageSpec) -> dict[str, Any]:
    """The JSON Schema for one message type; ``Head.MessageType`` is fixed to this type's code."""
    schema = spec.model.model_json_schema(by_alias=True, mode="validation")
    schema = _strip_titles(schema)
    defs = schema.setdefault("$defs", {})
    head = defs["Head"]
    head["properties"]["MessageType"] = {"const": spec.code.value, "description": spec.info.title}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{spec.namespace}.json",
        "title": f"{spec.code} {spec.info.title}",
        "description": f"swsim {spec.code}; code status: {spec.info.status}. Keys are the XML element names.",
        **schema,
    }
