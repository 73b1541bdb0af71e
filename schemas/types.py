"""Named scalar types used by every message model (see :mod:`schemas.leaf`).

Each type validates, carries its error code and a sentence saying what to fix, and describes itself for the XSD
and JSON Schema generators. Check characters (USCC, ISO 6346) come from python-stdnum.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError
from stdnum import iso6346
from stdnum.cn import uscc as stdnum_uscc

from schemas.leaf import Leaf
from schemas.numerals import INT_NUMERAL, decimal_numeral

__all__ = [
    "CST",
    "Amount",
    "ContainerNumber",
    "Count",
    "CountryCode",
    "CurrencyCode",
    "CustomsDate",
    "CustomsDateTime",
    "DeclarationNumber",
    "DocumentId",
    "HSCode",
    "JourneyId",
    "MaskedPhone",
    "Mass",
    "MessageId",
    "NodeId",
    "PartyCode",
    "Percent",
    "Sequence",
    "Sha256Hex",
    "Text17",
    "Text35",
    "Text70",
    "Text256",
    "Text512",
    "Uscc",
    "Version",
    "leaf_of",
]

CST = timezone(timedelta(hours=8), "CST")
"""China Standard Time: every customs date-time is Beijing time [fact: SendTime is local time]."""

# characters XML 1.0 cannot carry: rejected in every text so both encodings accept the same values
# (checked by pydantic-core's regex engine; lone surrogates never reach it: they fail UTF-8 first)
_TEXT_RUST_PATTERN = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x{FFFE}\\x{FFFF}]*$"
_TEXT_JSON_PATTERN = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]*$"


def leaf_of(metadata: list[Any] | tuple[Any, ...]) -> Leaf | None:
    """The Leaf marker in an Annotated type's metadata, if any."""
    for m in metadata:
        if isinstance(m, Leaf):
            return m
    return None


def _text(n: int) -> Any:
    leaf = Leaf(
        f"Text{n}",
        "xs:string",
        f"Text of 1 to {n} characters.",
        min_length=1,
        max_length=n,
        code="CONTROL_CHARACTER",
        fix="remove the control character: XML cannot carry it (tab, CR and LF are allowed)",
        extra_json={"pattern": _TEXT_JSON_PATTERN},
    )

    return Annotated[str, Field(min_length=1, max_length=n, pattern=_TEXT_RUST_PATTERN), leaf]


Text17 = _text(17)
Text35 = _text(35)
Text70 = _text(70)
Text256 = _text(256)
Text512 = _text(512)


def _coded(
    name: str,
    pattern: str,
    code: str,
    fix: str,
    doc: str,
    extra: Callable[[str], str] | None = None,
) -> Any:
    """A string type matching ``pattern`` (error ``code``; checked in pydantic-core), then ``extra`` if given
    (check characters; it raises its own code)."""
    leaf = Leaf(name, "xs:string", doc, pattern=pattern, code=code, fix=fix)
    parts: list[Any] = [str, Field(pattern=f"^(?:{pattern})$")]
    if extra is not None:
        parts.append(AfterValidator(extra))
    parts.append(leaf)
    return Annotated[tuple(parts)]


_USCC_CHARS = "0-9A-HJ-NPQRTUWXY"
_USCC_PATTERN = f"[{_USCC_CHARS}]{{2}}[0-9]{{6}}[{_USCC_CHARS}]{{10}}"


@lru_cache(maxsize=65536)
def _uscc_expected(first17: str) -> str:
    # memoised: the same parties recur across messages, and stdnum's input cleaning is slow (~25 us)
    return str(stdnum_uscc.calc_check_digit(first17))


def _uscc_check(v: str) -> str:
    expected = _uscc_expected(v[:17])
    if v[17] != expected:
        raise PydanticCustomError(
            "USCC_CHECK_CHARACTER",
            "unified social credit code {value} has check character '{got}' but its first 17 characters "
            "give '{expected}': correct the 18th character (or the code)",
            {"value": v, "got": v[17], "expected": expected},
        )
    return v


Uscc = _coded(
    "USCCType",
    _USCC_PATTERN,
    "USCC_INVALID",
    "a unified social credit code has 18 characters: 2 for registry and type, 6 digits of region, "
    "9 of organisation code and a check character (letters I, O, Z, S, V are never used)",
    "Unified social credit code (GB 32100-2015), 18 characters with a check character.",
    _uscc_check,
)


def _party_extra(v: str) -> str:
    if v.startswith("USCI+"):
        _uscc_check(v[5:])
    return v


