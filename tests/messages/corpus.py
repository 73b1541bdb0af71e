"""The negative corpus: one case per failure mode, each with the exact error code (and location) expected.

``level`` says who must reject it: ``structural`` the published XSD / JSON Schema too (they agree with the
validator), ``semantic`` only the validator (check characters, totals, dates, chains: beyond what a schema can
express, so the schema must *accept* it), ``parse`` refused before any schema applies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from schemas.codec import encode
from schemas.message_types import MessageType
from schemas.samples import all_samples


@dataclass(frozen=True)
class Case:
    id: str
    type: str
    fmt: str
    mutate: Callable[[str], str]
    code: str
    location: str | None
    level: str
    also: frozenset[str] = frozenset()  # consequential codes the same mistake also (truly) causes


@cache
def sample_text(code: str, fmt: str) -> str:
    return encode(all_samples()[MessageType(code)], fmt, pretty=True).decode()  # type: ignore[arg-type]


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def f(text: str) -> str:
        assert old in text, f"corpus mutation target {old!r} not in sample"
        return text.replace(old, new, count)

    return f


def rsub(pattern: str, new: str) -> Callable[[str], str]:
    def f(text: str) -> str:
        out, n = re.subn(pattern, new, text, count=1)
        assert n == 1, f"corpus pattern {pattern!r} not in sample"
        return out

    return f


def js(edit: Callable[[dict[str, Any]], Any]) -> Callable[[str], str]:
    def f(text: str) -> str:
        doc = json.loads(text)
        edit(doc)
        return json.dumps(doc, ensure_ascii=False)

    return f


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.strip("/").split("/")]
        node: Any = doc
        for p in parents:
            node = node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return edit


_DELETE = object()


def _flip_check(text: str, pattern: str) -> str:
    """Change the check character of the first match of ``pattern`` (a full code in group 1)."""
    m = re.search(pattern, text)
    assert m is not None
    code = m.group(1)
    last = "0" if code[-1] != "0" else "1"
    start, end = m.span(1)
    return text[:start] + code[:-1] + last + text[end:]


M = "/Manifest"
D = "/Manifest/Declaration"
C1 = "/Manifest/Declaration/Consignment[1]"

X = "xml"
CASES: list[Case] = [
    # --- envelope and structure (XSD rejects too)
    Case(
        "unknown-element",
        "MT2101",
        X,
        sub("<Version>", "<Foo>1</Foo>\n    <Version>"),
        "UNKNOWN_ELEMENT",
        f"{M}/Head/Foo",
        "structural",
    ),
    Case(
        "missing-element",
        "MT2101",
        X,
        rsub(r"\s*<SendTime>[0-9]+</SendTime>", ""),
        "REQUIRED_MISSING",
        f"{M}/Head/SendTime",
        "structural",
    ),
    Case(
        "wrong-namespace",
        "MT2101",
        X,
        rsub(r"<MessageID>([^<]*)</MessageID>", r'<x:MessageID xmlns:x="urn:other">\1</x:MessageID>'),
        "WRONG_NAMESPACE",
        f"{M}/Head/MessageID",
        "structural",
        frozenset({"REQUIRED_MISSING"}),
    ),
    Case(
        "xinclude",
        "MT2101",
        X,
        sub(
            "<Version>",
            '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
            'href="file:///etc/passwd" parse="text"/>\n    <Version>',
        ),
        "WRONG_NAMESPACE",
        None,
        "structural",
    ),
    Case("unknown-namespace", "MT2101", X, sub("CN:MT2101:1", "CN:MT2109:1"), "UNKNOWN_MESSAGE_TYPE", M, "structural"),
    Case(
        "wrong-root",
        "MT2101",
        X,
        lambda t: t.replace("<Manifest ", "<Waybill ").replace("</Manifest>", "</Waybill>"),
        "WRONG_ROOT_ELEMENT",
        "/Waybill",
        "structural",
    ),
    Case(
        "type-mismatch",
        "MT2101",
        X,
        sub("<MessageType>MT2101<", "<MessageType>MT2201<"),
        "MESSAGE_TYPE_MISMATCH",
        f"{M}/Head/MessageType",
        "structural",
    ),
    Case(
        "duplicate-element",
        "MT2101",
        X,
        sub("<Version>1.0</Version>", "<Version>1.0</Version><Version>1.0</Version>"),
        "DUPLICATE_ELEMENT",
        f"{M}/Head/Version",
        "structural",
    ),
    Case(
        "out-of-order",
        "MT2101",
        X,
        rsub(r"(<MessageID>[^<]*</MessageID>)(\s*)(<FunctionCode>9</FunctionCode>)", r"\3\2\1"),
        "ELEMENT_OUT_OF_ORDER",
        f"{M}/Head/MessageID",
        "structural",
    ),
    Case("attribute", "MT2101", X, sub("<Head>", '<Head id="1">'), "UNEXPECTED_ATTRIBUTE", f"{M}/Head", "structural"),
    Case("mixed-text", "MT2101", X, sub("<Head>", "<Head>junk"), "UNEXPECTED_TEXT", f"{M}/Head", "structural"),
    Case(
        "text-too-long",
        "MT2101",
        X,
        sub("<Name>Synthetic Declarant</Name>", f"<Name>{'x' * 71}</Name>"),
        "TOO_LONG",
        f"{D}/RepresentativePerson/Name",
        "structural",
    ),
    Case(
        "text-empty",
        "MT2101",
        X,
        sub("<Name>Synthetic Declarant</Name>", "<Name></Name>"),
        "TOO_SHORT",
        f"{D}/RepresentativePerson/Name",
        "structural",
    ),
    Case(
        "bad-sender-format",
        "MT2101",
        X,
        rsub(r"<SenderID>[^<]*</SenderID>", "<SenderID>ABC</SenderID>"),
        "FORMAT_INVALID",
        f"{M}/Head/SenderID",
        "structural",
    ),
    Case(
        "unknown-code",
        "MT2101",
        X,
        sub("<FunctionCode>9<", "<FunctionCode>7<"),
        "UNKNOWN_CODE",
        f"{M}/Head/FunctionCode",
        "structural",
    ),
    Case(
        "unknown-locode",
        "MT2101",
        X,
        sub("<ID>CNCTU</ID>", "<ID>CNXXX</ID>"),
        "UNKNOWN_LOCODE",
        f"{C1}/LoadingLocation/ID",
        "structural",
    ),
    Case(
        "unknown-customs-code",
        "MT2101",
        X,
        sub("<ID>9402</ID>", "<ID>9499</ID>"),
        "UNKNOWN_CUSTOMS_CODE",
        f"{D}/ExitCustomsOffice/ID",
        "structural",
    ),
    Case(
        "not-an-integer",
        "MT2101",
        X,
        sub("<QuantityQuantity>120<", "<QuantityQuantity>12a<"),
        "NOT_AN_INTEGER",
        f"{C1}/ConsignmentPackaging/QuantityQuantity",
        "structural",
    ),
    Case(
        "not-a-number",
        "MT2101",
        X,
        sub("<TotalGrossMassMeasure>2450.5<", "<TotalGrossMassMeasure>2450,5<"),
        "NOT_A_NUMBER",
        f"{C1}/TotalGrossMassMeasure",
        "structural",
    ),
    Case(
        "negative",
        "MT2101",
        X,
        sub("<QuantityQuantity>120<", "<QuantityQuantity>-1<"),
        "OUT_OF_RANGE",
        f"{C1}/ConsignmentPackaging/QuantityQuantity",
        "structural",
    ),
    Case(
        "too-many-decimals",
        "MT2101",
        X,
        sub("<TotalGrossMassMeasure>2450.5<", "<TotalGrossMassMeasure>2450.5001<"),
        "TOO_MANY_DECIMALS",
        f"{C1}/TotalGrossMassMeasure",
        "structural",
    ),
    Case(
        "too-many-digits",
        "MT2101",
        X,
        sub("<TotalGrossMassMeasure>2450.5<", "<TotalGrossMassMeasure>245000000000.5<"),
        "TOO_MANY_DIGITS",
        f"{C1}/TotalGrossMassMeasure",
        "structural",
    ),
    Case(
        "hs-code-short",
        "DC101",
        X,
        sub("<HSCode>8471300000<", "<HSCode>847130<"),
        "HS_CODE_INVALID",
        "/GoodsDeclaration/Declaration/GoodsItem[1]/HSCode",
        "structural",
    ),
    Case(
        "hs-code-chapter-77",
        "DC101",
        X,
        sub("<HSCode>8471300000<", "<HSCode>7701000000<"),
        "HS_CODE_INVALID",
        "/GoodsDeclaration/Declaration/GoodsItem[1]/HSCode",
        "structural",
    ),
    Case(
        "uscc-format",
        "TX101",
        X,
        rsub(r"<TaxpayerUSCC>[0-9A-Z]{4}", "<TaxpayerUSCC>91IO"),
        "USCC_INVALID",
        "/TaxRecord/Declaration/Record/TaxpayerUSCC",
        "structural",
    ),
    Case(
        "party-id-format",
        "MT2101",
        X,
        rsub(r"<ID>USCI\+[0-9A-Z]{18}</ID>", "<ID>XYZ+123</ID>"),
        "PARTY_ID_INVALID",
        f"{C1}/Consignor/ID",
        "structural",
    ),
    Case(
        "container-format",
        "MT2101",
        X,
        rsub(r"<ID>SWSU[0-9]{7}</ID>", "<ID>SWS1234567</ID>"),
        "CONTAINER_NUMBER_INVALID",
        f"{C1}/TransportEquipment[1]/EquipmentIdentification/ID",
        "structural",
    ),
    Case(
        "declaration-number",
        "DC101",
        X,
        sub("<DeclarationNumber>790020260000012345<", "<DeclarationNumber>79002026000001234<"),
        "DECLARATION_NUMBER_INVALID",
        "/GoodsDeclaration/Declaration/DeclarationNumber",
        "structural",
    ),
    Case(
        "datetime-format",
        "MT2101",
        X,
        rsub(r"<SendTime>[0-9]+</SendTime>", "<SendTime>2026-03-14</SendTime>"),
        "DATETIME_INVALID",
        f"{M}/Head/SendTime",
        "structural",
    ),
    Case(
        "date-format",
        "TX101",
        X,
        rsub(r"<RegistrationDate>[0-9]+</RegistrationDate>", "<RegistrationDate>2023-01-01</RegistrationDate>"),
        "DATE_INVALID",
        "/TaxRecord/Declaration/RegistrationDate",
        "structural",
    ),
    Case(
        "too-many-seals",
        "MT2101",
        X,
        sub("<SealID>SWSEAL000123</SealID>", "<SealID>S</SealID>" * 10),
        "TOO_LONG",
        f"{C1}/TransportEquipment[1]/SealID",
        "structural",
    ),
    # --- beyond what a schema can say (the XSD accepts; the validator rejects)
    Case(
        "uscc-check-character",
        "TX101",
        X,
        lambda t: _flip_check(t, r"<TaxpayerUSCC>([0-9A-Z]{18})<"),
        "USCC_CHECK_CHARACTER",
        "/TaxRecord/Declaration/Record/TaxpayerUSCC",
        "semantic",
    ),
    Case(
        "party-uscc-check",
        "MT2101",
        X,
        lambda t: _flip_check(t, r"<ID>USCI\+([0-9A-Z]{18})</ID>"),
        "USCC_CHECK_CHARACTER",
        f"{C1}/Consignor/ID",
        "semantic",
    ),
    Case(
        "container-check-digit",
        "MT2101",
        X,
        lambda t: _flip_check(t, r"<ID>(SWSU[0-9]{7})</ID>"),
        "CONTAINER_CHECK_DIGIT",
        f"{C1}/TransportEquipment[1]/EquipmentIdentification/ID",
        "semantic",
    ),
    Case(
        "datetime-not-real",
        "MT2101",
        X,
        rsub(r"<SendTime>[0-9]+</SendTime>", "<SendTime>20261340093000000</SendTime>"),
        "DATETIME_INVALID",
        f"{M}/Head/SendTime",
        "semantic",
    ),
    Case(
        "date-not-real",
        "TX101",
        X,
        rsub(r"<RegistrationDate>[0-9]+</RegistrationDate>", "<RegistrationDate>20230231</RegistrationDate>"),
        "DATE_INVALID",
        "/TaxRecord/Declaration/RegistrationDate",
        "semantic",
    ),
    Case(
        "mass-mismatch",
        "MT2101",
        X,
        sub("<TotalGrossMassMeasure>2450.5<", "<TotalGrossMassMeasure>2450.7<"),
        "MASS_MISMATCH",
        f"{C1}/TotalGrossMassMeasure",
        "semantic",
    ),
    Case(
        "package-mismatch",
        "MT2101",
        X,
        sub("<QuantityQuantity>120<", "<QuantityQuantity>121<"),
        "PACKAGE_COUNT_MISMATCH",
        f"{C1}/ConsignmentPackaging/QuantityQuantity",
        "semantic",
    ),
    Case(
        "sequence",
        "MT2101",
        X,
        sub("<SequenceNumeric>2<", "<SequenceNumeric>3<"),
        "SEQUENCE_INVALID",
        f"{C1}/ConsignmentItem[2]/SequenceNumeric",
        "semantic",
    ),
    Case(
        "dates-out-of-order",
        "RA101",
        X,
        rsub(r"<ValidUntil>[0-9]+</ValidUntil>", "<ValidUntil>20200101000000000</ValidUntil>"),
        "DATES_OUT_OF_ORDER",
        "/RiskAlert/Declaration/ValidUntil",
        "semantic",
    ),
    Case(
        "leg-chain",
        "WB101",
        X,
        sub("<DepartureLocationID>CNCKG<", "<DepartureLocationID>CNWZH<"),
        "LEG_CHAIN_BROKEN",
        "/MultimodalWaybill/Declaration/Leg[2]/DepartureLocationID",
        "semantic",
    ),
    Case(
        "endorsement-chain",
        "WB101",
        X,
        lambda t: re.sub(
            r"(<Endorsement>\s*<SequenceNumeric>1</SequenceNumeric>\s*<FromParty>\s*<ID>)[^<]+", r"\g<1>9999", t
        ),
        "ENDORSEMENT_CHAIN_BROKEN",
        "/MultimodalWaybill/Declaration/Title/Endorsement[1]/FromParty/ID",
        "semantic",
    ),
    Case(
        "value-total",
        "DC101",
        X,
        sub("<TotalValueAmount>380000.0<", "<TotalValueAmount>380001.0<"),
        "TOTAL_MISMATCH",
        "/GoodsDeclaration/Declaration/TotalValueAmount",
        "semantic",
    ),
    Case(
        "refund-transition",
        "TX201",
        X,
        sub("<StateCode>REFUNDED<", "<StateCode>WRITTEN_OFF<"),
        "INCONSISTENT_STATUS",
        "/TaxRefundCase/Declaration/StateCode",
        "semantic",
    ),
    Case(
        "receipt-status-contradicts-code",
        "MT9999",
        X,
        sub("<StatusCode>01<", "<StatusCode>03<"),  # "19000 Accepted" with status rejected
        "INCONSISTENT_STATUS",
        "/Manifest/Response/StatusCode",
        "semantic",
    ),
    Case(
        "json-receipt-status-contradicts-code",
        "MT9999",
        "json",
        js(_set("/Response/ResponseType/Code", "19040")),  # "released" with status 01 (accepted)
        "INCONSISTENT_STATUS",
        "/Response/StatusCode",
        "semantic",
    ),
    Case(
        "duplicate-bill",
        "MT2101",
        X,
        lambda t: _duplicate_consignment(t),
        "DUPLICATE_REFERENCE",
        "/Manifest/Declaration/Consignment[2]/TransportContractDocument/ID",
        "semantic",
    ),
    # --- JSON
    Case(
        "json-wrong-type",
        "MT2101",
        "json",
        js(_set("/Declaration/RepresentativePerson/Name", 5)),
        "WRONG_TYPE",
        "/Declaration/RepresentativePerson/Name",
        "structural",
    ),
    Case(
        "json-number-as-text",
        "MT2101",
        "json",
        js(_set("/Declaration/Consignment/0/ConsignmentPackaging/QuantityQuantity", "120")),
        "NOT_AN_INTEGER",
        "/Declaration/Consignment/0/ConsignmentPackaging/QuantityQuantity",
        "structural",
    ),
    Case(
        "json-unknown-key", "MT2101", "json", js(_set("/Head/Foo", "x")), "UNKNOWN_ELEMENT", "/Head/Foo", "structural"
    ),
    Case(
        "json-missing-key",
        "MT2101",
        "json",
        js(_set("/Head/SendTime", _DELETE)),
        "REQUIRED_MISSING",
        "/Head/SendTime",
        "structural",
    ),
    Case(
        "json-empty-list",
        "MT2101",
        "json",
        js(_set("/Declaration/Consignment/0/ConsignmentItem", [])),
        "TOO_SHORT",
        "/Declaration/Consignment/0/ConsignmentItem",
        "structural",
    ),
    Case(
        "json-declaration-number-office",
        "DC101",
        "json",
        js(_set("/Declaration/DeclarationNumber", "800020260000012345")),
        "DECLARATION_NUMBER_INVALID",
        "/Declaration/DeclarationNumber",
        "semantic",
    ),
    Case(
        "json-refund-deadline-before-release",
        "TX201",
        "json",
        js(_set("/Declaration/ExitDeadlineDate", "20000101")),
        "DATES_OUT_OF_ORDER",
        "/Declaration/ExitDeadlineDate",
        "semantic",
    ),
    Case(  # seals are optional in the shared equipment type, required for through-transport: a rule, not the schema
        "json-unsealed-transit",
        "TT101",
        "json",
        js(_set("/Declaration/TransportEquipment/0/SealID", [])),
        "REQUIRED_MISSING",
        "/Declaration/TransportEquipment/0/SealID",
        "semantic",
    ),
    Case(  # a JSON number where a code list expects text: the type is wrong, not the code
        "json-code-as-number",
        "MT2101",
        "json",
        js(_set("/Head/FunctionCode", 9)),
        "WRONG_TYPE",
        "/Head/FunctionCode",
        "structural",
    ),
    Case(  # half a surrogate pair: well-formed JSON text, beyond what a schema says, not Unicode
        "json-lone-surrogate",
        "MT2101",
        "json",
        sub('"Name": "', '"Name": "\\ud800'),
        "ENCODING_INVALID",
        "/Declaration/RepresentativePerson/Name",
        "semantic",
    ),
    Case("json-bom", "MT2101", "json", lambda t: "\ufeff" + t, "JSON_MALFORMED", "", "parse"),
    Case(
        "json-control-char",
        "MT2101",
        "json",
        js(_set("/Declaration/RepresentativePerson/Name", "a\u0001b")),
        "CONTROL_CHARACTER",
        "/Declaration/RepresentativePerson/Name",
        "structural",
    ),
    Case(
        "json-unknown-type",
        "MT2101",
        "json",
        js(_set("/Head/MessageType", "MT0000")),
        "UNKNOWN_MESSAGE_TYPE",
        "/Head/MessageType",
        "structural",
    ),
    Case("json-no-head", "MT2101", "json", js(_set("/Head", _DELETE)), "REQUIRED_MISSING", "/Head", "structural"),
    Case(  # Python's re, as in the jsonschema package, lets $ match before a final newline: the schema says no too
        "json-final-newline",
        "MT2101",
        "json",
        js(_set("/Head/SenderID", "79006FMHDQAEJ\n")),
        "FORMAT_INVALID",
        "/Head/SenderID",
        "structural",
    ),
    Case(
        "json-deep",
        "MT2101",
        "json",
        js(_set("/Head/Deep", json.loads("[" * 60 + "]" * 60))),
        "JSON_TOO_DEEP",
        None,
        "structural",
    ),
    Case(
        "json-uscc-check",
        "TX101",
        "json",
        lambda t: _flip_check(t, r'"TaxpayerUSCC": "([0-9A-Z]{18})"'),
        "USCC_CHECK_CHARACTER",
        "/Declaration/Record/TaxpayerUSCC",
        "semantic",
    ),
    Case(
        "json-mass-mismatch",
        "MT2101",
        "json",
        js(_set("/Declaration/Consignment/0/TotalGrossMassMeasure", 2450.7)),
        "MASS_MISMATCH",
        "/Declaration/Consignment/0/TotalGrossMassMeasure",
        "semantic",
    ),
    Case(
        "json-duplicate-key",
        "MT2101",
        "json",
        sub('"Version": "1.0"', '"Version": "1.0", "Version": "1.0"'),
        "JSON_DUPLICATE_KEY",
        "/Head/Version",
        "parse",
    ),
    Case("json-malformed", "MT2101", "json", lambda t: t[:-3], "JSON_MALFORMED", None, "parse"),
    Case("json-not-object", "MT2101", "json", lambda t: "[1, 2]", "WRONG_TYPE", None, "parse"),
    Case("not-xml-or-json", "MT2101", X, lambda t: "hello", "FORMAT_UNKNOWN", None, "parse"),
    Case("empty", "MT2101", X, lambda t: "  \n", "EMPTY_BODY", None, "parse"),
    Case("xml-malformed", "MT2101", X, lambda t: t.replace("</Head>", "", 1), "XML_MALFORMED", None, "parse"),
]


def _duplicate_consignment(text: str) -> str:
    start = text.index("<Consignment>")
    end = text.index("</Consignment>") + len("</Consignment>")
    return text[:end] + text[start:end] + text[end:]
