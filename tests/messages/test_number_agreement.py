"""Every numeric leaf of every sample: a number the decoder accepts, the published XSD / JSON Schema accepts, and
the other way round; a refused number is reported with a number code at that very leaf."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import localcontext
from typing import Any

import pytest
from lxml import etree

from schemas.codec import decode
from schemas.errors import MessageError
from schemas.message_types import MessageType
from schemas.plan import Plan, plan_of
from schemas.registry import SPECS

from .corpus import sample_text
from .published import json_schema_accepts, json_schema_for, load_exact, xsd_for

NUMBER_CODES = {"NOT_A_NUMBER", "NOT_AN_INTEGER", "OUT_OF_RANGE", "TOO_MANY_DIGITS", "TOO_MANY_DECIMALS"}

# XML text: what xs:decimal / xs:int allow (signs, leading zeros, XML whitespace) and what only Python reads
XML_VALUES = [
    *("0", "5", "+5", "-0", "+0", "05", "0005.50", " 12 ", "\t7\n", "\r\n8 ", "12.50", ".5", "5.", "5.0", "1.234"),
    *("1.2340", "1.2345", "99", "999.99", "9999", "10000", "99999999", "100000000", "2147483648", "-1", "-0.001"),
    *("99999999999.999", "100000000000", "0" * 30 + "1.5", "1_000", "1e2", "1E2", "1.0e1", "0x10", "1 000"),
    *("１０００", "٣", "١٢", "\u00a012", "12\u3000", "\u200912", "NaN", "INF", "Infinity", "", " ", "+", "-", "."),
]

# JSON texts put in place of the value: numbers (read exactly by the schema side) and strings
JSON_VALUES = [
    *("0", "5", "5.0", "5.00", "-0", "-0.0", "1e2", "1E2", "1e-3", "0.5", "12.50", "1.234", "1.2345", "2450.7"),
    *("1.005", "0.30000000000000004", "99", "999.99", "9999", "10000", "99999999", "100000000", "-1", "1e400"),
    *("99999999999.999", "100000000000", "12345678901.1234567", "-1e400"),
    *("2450.50000000000000001", "40.00000000000000001", "1.000000000000000001e2"),  # more than a double holds
    *('"12"', '"12.5"', '"12.50"', '"1.234"', '"1.2345"', '"0"', '"00012"', '"00000000000001"', '"-5"', '"-0"'),
    *('"+5"', '" 12 "', '".5"', '"5."', '"1e2"', '"1_000"', '"１２"', '"٣"', '""', '"12,5"', '"12\\n"', '"12.5\\n"'),
    *("true", "null", "[]", "{}"),
]


def _xml_leaves(root: etree._Element, plan: Plan) -> Iterator[tuple[etree._Element, str]]:
    """(element, XPath) of the first occurrence of each numeric leaf."""
    seen: set[str] = set()

    def walk(el: etree._Element, plan: Plan, path: str, shape: str) -> Iterator[tuple[etree._Element, str]]:
        counts: dict[str, int] = {}
        for child in el:
            slot = plan.by_name[etree.QName(child).localname]
            counts[slot.name] = counts.get(slot.name, 0) + 1
            where = f"{path}/{slot.name}" + (f"[{counts[slot.name]}]" if slot.many else "")
            if slot.model is not None:
                yield from walk(child, slot.plan, where, f"{shape}/{slot.name}")
            elif slot.leaf is not None and slot.leaf.base != "xs:string" and f"{shape}/{slot.name}" not in seen:
                seen.add(f"{shape}/{slot.name}")
                yield child, where

    yield from walk(root, plan, "/" + etree.QName(root).localname, "")


def _json_leaves(doc: Any, plan: Plan) -> Iterator[tuple[Any, str | int, str]]:
    """(parent, key, JSON pointer) of the first occurrence of each numeric leaf."""
    seen: set[str] = set()

    def walk(node: dict[str, Any], plan: Plan, path: str, shape: str) -> Iterator[tuple[Any, str | int, str]]:
        for name, value in node.items():
            slot = plan.by_name[name]
            items = list(enumerate(value)) if slot.many else [(None, value)]
            for i, v in items:
                parent, key = (value, i) if i is not None else (node, name)
                where = f"{path}/{name}" + (f"/{i}" if i is not None else "")
                if slot.model is not None:
                    yield from walk(v, slot.plan, where, f"{shape}/{name}")
                elif slot.leaf is not None and slot.leaf.base != "xs:string" and f"{shape}/{name}" not in seen:
                    seen.add(f"{shape}/{name}")
                    yield parent, key, where

    yield from walk(doc, plan, "", "")


def _at(schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The published subschema that governs the value at ``pointer`` (local $refs and object/array branches of an
    anyOf followed). The rest of the sample is valid, so the document is valid exactly when this value is."""

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = schema["$defs"][node["$ref"].removeprefix("#/$defs/")]
        return node

    node = schema
    for key in pointer.strip("/").split("/"):
        kind = "items" if key.isdigit() else "properties"
        node = deref(node)
        node = next(deref(b) for b in [node, *node.get("anyOf", [])] if kind in deref(b))
        node = node["items"] if kind == "items" else node["properties"][key]
    return node