PartyCode = _coded(
    "PartyCodeType",
    f"USCI\\+{_USCC_PATTERN}|AEO\\+[A-Z]{{2}}[0-9A-Z]{{1,20}}|9999",
    "PARTY_ID_INVALID",
    "write USCI+ followed by the 18-character unified social credit code, AEO+ followed by the country code "
    "and AEO number, or 9999 for a foreign party without either",
    "Party identification: USCI+<USCC>, AEO+<country><AEO code>, or 9999 [inferred from the new-manifest rules].",
    _party_extra,
)


@lru_cache(maxsize=65536)
def _container_expected(first10: str) -> str:
    return str(iso6346.calc_check_digit(first10))


def _container_check(v: str) -> str:
    expected = _container_expected(v[:10])
    if v[10] != expected:
        raise PydanticCustomError(
            "CONTAINER_CHECK_DIGIT",
            "container number {value} has check digit {got} but ISO 6346 gives {expected}: "
            "correct the last digit (or the number)",
            {"value": v, "got": v[10], "expected": expected},
        )
    return v


ContainerNumber = _coded(
    "ContainerNumberType",
    "[A-Z]{3}[UJZ][0-9]{7}",
    "CONTAINER_NUMBER_INVALID",
    "an ISO 6346 container number is 3 owner letters, a category letter U, J or Z, 6 digits and a check digit",
    "Container number (ISO 6346) with check digit.",
    _container_check,
)

HSCode = _coded(
    "HSCodeType",
    "(0[1-9]|[1-6][0-9]|7[0-68-9]|8[0-9]|9[0-7])[0-9]{8}",
    "HS_CODE_INVALID",
    "China uses 10-digit HS codes whose first two digits are a chapter 01-97 (77 is unused), e.g. 8471300000",
    "Chinese 10-digit commodity code (first 6 digits international HS).",
)

DeclarationNumber = _coded(
    "DeclarationNumberType",
    "[0-9]{4}(19|20)[0-9]{2}[01][0-9]{9}",
    "DECLARATION_NUMBER_INVALID",
    "a customs declaration number is 18 digits: customs code (4), year (4), 1 import or 0 export, sequence (9)",
    "Customs declaration number (报关单号): customs (4) + year (4) + 1 import / 0 export + sequence (9).",
)

MessageId = _coded(
    "MessageIDType",
    "[A-Za-z0-9][A-Za-z0-9._:-]{0,63}",
    "FORMAT_INVALID",
    "a message ID is 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
    "Message identifier, unique per sender.",
)

NodeId = _coded(
    "NodeIDType",
    "[0-9]{4}|[0-9]{4}[0-9A-Z]{9}|1[0-9]{10}|[A-Z]{2}CUS[A-Z0-9]{0,4}|SWGW",
    "FORMAT_INVALID",
    "a sender/receiver is a 4-digit customs code (e.g. 8000), a 4-digit customs code plus a 9-character "
    "organisation code (a trader or carrier), an 11-digit tax authority code (e.g. 15000000000), a foreign "
    "customs code like SGCUS, or SWGW (the gateway)",
    "Exchange party: customs district (4 digits) [fact]; customs code + 9-char organisation code [fact]; "
    "11-digit tax authority code [inferred]; <country>CUS foreign customs and SWGW gateway [design].",
)

DocumentId = _coded(
    "DocumentIDType",
    "[A-Za-z0-9][A-Za-z0-9/_.-]{0,34}",
    "FORMAT_INVALID",
    "a document number (bill of lading, waybill, transit or case number) is 1 to 35 letters, digits, "
    "'/', '_', '.' or '-', starting with a letter or digit",
    "Transport or customs document number.",
)

JourneyId = _coded(
    "JourneyIDType",
    "[A-Za-z0-9][A-Za-z0-9/_.-]{0,16}",
    "FORMAT_INVALID",
    "a voyage, flight or train number is 1 to 17 letters, digits, '/', '_', '.' or '-'",
    "Voyage, flight or train number.",
)

CountryCode = _coded(
    "CountryCodeType",
    "[A-Z]{2}",
    "FORMAT_INVALID",
    "use the two capital letters of ISO 3166-1 alpha-2, e.g. CN, PL, SG",
    "ISO 3166-1 alpha-2 country code.",
)

CurrencyCode = _coded(
    "CurrencyCodeType",
    "[A-Z]{3}",
    "FORMAT_INVALID",
    "use the three capital letters of ISO 4217, e.g. CNY, EUR, USD",
    "ISO 4217 currency code.",
)

Sha256Hex = _coded(
    "Sha256HexType",
    "[0-9a-f]{64}",
    "FORMAT_INVALID",
    "give the SHA-256 digest as 64 lowercase hexadecimal characters; never send the raw identity number",
    "SHA-256 digest, lowercase hex (personal IDs are never sent or stored in clear).",
)

