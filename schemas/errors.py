"""Validation issues and the catalogue of stable error codes.

Every problem found in a message is an :class:`Issue`: a stable ``code`` that scripts can rely on, a
``location`` (an XPath for XML, a JSON pointer for JSON), the ``line`` for XML when known, and a ``message``
sentence that says what is wrong and what to do about it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

# code -> what it means. Documented in README ("Error codes"); tests check every raised code is listed here.
CODES: dict[str, str] = {
    # transport / parsing
    "EMPTY_BODY": "The message is empty.",
    "PAYLOAD_TOO_LARGE": "The message is larger than the configured limit.",
    "FORMAT_UNKNOWN": "The message is neither XML nor JSON.",
    "ENCODING_INVALID": "The bytes are not valid UTF-8, or another encoding was declared.",
    "XML_MALFORMED": "The XML is not well-formed.",
    "XML_DOCTYPE_FORBIDDEN": "A DOCTYPE (and with it DTDs and entity declarations) is not allowed.",
    "XML_ENTITY_FORBIDDEN": "Entity references other than the five predefined ones are not allowed.",
    "XML_PI_FORBIDDEN": "Processing instructions (other than the XML declaration) are not allowed.",
    "XML_TOO_DEEP": "Elements are nested deeper than the limit.",
    "JSON_MALFORMED": "The JSON is not well-formed.",
    "JSON_DUPLICATE_KEY": "An object has the same key twice.",
    "JSON_TOO_DEEP": "Objects/arrays are nested deeper than the limit.",
    # envelope / structure
    "UNKNOWN_MESSAGE_TYPE": "The namespace, root element or Head/MessageType names no known message type.",
    "WRONG_NAMESPACE": "An element is not in the namespace of its message type.",
    "WRONG_ROOT_ELEMENT": "The root element is not the one this message type uses.",
    "MESSAGE_TYPE_MISMATCH": "Head/MessageType disagrees with the namespace or root element.",
    "UNKNOWN_ELEMENT": "An element or key that the message type does not define.",
    "DUPLICATE_ELEMENT": "An element that may occur once occurs more than once.",
    "ELEMENT_OUT_OF_ORDER": "Elements are not in the order the schema defines.",
    "UNEXPECTED_ATTRIBUTE": "An attribute the XSD does not allow (only xsi:schemaLocation, "
    "xsi:noNamespaceSchemaLocation and an xsi:type naming the element's own type are).",
    "UNEXPECTED_TEXT": "Text directly inside an element that only holds elements.",
    "REQUIRED_MISSING": "A required element or key is missing.",
    "WRONG_TYPE": "A value has the wrong JSON type (object, array, string, number).",
    # values
    "TOO_SHORT": "A value or list is shorter than allowed.",
    "TOO_LONG": "A value or list is longer than allowed.",
    "FORMAT_INVALID": "A value does not have the required format.",
    "CONTROL_CHARACTER": "A text contains a control character.",
    "UNKNOWN_CODE": "A coded value is not in its code list.",
    "NOT_AN_INTEGER": "A value is not a whole number.",
    "NOT_A_NUMBER": "A value is not a decimal number.",
    "OUT_OF_RANGE": "A number is below the minimum or above the maximum.",
    "TOO_MANY_DECIMALS": "A decimal number has more fraction digits than allowed.",
    "TOO_MANY_DIGITS": "A decimal number has more digits than allowed.",
    "DATETIME_INVALID": "A date-time is not a real YYYYMMDDHHmmssfff instant.",
    "DATE_INVALID": "A date is not a real YYYYMMDD day.",
    # identifiers and code lists
    "USCC_INVALID": "A unified social credit code does not have the 18-character format.",
    "USCC_CHECK_CHARACTER": "A unified social credit code has the wrong check character.",
    "PARTY_ID_INVALID": "A party ID is not USCI+<USCC>, AEO+<country><code> or 9999.",
    "CONTAINER_NUMBER_INVALID": "A container number is not in ISO 6346 format.",
    "CONTAINER_CHECK_DIGIT": "A container number has the wrong ISO 6346 check digit.",
    "HS_CODE_INVALID": "An HS code is not 10 digits with a valid chapter.",
    "UNKNOWN_LOCODE": "A UN/LOCODE is not one the simulator knows.",
    "UNKNOWN_CUSTOMS_CODE": "A customs office code is not one the simulator knows.",
    "DECLARATION_NUMBER_INVALID": "A customs declaration number is not 18 digits customs+year+I/E+sequence.",
    # cross-field rules
    "MASS_MISMATCH": "Gross masses of the items do not add up to the consignment's total.",
    "PACKAGE_COUNT_MISMATCH": "Package quantities of the items do not add up to the consignment's total.",
    "SEQUENCE_INVALID": "Sequence numbers are not 1, 2, 3, ... in order.",
    "DUPLICATE_REFERENCE": "The same document or item reference appears twice in one message.",
    "DATES_OUT_OF_ORDER": "Dates that must follow each other do not.",
    "LEG_CHAIN_BROKEN": "A transport leg does not start where the previous one ended.",
    "ENDORSEMENT_CHAIN_BROKEN": "An endorsement is not made by the holder at that time.",
    "TOTAL_MISMATCH": "A stated total does not equal the sum of its parts.",
    "INCONSISTENT_STATUS": "Status values contradict each other.",
}


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""What XML 1.0 cannot carry (the receipts' text types refuse it too), and lone surrogates, which UTF-8 cannot."""


def printable(text: str) -> str:
    """``text`` with every :data:`_UNPRINTABLE` character written as its Python escape (``\\x01``, ``\\ud800``)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a message.

    ``message`` and ``location`` often quote the message itself (a key, a value), so control characters and lone
    surrogates in them are escaped (:func:`printable`): an issue can always be encoded as UTF-8, and put into an
    XML or JSON receipt."""

    code: str
    message: str
    location: str
    line: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", printable(self.message))
        object.__setattr__(self, "location", printable(self.location))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = self.location + (f" (line {self.line})" if self.line is not None else "")
        return f"{self.code} at {where}: {self.message}"


class MessageError(Exception):
    """Raised when a message cannot be decoded or is invalid; carries every issue found."""

    def __init__(self, issues: list[Issue], message_type: str | None = None) -> None:
        if not issues:
            raise ValueError("MessageError needs at least one issue")
        self.issues = issues
        self.message_type = message_type  # when the message said which type it is
        super().__init__("; ".join(str(i) for i in issues[:5]) + (" ..." if len(issues) > 5 else ""))

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]
