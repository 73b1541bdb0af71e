"""Every failure mode gives its exact error code at the exact place; the published schemas agree."""

from __future__ import annotations

import pytest
from lxml import etree

from schemas.codec import validate
from schemas.errors import CODES
from schemas.message_types import MessageType
from schemas.registry import SPECS

from .corpus import CASES, Case, sample_text
from .published import json_schema_accepts, xsd_for


def _bad(case: Case) -> bytes:
    return case.mutate(sample_text(case.type, case.fmt)).encode("utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_gives_exact_code_and_location(case: Case) -> None:
    report = validate(_bad(case))
    assert not report.ok
    assert {i.code for i in report.issues} == {case.code} | case.also, [str(i) for i in report.issues]
    issue = next(i for i in report.issues if i.code == case.code)
    if case.location is not None:
        assert issue.location == case.location
    assert issue.message, "every issue says what to fix"
    if case.fmt == "xml" and case.level != "parse":
        assert issue.line is not None
        assert issue.line >= 1


def _schema_accepts(case: Case, data: bytes) -> bool:
    if case.fmt == "xml":
        return bool(xsd_for(case.type).validate(etree.fromstring(data)))
    return json_schema_accepts(case.type, data)


@pytest.mark.parametrize("case", [c for c in CASES if c.level != "parse"], ids=lambda c: c.id)
def test_published_schema_agrees(case: Case) -> None:
    """Structural failures are rejected by the XSD / JSON Schema too; semantic ones are beyond a schema."""
    accepted = _schema_accepts(case, _bad(case))
    assert accepted is (case.level == "semantic")


@pytest.mark.parametrize("code", list(SPECS), ids=[c.value for c in SPECS])
def test_published_schemas_accept_every_sample(code: MessageType) -> None:
    for fmt in ("xml", "json"):
        data = sample_text(code.value, fmt).encode()
        assert validate(data).ok
        assert _schema_accepts(Case("sample", code.value, fmt, str, "", None, "semantic"), data)


def test_every_catalogued_code_is_exercised_and_every_raised_code_catalogued() -> None:
    from .test_hostile_xml import HOSTILE_CODES

    exercised = {c.code for c in CASES} | HOSTILE_CODES
    assert exercised <= set(CODES)
    assert set(CODES) - exercised == set()


def test_every_receipt_code_has_the_statuses_it_goes_with() -> None:
    """A receipt code added without a row would make the MT9999 rule raise KeyError (a 500), not refuse."""
    from schemas.codes import ReceiptCode
    from schemas.rules import RECEIPT_STATUSES

    assert set(RECEIPT_STATUSES) == set(ReceiptCode)
    assert all(RECEIPT_STATUSES.values())
