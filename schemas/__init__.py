"""Message formats of the single window: models, code lists, XML/JSON codecs, XSD/JSON Schema, samples.

Pure data: nothing here does network, Kafka, HTTP or file I/O.
"""

from schemas.base import Element
from schemas.codec import Format, Report, decode, detect_format, encode, validate
from schemas.envelope import Head, Message
from schemas.errors import CODES, Issue, MessageError
from schemas.message_types import TYPE_INFO, MessageType
from schemas.registry import SPECS, MessageSpec, spec_for

__all__ = [
    "CODES",
    "SPECS",
    "TYPE_INFO",
    "Element",
    "Format",
    "Head",
    "Issue",
    "Message",
    "MessageError",
    "MessageSpec",
    "MessageType",
    "Report",
    "decode",
    "detect_format",
    "encode",
    "spec_for",
    "validate",
]
