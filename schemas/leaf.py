"""Leaf (simple) type descriptions shared by the validator, the XSD and the JSON Schema.

Every scalar field in a message model uses a named type from :mod:`schemas.types` (or a code-list enum from
:mod:`schemas.codes`). Each named type carries one :class:`Leaf` in its ``Annotated`` metadata; the XSD generator
and the JSON Schema both read their facets from it, so the published schemas cannot drift from the validator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# JSON Schema reads a pattern as ECMA-262, where ``$`` is the end of the string. Python's ``re`` (and Java's and
# .NET's) also match ``$`` before one final newline, so validators built on them would accept "8000\n" where the
# gateway refuses it. Beside every anchored pattern, this refuses that newline in every engine alike.
NO_FINAL_NEWLINE: dict[str, Any] = {
    "pattern": "\n$",
    "$comment": "no final newline: some regex engines let $ match before one, the gateway does not",
}


@dataclass(frozen=True)
class Leaf:
    """Facets of one simple type, in XSD terms. ``pattern`` uses the regex subset common to XSD, Python and
    ECMA-262 (classes, quantifiers, groups, alternation; ``[0-9]`` rather than ``\\d``) and is implicitly anchored."""

    name: str
    base: str  # "xs:string" | "xs:decimal" | "xs:int"
    doc: str
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_inclusive: int | None = None
    max_inclusive: int | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    code: str = "FORMAT_INVALID"  # error code when the pattern does not match
    fix: str = ""  # what to do when it does not: completes "'<value>' is not valid: ..."
    extra_json: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def decimal_digits(self) -> tuple[int, int]:
        """(whole digits, fraction digits) of an ``xs:decimal`` type."""
        assert self.total_digits is not None
        assert self.fraction_digits is not None
        return self.total_digits - self.fraction_digits, self.fraction_digits

    def decimal_text_pattern(self) -> str:
        """The (unanchored) pattern of a decimal written as a JSON string: the JSON Schema's and the decoder's."""
        whole, places = self.decimal_digits()
        return f"[0-9]{{1,{whole}}}(\\.[0-9]{{1,{places}}})?"

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        # pydantic calls this for Annotated metadata: the JSON Schema comes from the same facets as the XSD
        return self.json_schema()

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema for values of this type (what strict JSON decoding accepts)."""
        out: dict[str, Any]
        if self.base == "xs:string":
            out = {"type": "string"}
            if self.pattern is not None:
                out["pattern"] = f"^(?:{self.pattern})$"
                out["not"] = NO_FINAL_NEWLINE
            if self.min_length is not None:
                out["minLength"] = self.min_length
            if self.max_length is not None:
                out["maxLength"] = self.max_length
        elif self.base == "xs:int":
            out = {"type": "integer"}
            if self.min_inclusive is not None:
                out["minimum"] = self.min_inclusive
            if self.max_inclusive is not None:
                out["maximum"] = self.max_inclusive
        elif self.base == "xs:decimal":
            whole, places = self.decimal_digits()
            number: dict[str, Any] = {"type": "number"}
            if self.min_inclusive is not None:
                number["minimum"] = self.min_inclusive
            number["maximum"] = float("9" * whole + "." + "9" * places)
            # decimal places are not published as multipleOf: validators that divide binary floats (most of them)
            # would refuse valid amounts such as 2450.7; the gateway checks them (TOO_MANY_DECIMALS), and says so here
            number["description"] = f"at most {places} decimal places (checked by the gateway)"
            text = {"type": "string", "pattern": f"^{self.decimal_text_pattern()}$", "not": NO_FINAL_NEWLINE}
            out = {"anyOf": [number, text]}
        else:  # pragma: no cover - guarded by tests over every leaf
            raise ValueError(f"unknown base {self.base}")
        out["description"] = self.doc
        out.update(self.extra_json)
        return out
