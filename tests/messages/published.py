"""The published schemas as integration teams use them: lxml's XMLSchema for the XSD; jsonschema for the JSON
Schema, with numbers read exactly.

Exactly means: the schema and the message are both loaded with ``parse_float=Decimal``, so ``multipleOf`` (the
decimal places of an amount) is decimal arithmetic as JSON Schema defines it (validation 6.2.1); divided as
binary floats it misjudges, e.g., 2450.7 / 0.001. ``integer`` is also read as the specification says (any
number with a zero fractional part, so 5.0 too); jsonschema would otherwise refuse ``Decimal("5.0")``.
"""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from functools import cache
from typing import Any

import jsonschema
from lxml import etree

from schemas.jsonschema import generate_json_schema
from schemas.message_types import MessageType
from schemas.registry import SPECS
from schemas.xsd import generate_xsd


def _is_integer(checker: Any, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value()
    return isinstance(value, float) and value.is_integer()


ExactValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def load_exact(text: str | bytes) -> Any:
    """JSON with every non-integer number as a Decimal (the exact value written)."""
    return json.loads(text, parse_float=Decimal)


@cache
def xsd_for(code: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(generate_xsd(SPECS[MessageType(code)]).encode()))


@cache
def json_schema_for(code: str) -> Any:
    schema = load_exact(json.dumps(generate_json_schema(SPECS[MessageType(code)])))
    return ExactValidator(schema)


def json_schema_accepts(code: str, data: bytes) -> bool:
    with localcontext(prec=1000):  # room for multipleOf on numbers like 1e400 (28 digits raise DivisionImpossible)
        return bool(json_schema_for(code).is_valid(load_exact(data)))
