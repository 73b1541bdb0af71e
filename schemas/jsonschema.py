"""JSON Schema (draft 2020-12) for each message type, from the models (leaf facets from :mod:`schemas.leaf`)."""

from __future__ import annotations

from typing import Any

from schemas.registry import MessageSpec

EXACT_NUMBERS = (
    "Decimal amounts are JSON numbers or strings of ASCII digits (the pattern). Their decimal places are not "
    "expressed as multipleOf, which validators that divide binary floats misjudge (2450.7 is not a float multiple "
    "of 0.001): the gateway refuses a number with more places than its description says (TOO_MANY_DECIMALS). Send "
    "amounts as strings to have this schema check the places too. Whole numbers are JSON integers (5 or 5.0)."
)


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
        "$comment": EXACT_NUMBERS,
        **schema,
    }
