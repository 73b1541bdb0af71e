"""How numbers may be written, per encoding, exactly as the published schemas say (see :mod:`schemas.types`).

Python's ``Decimal`` and ``int`` read far more than the schemas allow (``1_000``, ``1e2``, full-width and other
Unicode digits, Unicode spaces), so each numeric type checks the spelling before the value:

* XML text follows the XSD built-in types after whiteSpace="collapse" (XSD 1.0 part 2, 3.2.3.1 and 3.3.17):
  ``xs:decimal`` is ``[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)``, ``xs:int`` is ``[+-]?[0-9]+``, with only space, tab,
  CR and LF around them. Values built in Python (Decimal, int, float) are not text and pass as before.
* JSON numbers are read by pydantic as IEEE doubles; a decimal's places are those of the double's shortest form,
  which is the number as written whenever a double holds it. One it does not (2450.50000000000000001, 1e400) is
  judged as written by :mod:`schemas.jsoncodec` instead. A whole number may be written 5 or 5.0 (JSON Schema: an
  integer is any number with a zero fractional part). A decimal may also be a string, which must match the
  published pattern exactly.

Speed (the gateway's hot path): a decimal written plainly within its facets (the published string pattern, e.g.
``2450.5``) is converted at once, without pydantic's slower digit counting; anything else is left to pydantic for
the exact error. Whole numbers are checked by pydantic-core alone. Errors are pydantic's own types, so
:mod:`schemas.locate` gives them the usual codes (NOT_A_NUMBER, NOT_AN_INTEGER, OUT_OF_RANGE, TOO_MANY_DIGITS,
TOO_MANY_DECIMALS).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import GetCoreSchemaHandler, ValidationError
from pydantic_core import PydanticKnownError, core_schema

from schemas.leaf import Leaf

_WS = "[ \\t\\n\\r]*"
_XSD_DECIMAL = re.compile(f"{_WS}[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+){_WS}").fullmatch
_XSD_INT = f"^{_WS}[+-]?[0-9]+{_WS}$"  # for pydantic-core's regex engine (``$``: the very end there)
_PLAIN = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?").fullmatch

_Handler = Callable[[Any], Any]


def _json_text_error(v: str, whole: int, places: int) -> PydanticKnownError:
    """Why a JSON string is not a decimal of the published pattern (pydantic's error types, for the usual codes)."""
    plain = _PLAIN(v)
    if plain is None:
        return PydanticKnownError("decimal_parsing")
    sign, digits, _ = plain.groups()
    if sign:
        return PydanticKnownError("greater_than_equal", {"ge": 0})
    if len(digits) > whole:
        return PydanticKnownError("decimal_whole_digits", {"whole_digits": whole})
    return PydanticKnownError("decimal_max_places", {"decimal_places": places})


def _validators(leaf: Leaf) -> tuple[Callable[[Any, _Handler], Any], Callable[[Any, _Handler], Any]]:
    """(XML, JSON) wrap validators of the decimal type ``leaf``; ``handler`` is pydantic's own (constrained)
    decimal validation."""
    whole, places = leaf.decimal_digits()
    plain = re.compile(leaf.decimal_text_pattern()).fullmatch  # within every facet: no need to count digits

    def xml(v: Any, handler: _Handler) -> Any:
        if type(v) is str:
            if plain(v) is not None:
                return Decimal(v)
            if _XSD_DECIMAL(v) is None:
                raise PydanticKnownError("decimal_parsing")
        return handler(v)

    def json(v: Any, handler: _Handler) -> Any:
        t = type(v)
        if t is str:
            if plain(v) is not None:
                return Decimal(v)
            raise _json_text_error(v, whole, places)
        if t is float:
            text = repr(v)  # the double's shortest form; nan and inf are refused by allow_inf_nan=False
            if plain(text) is not None:
                return Decimal(text)
            value = Decimal(int(v)) if v.is_integer() else Decimal(text)
        elif t is int:
            value = Decimal(v)
        else:
            raise PydanticKnownError("decimal_type")
        try:
            return handler(value)
        except ValidationError as e:  # report it against the number as sent, not the Decimal made of it
            err = e.errors(include_url=False)[0]
            raise PydanticKnownError(err["type"], err.get("ctx")) from None  # type: ignore[arg-type]

    return xml, json


@dataclass(frozen=True)
class DecimalNumeral:
    """``Annotated`` marker (after the Field constraints) of a non-negative decimal type: the spelling rules."""

    leaf: Leaf

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        inner = handler(source)
        xml, json = _validators(self.leaf)
        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_wrap_validator_function(json, inner),
            python_schema=core_schema.no_info_wrap_validator_function(xml, inner),
        )


def _whole(v: float) -> int:
    if v.is_integer():
        return int(v)
    raise PydanticKnownError("int_from_float")


@dataclass(frozen=True)
class IntNumeral:
    """``Annotated`` marker (after the Field constraints) of a whole-number type: the spelling rules."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        inner = handler(source)  # int with its range
        text = core_schema.union_schema(  # XML text of xs:int, or a number made in Python
            [
                core_schema.str_schema(strict=True, pattern=_XSD_INT),
                core_schema.is_instance_schema((int, float, Decimal)),
            ],
            custom_error_type="int_parsing",
        )
        number = core_schema.union_schema(  # a JSON integer, or a JSON number with a zero fractional part
            [
                core_schema.int_schema(strict=True),
                core_schema.chain_schema(
                    [core_schema.float_schema(strict=True), core_schema.no_info_plain_validator_function(_whole)]
                ),
            ],
            custom_error_type="int_type",
        )
        return core_schema.json_or_python_schema(
            json_schema=core_schema.chain_schema([number, inner]),
            # strict Python validation takes ints only (no text) as before; lax-or-strict rather than a bare chain
            # also keeps the type bindable by pydantic-xml (the `swsim bench schemas` baseline)
            python_schema=core_schema.lax_or_strict_schema(
                lax_schema=core_schema.chain_schema([text, inner]), strict_schema=inner
            ),
        )


def decimal_numeral(leaf: Leaf) -> DecimalNumeral:
    """Spelling rules of the non-negative decimal type ``leaf`` (JSON strings: its published pattern)."""
    return DecimalNumeral(leaf)


INT_NUMERAL = IntNumeral()
"""Spelling rules of a whole number."""
