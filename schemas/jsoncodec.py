"""JSON encoding: the same element names as the XML, ``{"Head": {...}, "Declaration": {...}}``.

Decoding is strict (a number is not accepted where text is expected, nor text for a whole number); duplicate keys
and excessive nesting are refused before validation.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import jiter
from pydantic import ValidationError

from schemas.envelope import Message
from schemas.errors import Issue, MessageError
from schemas.locate import issues_from, json_pointer, slot_at
from schemas.plan import Plan, plan_of
from schemas.registry import MessageSpec, spec_for
from schemas.xmlcodec import DEFAULT_MAX_BYTES, MAX_DEPTH


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return out


def _depth(obj: Any, limit: int) -> bool:
    """True if ``obj`` nests deeper than ``limit`` (stops early)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        node, d = stack.pop()
        if d > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node if isinstance(v, dict | list))
    return False


class _Obj:
    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


class _Int(str):
    """An integer's digits, kept as text: the error path never converts them, so no size limit applies."""


class _Float(str):
    """A non-integer number's text, as written."""


def _tree(text: str) -> Any:
    """``text`` parsed keeping every key of every object (duplicates too), integers as :class:`_Int` and other
    numbers as :class:`_Float` (their text as written); None if it does not parse (the first error found may be
    followed by malformed text)."""
    try:
        return json.loads(text, object_pairs_hook=_Obj, parse_int=_Int, parse_float=_Float)
    except (ValueError, RecursionError):
        return None


_Member = tuple[str, Any, bool]
"""(JSON pointer, value, whether the key already occurred in its object) of one object member or array element."""