def _decoded(data: bytes, fmt: str) -> list[tuple[str, str, str]]:
    """The (code, location, message) of every issue; empty if the decoder accepts (value rules only)."""
    try:
        decode(data, fmt, rules=False)  # type: ignore[arg-type]
    except MessageError as e:
        return [(i.code, i.location, i.message) for i in e.issues]
    return []


def _as_sent(text: str) -> tuple[str, ...]:
    """How an issue message may quote a JSON value: as written, or as the value read (a whole number sent as 5.0
    may read 5)."""
    v = json.loads(text)
    read = (repr(v), repr(int(v))) if isinstance(v, float) and v.is_integer() else (repr(v),)
    return (text, *read)


CODES = [c.value for c in SPECS]


@pytest.mark.parametrize("code", CODES)
def test_xml_numbers_agree_with_the_xsd(code: str) -> None:
    root = etree.fromstring(sample_text(code, "xml").encode())
    schema = xsd_for(code)
    leaves = list(_xml_leaves(root, plan_of(SPECS[MessageType(code)].model)))
    disagreements = []
    for el, where in leaves:
        original = el.text
        for value in XML_VALUES:
            el.text = value
            issues = _decoded(etree.tostring(root), "xml")
            if bool(schema.validate(root)) == bool(issues):
                disagreements.append((where, value, issues))
            for issue_code, location, message in issues:
                assert issue_code in NUMBER_CODES, (value, issues)
                assert location == where, (value, issues)
                assert message.startswith(repr(value)[:60]), (value, issues)  # quotes the value as sent
        el.text = original
    assert not disagreements, "\n".join(map(repr, disagreements))


@pytest.mark.parametrize("code", CODES)
def test_json_numbers_agree_with_the_json_schema(code: str) -> None:
    sample = sample_text(code, "json")
    assert json_schema_accepts(code, sample.encode())
    validator = json_schema_for(code)
    doc = json.loads(sample)
    leaves = list(_json_leaves(doc, plan_of(SPECS[MessageType(code)].model)))
    disagreements = []
    for parent, key, where in leaves:
        leaf = validator.evolve(schema=_at(validator.schema, where))
        original = parent[key]
        parent[key] = "@@VALUE@@"
        text = json.dumps(doc, ensure_ascii=False)
        for value in JSON_VALUES:
            data = text.replace('"@@VALUE@@"', value).encode()
            issues = _decoded(data, "json")
            with localcontext(prec=1000):  # multipleOf on 1e400 needs more than 28 digits
                accepted = leaf.is_valid(load_exact(value))
            # within the schema's maximum, too many digits can only be too many decimal places
            places_only = bool(issues) and {c for c, _, _ in issues} <= {"TOO_MANY_DECIMALS", "TOO_MANY_DIGITS"}
            if accepted and places_only and not value.startswith('"'):
                pass  # published: decimal places of JSON numbers are the gateway's check, not the schema's
            elif accepted == bool(issues):
                disagreements.append((where, value, issues))
            for issue_code, location, message in issues:
                assert location == where, (value, issues)
                if value not in ("[]", "{}", "null"):
                    assert issue_code in NUMBER_CODES, (value, issues)
                    assert message.startswith(_as_sent(value)), (value, issues)
        parent[key] = original
    assert not disagreements, "\n".join(map(repr, disagreements))


def test_every_sample_has_numeric_leaves_to_check() -> None:
    found = 0
    for code in CODES:
        root = etree.fromstring(sample_text(code, "xml").encode())
        found += len(list(_xml_leaves(root, plan_of(SPECS[MessageType(code)].model))))
    assert found >= 100
