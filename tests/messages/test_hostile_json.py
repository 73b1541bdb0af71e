"""Untrusted JSON is refused with a code, never an exception: over-long integers, errors followed by malformed text,
and keys or values whose characters XML, UTF-8 or a receipt cannot carry."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from gateway.receipts import build_receipt
from schemas.codec import Format, decode, encode, validate
from schemas.errors import Issue, MessageError
from schemas.message_types import MessageType
from schemas.response import ReceiptMessage
from schemas.samples import all_samples

LIMIT = sys.get_int_max_str_digits()
TOO_LONG = "1" * (LIMIT + 700)


def _codes(data: bytes) -> list[tuple[str, str]]:
    return [(i.code, i.location) for i in validate(data).issues]


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ('{"Head": {"a": ' + TOO_LONG + "}}", "/Head/a"),
        ('{"Head": [{"a": -' + TOO_LONG + "}]}", "/Head/0/a"),
        ("[" + TOO_LONG + "]", "/0"),
        ('{"Head": {"a": ' + TOO_LONG + "}, bad", ""),  # malformed after the number: no location, still a code
    ],
)
def test_integer_longer_than_python_converts_is_refused(data: str, location: str) -> None:
    """Python refuses to convert integers of over 4300 digits (ValueError): that is the message's fault, not ours."""
    assert _codes(data.encode()) == [("TOO_MANY_DIGITS", location)]


def test_integer_too_long_in_a_real_message_is_located() -> None:
    text = encode(all_samples()[MessageType.MT2301], "json").decode()
    text = text.replace('"QuantityQuantity":120', f'"QuantityQuantity":{TOO_LONG}', 1)
    with pytest.raises(MessageError) as e:
        decode(text.encode())
    [issue] = e.value.issues
    where = "/Declaration/Consignment/0/ConsignmentPackaging/QuantityQuantity"
    assert (issue.code, issue.location) == ("TOO_MANY_DIGITS", where)
    assert f"{len(TOO_LONG)} digits" in issue.message


def test_duplicate_key_followed_by_malformed_text_is_refused() -> None:
    """The duplicate is found while parsing; locating it again must not fail on what follows."""
    assert _codes(b'{"x": {"a": 1, "a": 2}, bad') == [("JSON_DUPLICATE_KEY", "")]
    assert _codes(b'{"x": {"a": 1, "a": 2}, "n": ' + TOO_LONG.encode() + b"}") == [("JSON_DUPLICATE_KEY", "/x/a")]


@pytest.mark.parametrize(
    ("data", "location"),
    [
        (b'{"Head": {"\\ud800": 1, "\\ud800": 2}}', "/Head/\\ud800"),
        (b'{"Head": {"\\u0001": 1, "\\u0001": 2}}', "/Head/\\x01"),
        (b'{"Head": {"a\\uffffb": 1, "a\\uffffb": 2}}', "/Head/a\\uffffb"),
    ],
)
def test_unprintable_keys_are_escaped_in_locations(data: bytes, location: str) -> None:
    [issue] = validate(data).issues
    assert (issue.code, issue.location) == ("JSON_DUPLICATE_KEY", location)
    issue.location.encode()  # UTF-8 can carry it (a lone surrogate could not be encoded)


def test_issue_text_is_printable_so_receipts_can_carry_it() -> None:
    """Issues quote the message (keys, values): a control character or lone surrogate in them would make the
    rejection receipt fail to build (the receipt's text types refuse them) and the gateway fail on the message."""
    issue = Issue("UNKNOWN_ELEMENT", "remove \x01\ud800\ufffe: tab\tstays", "/Head/\x1f")
    assert (issue.message, issue.location) == ("remove \\x01\\ud800\\ufffe: tab\tstays", "/Head/\\x1f")
    fmts: tuple[Format, ...] = ("json", "xml")
    for fmt in fmts:
        _, receipt = build_receipt(
            to="8000",
            reference_id="M-1",
            reference_type=MessageType.MT2301,
            delivered_to=None,
            issues=[issue],
            correlation_id=None,
            digest="0" * 64,
            fmt=fmt,
            now=datetime.now(UTC),
        )
        got = decode(receipt, rules=False)
        assert isinstance(got, ReceiptMessage)
        assert got.response.error[0].location == "/Head/\\x1f"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1e1000000000000000000", "OUT_OF_RANGE"),  # an exponent beyond what Decimal holds
        ("-1e1000000000000000000", "OUT_OF_RANGE"),
        ("1.0e-999999999999999999999", "NOT_AN_INTEGER"),
        ("1e999999999999999999", "OUT_OF_RANGE"),
    ],
)
def test_numbers_beyond_any_exponent_are_refused_with_a_code(number: str, code: str) -> None:
    sample = encode(all_samples()[MessageType.MT1101], "json").decode()
    at_leaf = sample.replace('"QuantityQuantity":120', f'"QuantityQuantity":{number}', 1)
    assert at_leaf != sample
    assert [c for c, loc in _codes(at_leaf.encode()) if loc.endswith("/QuantityQuantity")] == [code]
    unknown = '{"Head":{"MessageType":"MT1101"},"Declaration":{"Foo":' + number + "}}"  # no leaf there
    assert ("UNKNOWN_ELEMENT", "/Declaration/Foo") in _codes(unknown.encode())


def test_the_exact_number_check_keeps_to_numeric_leaves() -> None:
    """A key of digits int() refuses ('²'), and a single value written as a list: no crash, one issue each."""
    superscript = b'{"Head":{"MessageType":"MT2101"},"Declaration":{"\\u00b2":1.00000000000000001}}'
    assert ("UNKNOWN_ELEMENT", "/Declaration/\u00b2") in _codes(superscript)
    sample = encode(all_samples()[MessageType.MT1101], "json").decode()
    listed = sample.replace('"TotalGrossMassMeasure":2450.5', '"TotalGrossMassMeasure":[2450.50000000000000001]', 1)
    assert listed != sample
    assert [c for c, loc in _codes(listed.encode()) if "TotalGrossMassMeasure" in loc] == ["NOT_A_NUMBER"]