def _members(path: str, node: Any) -> Iterator[_Member]:
    """The members of an object or the elements of an array, in document order (nothing for other values)."""
    if isinstance(node, _Obj):
        seen: set[str] = set()
        for k, v in node.pairs:
            yield path + "/" + k.replace("~", "~0").replace("/", "~1"), v, k in seen
            seen.add(k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield f"{path}/{i}", v, False


def _walk(root: Any) -> Iterator[_Member]:
    """Every member and element of a :func:`_tree`, depth first in document order (iterative: any nesting)."""
    stack = [_members("", root)]
    while stack:
        member = next(stack[-1], None)
        if member is None:
            stack.pop()
            continue
        yield member
        stack.append(_members(member[0], member[1]))


def _find_duplicate(text: str) -> str:
    """JSON pointer of the first duplicated key, in document order (error path only)."""
    return next((path for path, _, repeated in _walk(_tree(text)) if repeated), "")


def _long_integer(text: str) -> Issue:
    """The issue for an integer with more digits than Python converts (``sys.get_int_max_str_digits``), located
    at the first such integer (error path only)."""
    limit = sys.get_int_max_str_digits()
    found = ((path, v) for path, v, _ in _walk(_tree(text)) if isinstance(v, _Int) and len(v.lstrip("-")) > limit)
    path, digits = next(found, ("", ""))
    size = f"{len(digits.lstrip('-'))} digits" if digits else "too many digits"
    return Issue("TOO_MANY_DIGITS", f"the number has {size}; at most {limit} are accepted: send a shorter number", path)


def _parse(data: bytes, text: str) -> Any:
    """The document as Python objects, duplicate keys refused. jiter (Rust, the parser pydantic uses) takes the
    common case in one pass, about half the time of the standard library with a duplicate-key hook. Whatever jiter
    refuses is parsed again by the standard library, whose diagnostics are the ones reported, and which accepts
    the few documents jiter refuses that it does not (nesting deeper than 200, lone surrogates), so the outcome
    is the same as with the standard library alone."""
    try:
        return jiter.from_json(data, allow_inf_nan=False, catch_duplicate_keys=True)
    except ValueError:
        return _parse_stdlib(text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(text: str) -> tuple[str, str] | None:
    """(JSON pointer, escape) of the first key or string holding half a surrogate pair (error path only)."""
    for path, value, _ in _walk(_tree(text)):
        for s in (path.rsplit("/", 1)[-1], value):  # its key, its value
            found = _SURROGATE.search(s) if type(s) is str else None  # text: not the digits of a number
            if found is not None:
                return path, found.group().encode("unicode_escape").decode("ascii")
    return None


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        self.name = name


def _no_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity: Python's json reads them, JSON has no such numbers (RFC 8259, 6)."""
    raise _Constant(name)


def _parse_stdlib(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except _Constant as c:
        fix = f"{c.name} is not a JSON number: send a number, or leave the element out"
        raise MessageError([Issue("JSON_MALFORMED", fix, "")]) from None
    except _Duplicate as d:
        raise MessageError(
            [
                Issue(
                    "JSON_DUPLICATE_KEY",
                    f"key {d.key!r} appears twice in one object: keep one",
                    _find_duplicate(text),
                )
            ]
        ) from None
    except RecursionError:
        raise MessageError([Issue("JSON_TOO_DEEP", f"nest at most {MAX_DEPTH} levels", "")]) from None
    except json.JSONDecodeError as e:
        raise MessageError(
            [Issue("JSON_MALFORMED", f"{e.msg} at line {e.lineno} column {e.colno}", "", e.lineno)]
        ) from None
    except ValueError:  # an integer longer than Python converts (4300 digits by default)
        raise MessageError([_long_integer(text)]) from None


def _numeral_table() -> bytes:
    table = bytearray(b" " * 256)
    table[ord("0") : ord("9") + 1] = b"0" * 10
    table[ord(".")] = ord("0")
    table[ord('"')] = ord('"')
    table[ord("e")] = table[ord("E")] = ord("e")
    table[ord("+")] = table[ord("-")] = ord("s")
    return bytes(table)


_NUMERALS = _numeral_table()
"""Digits and '.' to 0, a quote to itself, e/E to e, a sign to s, anything else to a space."""


def _long_number(data: bytes) -> bool:
    """Whether ``data`` may hold a number of 16 characters or more outside a string (a run of digits not after a
    quote), or with an exponent: the only ones a double may not hold as written (any decimal of up to 15 significant
    digits survives the round trip). Strings can match too (a letter before 16 digits); that only costs a look.
    Translating the bytes and searching them is a few microseconds, a third of a regular expression's time."""
    mapped = data.translate(_NUMERALS)
    return b" 0000000000000000" in mapped or b"s0000000000000000" in mapped or b"0e0" in mapped or b"0es" in mapped


def _exact(issues: list[Issue], text: str, plan: Plan) -> list[Issue]:
    """``issues`` with every numeric value that its double does not hold exactly judged as written instead
    (pydantic reads JSON numbers as doubles: 2450.50000000000000001 would pass as 2450.5 and 1e400 read as inf)."""
    found: dict[str, Issue] = {}
    for path, value, _ in _walk(_tree(text)):
        if isinstance(value, _Float):
            try:
                issue = _inexact(path, value, plan)
            except (ValueError, ArithmeticError):  # a number beyond judging here: pydantic's verdict stands
                continue
            if issue is not None:
                found[path] = issue
    if not found:
        return issues
    # pydantic's own verdict on those numbers goes: at their place, and its "number out of range" at none
    overflow = [i for i in issues if i.code == "FORMAT_INVALID" and not i.location and "number" in i.message]
    return [i for i in issues if i.location not in found and i not in overflow] + list(found.values())


def _inexact(path: str, written: str, plan: Plan) -> Issue | None:
    """The issue for the number ``written`` at ``path`` if it is a numeric leaf and its double is not it."""
    # an index is ASCII digits (str.isdigit() is also true of '²', which int() refuses); keys are unescaped
    loc = tuple(int(k) if k.isascii() and k.isdigit() else k.replace("~1", "/").replace("~0", "~")
                for k in path.split("/")[1:])  # fmt: skip
    slot = slot_at(plan, loc)
    leaf = slot.leaf if slot is not None else None
    if slot is not None and isinstance(loc[-1], int) and not slot.many:
        return None  # a single value written as a list: pydantic's own error (the type) stands
    if slot is None or leaf is None or leaf.base not in ("xs:int", "xs:decimal"):
        return None  # not a number here: pydantic's own error stands
    exact = _decimal(written)
    as_read = float(written)
    if math.isfinite(as_read) and Decimal(repr(as_read)) == exact:
        return None
    name, shown = slot.name, written[:60]
    low = Decimal(leaf.min_inclusive) if leaf.min_inclusive is not None else None
    if leaf.base == "xs:int":
        high = Decimal(leaf.max_inclusive) if leaf.max_inclusive is not None else None
    else:
        whole, places = leaf.decimal_digits()
        high = Decimal("9" * whole + "." + "9" * places)
    if low is not None and exact < low:
        return Issue("OUT_OF_RANGE", f"{shown} is out of range: {name} must be at least {low}", path)
    if high is not None and exact > high:
        return Issue("OUT_OF_RANGE", f"{shown} is out of range: {name} must be at most {high}", path)
    if leaf.base == "xs:int":
        return Issue("NOT_AN_INTEGER", f"{shown} is not a whole number: write digits only, e.g. 12", path)
    return Issue("TOO_MANY_DECIMALS", f"{shown} has too many decimals: round {name} to {places} decimal places", path)


def _decimal(written: str) -> Decimal:
    """``written`` as a Decimal; beyond the exponents Decimal holds (10^18), a stand-in of the same sign and
    magnitude class: infinite for a huge number, the smallest Decimal for a tiny one, zero for zero."""
    try:
        return Decimal(written)
    except InvalidOperation:
        mantissa, _, exponent = written.lower().partition("e")
        digits = Decimal(mantissa)
        if digits == 0:
            return digits
        sign = "-" if digits < 0 else ""
        return Decimal(sign + ("1e-999999999999999999" if exponent.startswith("-") else "Infinity"))


def decode_json(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, rules: bool = True) -> tuple[Message, MessageSpec]:
    if not data.strip():
        raise MessageError([Issue("EMPTY_BODY", "send a message: the body is empty", "")])
    if len(data) > max_bytes:
        raise MessageError(
            [Issue("PAYLOAD_TOO_LARGE", f"the message has {len(data)} bytes; the limit is {max_bytes}", "")]
        )
    if data.startswith(b"\xef\xbb\xbf"):
        bom = "the body starts with a UTF-8 byte order mark (EF BB BF), which JSON text must not (RFC 8259, 8.1)"
        raise MessageError([Issue("JSON_MALFORMED", bom + ": save or send it as UTF-8 without one", "", 1)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MessageError(
            [Issue("ENCODING_INVALID", f"the bytes are not valid UTF-8 (at byte {e.start}): send UTF-8", "")]
        ) from None
    obj = _parse(data, text)
    if not isinstance(obj, dict):
        raise MessageError([Issue("WRONG_TYPE", 'a message is a JSON object {"Head": ..., ...}', "")])
    head = obj.get("Head")
    if not isinstance(head, dict):
        code = "REQUIRED_MISSING" if head is None else "WRONG_TYPE"
        raise MessageError([Issue(code, "give a Head object with MessageType and the other envelope keys", "/Head")])
    mt = head.get("MessageType")
    spec = spec_for(mt) if isinstance(mt, str) else None
    if spec is None:
        raise MessageError(
            [
                Issue(
                    "UNKNOWN_MESSAGE_TYPE" if mt is not None else "REQUIRED_MISSING",
                    f"Head/MessageType {mt!r} is not a known message type: see `swsim schemas` for the list"
                    if mt is not None
                    else "add Head/MessageType, the message type code (e.g. MT2101): see `swsim schemas`",
                    "/Head/MessageType",
                )
            ]
        )
    plan = plan_of(spec.model)
    try:
        model = spec.model.model_validate_json(data, strict=True, by_alias=True, by_name=False)
    except ValidationError as exc:
        mt = spec.code.value
        # pydantic's parser refuses half a surrogate pair as invalid JSON, which would not help
        half = _lone_surrogate(text) if any(e["type"] == "json_invalid" for e in exc.errors()) else None
        if half is not None:
            path, escape = half
            fix = f"the text holds {escape}, half of a UTF-16 surrogate pair on its own: escape the whole character "
            raise MessageError(
                [Issue("ENCODING_INVALID", fix + "(both halves) or write it as UTF-8", path)], mt
            ) from None
        if _depth(obj, MAX_DEPTH):  # only on the error path: deep nesting can only be in unknown keys
            raise MessageError([Issue("JSON_TOO_DEEP", f"nest at most {MAX_DEPTH} levels", "")], mt) from None
        issues = issues_from(exc, plan, lambda loc: (json_pointer(loc), None))
        raise MessageError(_exact(issues, text, plan) if _long_number(data) else issues, mt) from None
    if _long_number(data):  # numbers a double may not hold exactly: judged as written
        inexact = _exact([], text, plan)
        if inexact:
            raise MessageError(inexact, spec.code.value)
    from schemas.rules import check_rules

    findings = check_rules(model) if rules else []
    if findings:
        raise MessageError([Issue(code, msg, json_pointer(loc)) for code, msg, loc in findings], spec.code.value)
    return model, spec


def encode_json(message: Message, pretty: bool = False) -> bytes:
    return message.model_dump_json(by_alias=True, exclude_none=True, indent=2 if pretty else None).encode("utf-8")
