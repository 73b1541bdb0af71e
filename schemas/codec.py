"""One entry point for both encodings: detect, decode+validate, encode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schemas.envelope import Message
from schemas.errors import Issue, MessageError
from schemas.jsoncodec import decode_json, encode_json
from schemas.registry import SPECS, MessageSpec
from schemas.xmlcodec import DEFAULT_MAX_BYTES, decode_xml, encode_xml

Format = Literal["xml", "json"]


def detect_format(data: bytes) -> Format:
    """XML if the first non-blank byte is ``<``, JSON if ``{`` or ``[``; else :class:`MessageError`."""
    if (
        data[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
        or data[:2] in (b"\xfe\xff", b"\xff\xfe")
        or (b"\x00" in data[:8])
    ):
        raise MessageError([Issue("ENCODING_INVALID", "the message is UTF-16 or UTF-32: send UTF-8", "/")])
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if not data.strip():
        raise MessageError([Issue("EMPTY_BODY", "send a message: the body is empty", "/")])
    raise MessageError(
        [
            Issue(
                "FORMAT_UNKNOWN",
                "the message is neither XML (starts with '<') nor JSON (starts with '{')",
                "/",
            )
        ]
    )


def decode(data: bytes, fmt: Format | None = None, max_bytes: int = DEFAULT_MAX_BYTES, rules: bool = True) -> Message:
    """Decode and fully validate one message. Raises :class:`MessageError` with every issue found.

    ``rules=False`` skips the cross-field rules (:mod:`schemas.rules`) and checks only the encoding and types."""
    return decode_with_spec(data, fmt, max_bytes, rules)[0]


def decode_with_spec(
    data: bytes, fmt: Format | None = None, max_bytes: int = DEFAULT_MAX_BYTES, rules: bool = True
) -> tuple[Message, MessageSpec]:
    if fmt is None:
        fmt = detect_format(data)
    return decode_xml(data, max_bytes, rules) if fmt == "xml" else decode_json(data, max_bytes, rules)


def spec_of(message: Message) -> MessageSpec:
    return SPECS[message.head.message_type]


def encode(message: Message, fmt: Format, pretty: bool = False) -> bytes:
    spec = spec_of(message)
    if not isinstance(message, spec.model):
        raise TypeError(f"{type(message).__name__} cannot carry {spec.code}; use {spec.model.__name__}")
    return encode_xml(message, spec, pretty) if fmt == "xml" else encode_json(message, pretty)


@dataclass
class Report:
    """The outcome of validating one message."""

    format: Format | None
    message_type: str | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def to_dict(self) -> dict[str, object]:
        return {
            "valid": self.ok,
            "format": self.format,
            "message_type": self.message_type,
            "errors": [i.to_dict() for i in self.issues],
        }


def validate(data: bytes, fmt: Format | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Report:
    """Validate without raising: every issue, with code and location."""
    if len(data) > max_bytes:  # before anything else looks at it
        return Report(
            fmt, None, [Issue("PAYLOAD_TOO_LARGE", f"the message has {len(data)} bytes; the limit is {max_bytes}", "/")]
        )
    try:
        fmt = fmt or detect_format(data)
        _, spec = decode_with_spec(data, fmt, max_bytes)
    except MessageError as e:
        return Report(fmt, e.message_type, e.issues)
    return Report(fmt, spec.code.value)
