"""Turn pydantic validation errors into :class:`~schemas.errors.Issue` with stable codes and locations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from schemas.codes import CustomsOffice, Locode
from schemas.errors import Issue
from schemas.plan import Plan, Slot, plan_of

Loc = tuple[str | int, ...]
Locator = Callable[[Loc], tuple[str, int | None]]

_ENUM_CODES = {Locode: "UNKNOWN_LOCODE", CustomsOffice: "UNKNOWN_CUSTOMS_CODE"}

_BUILTIN: dict[str, str] = {
    "missing": "REQUIRED_MISSING",
    "extra_forbidden": "UNKNOWN_ELEMENT",
    "string_too_short": "TOO_SHORT",
    "string_too_long": "TOO_LONG",
    "too_short": "TOO_SHORT",
    "too_long": "TOO_LONG",
    "enum": "UNKNOWN_CODE",
    "int_parsing": "NOT_AN_INTEGER",
    "int_type": "NOT_AN_INTEGER",
    "int_from_float": "NOT_AN_INTEGER",
    "int_parsing_size": "OUT_OF_RANGE",
    "decimal_parsing": "NOT_A_NUMBER",
    "decimal_type": "NOT_A_NUMBER",
    "finite_number": "NOT_A_NUMBER",
    "greater_than_equal": "OUT_OF_RANGE",
    "less_than_equal": "OUT_OF_RANGE",
    "decimal_max_places": "TOO_MANY_DECIMALS",
    "decimal_max_digits": "TOO_MANY_DIGITS",
    "decimal_whole_digits": "TOO_MANY_DIGITS",
}


def slot_at(plan: Plan, loc: Loc) -> Slot | None:
    """The slot a pydantic ``loc`` ends at (list indices skipped)."""
    slot: Slot | None = None
    current: Plan | None = plan
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None:
            return None
        slot = current.by_name.get(part)
        if slot is None:
            return None
        current = slot.plan if slot.model is not None else None
    return slot


def _shown(given: Any) -> str:
    """The value as the message wrote it: JSON's true, false and null rather than Python's True, False, None."""
    if isinstance(given, bool) or given is None:
        return {True: "true", False: "false", None: "null"}[given]
    if isinstance(given, str | int | float):
        return repr(given)[:60]
    return "the value"


def _message(code: str, err: Mapping[str, Any], slot: Slot | None, name: str) -> str:
    ctx = err.get("ctx") or {}
    given = err.get("input")
    shown = _shown(given)
    if code == "REQUIRED_MISSING":
        return f"add the required element {name}"
    if code == "UNKNOWN_ELEMENT":
        return f"remove {name}: it is not defined here (check the spelling and the element order in the schema)"
    if code in ("UNKNOWN_CODE", "UNKNOWN_LOCODE", "UNKNOWN_CUSTOMS_CODE") and slot and slot.enum:
        allowed = [e.value for e in slot.enum]
        listing = ", ".join(allowed[:25]) + (" ..." if len(allowed) > 25 else "")
        return f"{shown} is not in the {slot.enum.__name__} code list: use one of {listing}"
    if code == "TOO_SHORT":
        if err["type"] == "too_short":
            return f"give at least {ctx.get('min_length')} {name} element(s)"
        return f"{name} must not be empty" if ctx.get("min_length") == 1 else f"{name} is too short"
    if code == "TOO_LONG":
        if err["type"] == "too_long":
            return f"give at most {ctx.get('max_length')} {name} element(s)"
        return f"shorten {name} to at most {ctx.get('max_length')} characters"
    if code == "NOT_AN_INTEGER":
        return f"{shown} is not a whole number: write digits only, e.g. 12"
    if code == "NOT_A_NUMBER":
        return f"{shown} is not a decimal number: write digits with a '.' for decimals, e.g. 1250.5"
    if code == "OUT_OF_RANGE":
        bound = ctx.get("ge", ctx.get("le"))
        side = "at least" if "ge" in ctx else "at most"
        return f"{shown} is out of range: {name} must be {side} {bound}"
    if code == "TOO_MANY_DECIMALS":
        return f"{shown} has too many decimals: round {name} to {ctx.get('decimal_places')} decimal places"
    if code == "TOO_MANY_DIGITS":
        return f"{shown} has too many digits for {name}"
    return str(err.get("msg", "invalid value"))


def issues_from(exc: ValidationError, plan: Plan, locate: Locator) -> list[Issue]:
    """Every error pydantic found, translated (pydantic already collects all errors, not only the first)."""
    out: list[Issue] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        etype = err["type"]
        slot = slot_at(plan, loc)
        name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
        where, line = locate(loc)
        if etype == "string_pattern_mismatch" and slot is not None and slot.leaf is not None:
            leaf = slot.leaf
            given = str(err.get("input"))[:80]
            text = leaf.fix if leaf.code == "CONTROL_CHARACTER" else f"'{given}' is not valid: {leaf.fix}"
            out.append(Issue(leaf.code, text, where, line))
            continue
        if etype == "enum" and not isinstance(err.get("input"), str):  # a JSON number or true: text is a string
            out.append(Issue("WRONG_TYPE", f'{name} is a code, written as a JSON string ("9", not 9)', where, line))
            continue
        if etype in _BUILTIN:
            code = _BUILTIN[etype]
            if code == "UNKNOWN_CODE" and slot is not None and slot.enum in _ENUM_CODES:
                code = _ENUM_CODES[slot.enum]
        elif etype.isupper():  # our own PydanticCustomError codes
            code = etype
        elif etype.endswith("_type") or etype in ("model_attributes_type", "dict_type", "list_type"):
            code = "WRONG_TYPE"
        else:
            code = "FORMAT_INVALID"
        message = _message(code, err, slot, name) if (etype in _BUILTIN or code == "WRONG_TYPE") else err["msg"]
        if code == "WRONG_TYPE" and etype not in _BUILTIN:
            message = f"{name} has the wrong type: {err['msg'][0].lower()}{err['msg'][1:]}"
        out.append(Issue(code, message, where, line))
    return out


def json_pointer(loc: Sequence[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


__all__ = ["Loc", "Locator", "issues_from", "json_pointer", "plan_of", "slot_at"]