MaskedPhone = _coded(
    "MaskedPhoneType",
    "1[3-9][0-9]\\*{4}[0-9]{4}",
    "FORMAT_INVALID",
    "send the mobile number masked as 3 digits, 4 asterisks and 4 digits, e.g. 138****1234",
    "Mainland mobile number with the middle four digits masked.",
)

Version = _coded("VersionType", "1\\.0", "FORMAT_INVALID", "the only version is 1.0", "Message version.")


def _datetime_validator(v: Any) -> datetime:
    if isinstance(v, datetime):
        if v.tzinfo is None:
            raise PydanticCustomError("DATETIME_INVALID", "give the date-time with a time zone")
        local: datetime = v.astimezone(CST)
        return local.replace(microsecond=local.microsecond - local.microsecond % 1000)
    if not isinstance(v, str):
        raise PydanticCustomError("WRONG_TYPE", "give the date-time as a string YYYYMMDDHHmmssfff")
    if len(v) != 17 or not v.isascii() or not v.isdigit():
        raise PydanticCustomError(
            "DATETIME_INVALID",
            "'{value}' is not a date-time: write 17 digits YYYYMMDDHHmmssfff in Beijing time, e.g. 20260314093000123",
            {"value": v[:40]},
        )
    try:
        return datetime(
            int(v[0:4]),
            int(v[4:6]),
            int(v[6:8]),
            int(v[8:10]),
            int(v[10:12]),
            int(v[12:14]),
            int(v[14:17]) * 1000,
            tzinfo=CST,
        )
    except ValueError:
        raise PydanticCustomError(
            "DATETIME_INVALID",
            "'{value}' is not a real date and time: check month, day, hour and minute",
            {"value": v},
        ) from None


def format_datetime(v: datetime) -> str:
    v = v.astimezone(CST)
    return v.strftime("%Y%m%d%H%M%S") + f"{v.microsecond // 1000:03d}"


_DT_LEAF = Leaf(
    "DateTimeType",
    "xs:string",
    "Date-time YYYYMMDDHHmmssfff in Beijing time (UTC+8), as Head/SendTime [fact].",
    pattern="[0-9]{17}",
)
CustomsDateTime = Annotated[
    datetime,
    PlainValidator(_datetime_validator),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
    _DT_LEAF,
]


def _date_validator(v: Any) -> date:
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    if not isinstance(v, str):
        raise PydanticCustomError("WRONG_TYPE", "give the date as a string YYYYMMDD")
    if len(v) != 8 or not v.isascii() or not v.isdigit():
        raise PydanticCustomError(
            "DATE_INVALID",
            "'{value}' is not a date: write 8 digits YYYYMMDD, e.g. 20260314",
            {"value": v[:40]},
        )
    try:
        return date(int(v[0:4]), int(v[4:6]), int(v[6:8]))
    except ValueError:
        raise PydanticCustomError(
            "DATE_INVALID", "'{value}' is not a real day: check month and day", {"value": v}
        ) from None


_DATE_LEAF = Leaf("DateType", "xs:string", "Date YYYYMMDD [design: EDIFACT format 102].", pattern="[0-9]{8}")
CustomsDate = Annotated[
    date,
    PlainValidator(_date_validator),
    PlainSerializer(lambda d: d.strftime("%Y%m%d"), return_type=str, when_used="json"),
    _DATE_LEAF,
]


def _decimal(name: str, doc: str, digits: int, places: int) -> Any:
    leaf = Leaf(name, "xs:decimal", doc, min_inclusive=0, total_digits=digits, fraction_digits=places)
    return Annotated[
        Decimal,
        Field(ge=0, max_digits=digits, decimal_places=places, allow_inf_nan=False),
        decimal_numeral(leaf),
        PlainSerializer(float, return_type=float, when_used="json"),
        leaf,
    ]


Mass = _decimal("MassType", "Mass in kilograms, up to 11 whole digits and 3 decimals.", 14, 3)
Amount = _decimal("AmountType", "Money amount, up to 13 whole digits and 2 decimals.", 15, 2)
Percent = _decimal("PercentType", "Percentage, up to 3 whole digits and 2 decimals.", 5, 2)


def _int(name: str, doc: str, lo: int, hi: int) -> Any:
    leaf = Leaf(name, "xs:int", doc, min_inclusive=lo, max_inclusive=hi)
    return Annotated[int, Field(ge=lo, le=hi), INT_NUMERAL, leaf]


Count = _int("CountType", "Whole number of packages or pieces.", 0, 99_999_999)
Sequence = _int("SequenceType", "Sequence number starting at 1.", 1, 9999)
