"""The hostile-input corpus: a named list of attacks on every HTTP endpoint of the gateway and on the Kafka ingress,
each of which must be refused with an error code. The XXE, external DTD and XInclude inputs point at a canary
(:mod:`swsim.verify.canary`); each call of :func:`corpus` signs afresh, with message ids unique to the pass.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.codec import Format, encode
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.samples import all_samples
from swsim import signing
from swsim.network import GATEWAY_ID, Role, api_key, default_parties, operator_key, private_key
from swsim.transport.base import header
from swsim.verify.canary import CanaryRefs
from swsim.verify.target import SEED

Channel = Literal["http", "kafka"]
Headers = tuple[tuple[str, bytes], ...]

KAFKA_INGRESS = "kafka ingress"
MAX_BODY_BYTES = 5 * 1024 * 1024
"""The gateway's default body limit (SWSIM_MAX_BODY_BYTES): "large" inputs are sized against it."""
BIG = 10 * 1024 * 1024 + 7
"""A 10 MB+ body."""

NS = "urn:Declaration:datamodel:standard:CN:MT2301:1"
XI = "http://www.w3.org/2001/XInclude"
NAMESPACE_CODES = frozenset({"WRONG_NAMESPACE", "UNKNOWN_MESSAGE_TYPE", "MESSAGE_TYPE_MISMATCH", "WRONG_ROOT_ELEMENT"})
ENCODING_CODES = frozenset(
    {"ENCODING_INVALID", "XML_MALFORMED", "JSON_MALFORMED", "FORMAT_UNKNOWN", "FORMAT_INVALID", "CONTROL_CHARACTER"}
)
DOCTYPE = frozenset({"XML_DOCTYPE_FORBIDDEN"})
XML_REFUSALS = frozenset({"XML_ENTITY_FORBIDDEN", "XML_MALFORMED"})
"""What libxml2 itself answers to a DOCTYPE it did parse (UTF-7 hides it from the gateway's byte check)."""
ENCODING = frozenset({"ENCODING_INVALID"})
MEDIA = frozenset({"UNSUPPORTED_MEDIA_TYPE"})
TOO_LARGE = frozenset({"PAYLOAD_TOO_LARGE"})
INVALID_REQUEST = frozenset({"REQUEST_INVALID"})
NOT_FOUND = frozenset({"NOT_FOUND"})

REQUIRED_KINDS = frozenset(
    {
        "xxe-file", "xxe-http", "billion-laughs", "quadratic-blowup", "external-dtd", "xinclude", "large-body",
        "deep-nesting", "bad-utf8", "wrong-content-type", "huge-number", "duplicate-key", "wrong-namespace",
        "forged-sender", "replayed-signature", "stale-timestamp", "tampered-body", "missing-auth", "others-api-key",
        "path-traversal",
    }
)  # fmt: skip
"""The categories the corpus must cover (each input has one ``kind``)."""


# --------------------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request: method, path with query (sent as written, percent-escapes and all), headers, body."""

    method: str
    path: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True)
class HostileInput:
    """One hostile input: an HTTP request or a Kafka record, which the gateway must refuse with an error code."""

    name: str
    kind: str
    """The attack category (see :data:`REQUIRED_KINDS`, plus a few more)."""
    channel: Channel
    endpoint: str
    """``METHOD /path?query`` as sent, or :data:`KAFKA_INGRESS`."""
    body: bytes = b""
    headers: Headers = ()
    """HTTP request headers, or the Kafka record's headers."""
    sender: str | None = None
    """Who the input claims to come from (API key owner, signing sender, ``sw-sender``), None if nobody."""
    expect: frozenset[str] = frozenset()
    """Error codes that count as the right refusal (empty: any error code)."""
    message_id: str | None = None
    """Kafka: the message id the gateway's rejection refers to (``sw-message-id`` and, where it decodes, the body)."""
    key: bytes | None = None
    """Kafka: the record key."""
    timestamp_ms: int | None = None
    """Kafka: the record's timestamp as the producer sets it (None: now)."""
    prelude: HttpCall | None = None
    """A legitimate request sent just before (and not counted), e.g. the first use of a replayed signature."""
    stream: bool = False
    """HTTP: send the body in chunks, without Content-Length."""

    @property
    def method(self) -> str:
        return self.endpoint.split(" ", 1)[0] if self.channel == "http" else "KAFKA"

    @property
    def path(self) -> str:
        return self.endpoint.split(" ", 1)[1] if self.channel == "http" else signing.KAFKA_PATH

    @property
    def content_type(self) -> str | None:
        found = header(list(self.headers), "Content-Type")
        return found.decode("latin-1") if found is not None else None


PLACEHOLDER = CanaryRefs(
    "file:///nonexistent/canary/secret.txt", "file:///nonexistent/canary/evil.dtd", "file:///nonexistent/canary/",
    "http://127.0.0.1:9", "ftp://127.0.0.1:9",
)  # fmt: skip
"""Canary references for building the corpus without a canary (e.g. to list it)."""


# ------------------------------------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class _Body:
    """A hostile message body, before it is aimed at an endpoint."""

    name: str
    kind: str
    data: bytes
    expect: frozenset[str] = frozenset()


@dataclass
class _Ctx:
    """What the corpus builders share: the network's parties and keys, the canary, and unique ids for this pass."""

    seed: str
    canary: CanaryRefs
    tag: str
    max_body: int
    trader: str = ""
    trader2: str = ""
    carrier: str = ""
    customs: str = "7900"
    n: int = 0

    def __post_init__(self) -> None:
        parties = default_parties(self.seed)
        traders = [p.id for p in parties if p.role == Role.TRADER]
        self.trader, self.trader2 = traders[0], traders[1]
        self.carrier = next(p.id for p in parties if p.role == Role.CARRIER)

    def mid(self) -> str:
        """A message id unique to this input and pass."""
        self.n += 1
        return f"HX-{self.tag}-{self.n:04d}"

    def key(self, party: str) -> Headers:
        return (("X-API-Key", api_key(self.seed, party).encode()),)

    def op(self) -> Headers:
        return (("X-API-Key", operator_key(self.seed).encode()),)

    def message(
        self, mid: str, sender: str | None = None, receiver: str | None = None, fmt: Format = "json",
        mt: MessageType = MessageType.MT2301, correlation: str | None = None,
    ) -> bytes:  # fmt: skip
        """A valid message (from the trader to Chengdu customs unless told otherwise), freshly timed."""
        sample = _samples()[mt]
        now = datetime.now(UTC)
        head = sample.head.model_copy(
            update={
                "message_id": mid,
                "sender_id": sender or self.trader,
                "receiver_id": receiver or self.customs,
                "send_time": now.replace(microsecond=now.microsecond - now.microsecond % 1000),
                "correlation_id": correlation or sample.head.correlation_id,
            }
        )
        return encode(sample.model_copy(update={"head": head}), fmt)

    def signed(
        self, party: str, method: str, path: str, body: bytes, *, signer: str | None = None,
        created: int | None = None, nonce: str | None = None,
    ) -> Headers:  # fmt: skip
        """X-SW-* headers: ``party`` claims to send, ``signer``'s key signs (default: the party's own)."""
        sig = _sign(private_key(self.seed, signer or party), method, path, party, body, created, nonce)
        return tuple((f"X-SW-{k.title()}", v.encode()) for k, v in sig.items())

    def kafka_signed(self, party: str, body: bytes, mid: str, **kw: Any) -> Headers:
        """Kafka ingress headers (sw-sender, sw-created, sw-nonce, sw-signature, sw-message-id)."""
        fields = dict(self.signed(party, signing.KAFKA_METHOD, signing.KAFKA_PATH, body, **kw))
        return (*((f"sw-{k[5:].lower()}", v) for k, v in fields.items()), ("sw-message-id", mid.encode()))


@cache
def _samples() -> dict[MessageType, Message]:
    """One valid sample per message type (built once: the corpus is built for each pass)."""
    return all_samples()


def _sign(
    key: Ed25519PrivateKey, method: str, path: str, sender: str, body: bytes, created: int | None, nonce: str | None
) -> dict[str, str]:
    """Signature fields, with a chosen ``created`` and ``nonce`` when given (to replay or backdate)."""
    created = int(time.time()) if created is None else created
    nonce = nonce or uuid.uuid4().hex
    sig = key.sign(signing.canonical(method, path, sender, created, nonce, body))
    return {"sender": sender, "created": str(created), "nonce": nonce, "signature": base64.b64encode(sig).decode()}


JSON_CT: Headers = (("Content-Type", b"application/json"),)
XML_CT: Headers = (("Content-Type", b"application/xml"),)


def _ct(data: bytes) -> Headers:
    """The right content type for a body (XML if it looks like XML, else JSON)."""
    return XML_CT if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else JSON_CT


def _xml_doc(subset: str, inner: str = "&x;", decl: str = '<?xml version="1.0"?>') -> str:
    """A manifest with a DOCTYPE internal subset and ``inner`` as its MessageID."""
    return (
        f"{decl}<!DOCTYPE Manifest [{subset}]>"
        f'<Manifest xmlns="{NS}"><Head><MessageID>{inner}</MessageID></Head></Manifest>'
    )


def _laughs(levels: int, fan: int, percent: bool = False) -> str:
    """Nested entity definitions, each ``fan`` references to the previous one (general or parameter entities)."""
    sign = "% " if percent else ""
    ref = "%" if percent else "&"
    out = [f'<!ENTITY {sign}l0 "lol">']
    out += [f'<!ENTITY {sign}l{i} "{f"{ref}l{i - 1};" * fan}">' for i in range(1, levels + 1)]
    return "".join(out)


def _xxe_bodies(c: CanaryRefs) -> list[_Body]:
    """External entities pointing at the canary's file, directory and server, plain and through encodings."""
    utf7_xxe = (
        '<?xml version="1.0" encoding="UTF-7"?>+ADw-+ACE-DOCTYPE Manifest +AFs-+ADw-+ACE-ENTITY x SYSTEM +ACI-'
        + c.file_url
        + "+ACI-+AD4-+AF0-+AD4-+ADw-Manifest+AD4-+ACY-x+ADs-+ADw-/Manifest+AD4-"
    )
    return [
        _Body("xxe-file", "xxe-file", _xml_doc(f'<!ENTITY x SYSTEM "{c.file_url}">').encode(), DOCTYPE),
        _Body("xxe-file-parameter-entity", "xxe-file",
              _xml_doc(f'<!ENTITY % p SYSTEM "{c.file_url}"> %p;', "x").encode(), DOCTYPE),
        _Body("xxe-file-directory", "xxe-file", _xml_doc(f'<!ENTITY x SYSTEM "{c.dir_url}">').encode(), DOCTYPE),
        _Body("xxe-file-in-attribute", "xxe-file",
              _xml_doc(f'<!ENTITY x SYSTEM "{c.file_url}"><!ATTLIST Head id CDATA "&x;">', "x").encode(), DOCTYPE),
        _Body("xxe-file-utf8-bom", "xxe-file", b"\xef\xbb\xbf" + _xml_doc(f'<!ENTITY x SYSTEM "{c.file_url}">', "&x;",
              "").encode(), DOCTYPE),
        _Body("xxe-file-utf16", "xxe-file", _xml_doc(f'<!ENTITY x SYSTEM "{c.file_url}">', "&x;",
              '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"), ENCODING),
        _Body("xxe-file-utf7", "xxe-file", utf7_xxe.encode(), ENCODING),
        _Body("xxe-http", "xxe-http", _xml_doc(f'<!ENTITY x SYSTEM "{c.http_url}/xxe">').encode(), DOCTYPE),
        _Body("xxe-http-parameter-entity", "xxe-http",
              _xml_doc(f'<!ENTITY % p SYSTEM "{c.http_url}/p.dtd"> %p;', "x").encode(), DOCTYPE),
        _Body("xxe-http-out-of-band", "xxe-http", _xml_doc(
              f'<!ENTITY % f SYSTEM "{c.file_url}"><!ENTITY % d SYSTEM "{c.http_url}/oob.dtd"> %d;', "x").encode(),
              DOCTYPE),
        _Body("xxe-ftp", "xxe-http", _xml_doc(f'<!ENTITY x SYSTEM "{c.ftp_url}/x">').encode(), DOCTYPE),
        _Body("xxe-http-utf16", "xxe-http", _xml_doc(f'<!ENTITY x SYSTEM "{c.http_url}/u16">', "&x;",
              '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"), ENCODING),
        _Body("xxe-http-utf7", "xxe-http", utf7_xxe.replace(c.file_url, c.http_url + "/u7").encode(), ENCODING),
    ]  # fmt: skip


def _expansion_bodies() -> list[_Body]:
    """Entity expansion bombs: billion laughs (general, parameter, in attributes) and quadratic blowup."""
    quad = "x" * 50_000
    return [
        _Body("billion-laughs", "billion-laughs", _xml_doc(_laughs(9, 10), "&l9;").encode(), DOCTYPE),
        _Body("billion-laughs-parameter", "billion-laughs",
              _xml_doc(_laughs(9, 10, percent=True) + "%l9;", "x").encode(), DOCTYPE),
        _Body("billion-laughs-attribute", "billion-laughs",
              _xml_doc(_laughs(9, 10) + '<!ATTLIST Head id CDATA "&l9;">', "x").encode(), DOCTYPE),
        _Body("billion-laughs-deep-narrow", "billion-laughs", _xml_doc(_laughs(40, 2), "&l40;").encode(), DOCTYPE),
        _Body("billion-laughs-utf16", "billion-laughs", _xml_doc(_laughs(9, 10), "&l9;",
              '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"), ENCODING),
        _Body("quadratic-blowup", "quadratic-blowup",
              _xml_doc(f'<!ENTITY a "{quad}">', "&a;" * 5000).encode(), DOCTYPE),
        _Body("quadratic-blowup-attribute", "quadratic-blowup", (
              f'<?xml version="1.0"?><!DOCTYPE Manifest [<!ENTITY a "{quad}">]>'
              f'<Manifest xmlns="{NS}" a="{"&a;" * 5000}"/>').encode(), DOCTYPE),
    ]  # fmt: skip


def _dtd_bodies(c: CanaryRefs) -> list[_Body]:
    """External DTDs (system and public identifiers, file and http) and a lone entity reference."""
    root = f'<Manifest xmlns="{NS}"><Head><MessageID>x</MessageID></Head></Manifest>'
    return [
        _Body("external-dtd-http", "external-dtd",
              f'<?xml version="1.0"?><!DOCTYPE Manifest SYSTEM "{c.http_url}/x.dtd">{root}'.encode(), DOCTYPE),
        _Body("external-dtd-file", "external-dtd",
              f'<?xml version="1.0"?><!DOCTYPE Manifest SYSTEM "{c.dtd_url}">{root}'.encode(), DOCTYPE),
        _Body("external-dtd-public", "external-dtd", (
              f'<?xml version="1.0"?><!DOCTYPE Manifest PUBLIC "-//SWSIM//EVIL//EN" "{c.http_url}/public.dtd">'
              f"{root}").encode(), DOCTYPE),
        _Body("external-dtd-with-internal-subset", "external-dtd", (
              f'<?xml version="1.0"?><!DOCTYPE Manifest SYSTEM "{c.dtd_url}" [<!ENTITY y "y">]>{root}').encode(),
              DOCTYPE),
        _Body("external-dtd-utf7", "external-dtd", (
              '<?xml version="1.0" encoding="UTF-7"?>+ADw-+ACE-DOCTYPE Manifest SYSTEM +ACI-' + c.http_url
              + "/u7.dtd+ACI-+AD4-+ADw-Manifest/+AD4-").encode(), DOCTYPE | ENCODING | XML_REFUSALS),
        _Body("undeclared-entity", "entity", root.replace(">x<", ">&x;<").encode(),
              frozenset({"XML_ENTITY_FORBIDDEN"})),
        _Body("xslt-stylesheet-pi", "external-dtd",
              f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="{c.http_url}/x.xsl"?>{root}'.encode(),
              frozenset({"XML_PI_FORBIDDEN"})),
    ]  # fmt: skip


def _xinclude_bodies(ctx: _Ctx, mid: str) -> list[_Body]:
    """XInclude elements in an otherwise valid manifest (and as the root), pointing at the canary."""
    c = ctx.canary
    valid = ctx.message(mid, fmt="xml").decode()

    def inject(element: str) -> bytes:
        return valid.replace("<Version>", element + "<Version>", 1).encode()

    codes = NAMESPACE_CODES
    return [
        _Body("xinclude-file-text", "xinclude",
              inject(f'<xi:include xmlns:xi="{XI}" href="{c.file_url}" parse="text"/>'), codes),
        _Body("xinclude-file-xml", "xinclude", inject(f'<xi:include xmlns:xi="{XI}" href="{c.dtd_url}"/>'), codes),
        _Body("xinclude-http", "xinclude",
              inject(f'<xi:include xmlns:xi="{XI}" href="{c.http_url}/xi" parse="text"/>'), codes),
        _Body("xinclude-fallback", "xinclude", inject(
              f'<xi:include xmlns:xi="{XI}" href="{c.http_url}/missing"><xi:fallback>'
              f'<xi:include href="{c.file_url}" parse="text"/></xi:fallback></xi:include>'), codes),
        _Body("xinclude-as-root", "xinclude",
              f'<xi:include xmlns:xi="{XI}" href="{c.file_url}" parse="text"/>'.encode(), codes),
        # the schema-location hint itself is allowed (XML Schema) and ignored, never fetched (the canary counts any
        # connection); xsi:nil, which no element allows, makes the body one the corpus can count as refused
        _Body("schema-location-http", "external-dtd", valid.replace(
              "<Head>", '<Head xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              f'xsi:schemaLocation="{NS} {c.http_url}/x.xsd" xsi:nil="true">', 1).encode(),
              frozenset({"UNEXPECTED_ATTRIBUTE"})),
    ]  # fmt: skip


def _xml_structure_bodies(ctx: _Ctx, mid: str) -> list[_Body]:
    """Deep and wide XML, wrong namespaces and bad encodings, built from a valid manifest."""
    valid = ctx.message(mid, fmt="xml").decode()
    deep = frozenset({"XML_TOO_DEEP"})

    def nested(levels: int) -> bytes:
        return (f'<Manifest xmlns="{NS}">' + "<a>" * levels + "</a>" * levels + "</Manifest>").encode()

    def ns(old: str, new: str, name: str, malformed: bool = False) -> _Body:
        codes = NAMESPACE_CODES | ({"XML_MALFORMED"} if malformed else set())
        return _Body(name, "wrong-namespace", valid.replace(old, new, 1).encode(), codes)

    text = "<MessageID>"
    xhtml = 'xmlns:e="http://www.w3.org/1999/xhtml"'
    return [
        _Body("xml-nesting-300", "deep-nesting", nested(300), deep),
        _Body("xml-nesting-100000", "deep-nesting", nested(100_000), deep),
        _Body("xml-nesting-40-in-head", "deep-nesting",
              valid.replace("<Version>", "<a>" * 40 + "</a>" * 40 + "<Version>", 1).encode(),
              deep | {"UNKNOWN_ELEMENT"}),
        _Body("xml-10000-siblings", "deep-nesting",
              valid.replace("<Version>", "<X/>" * 10_000 + "<Version>", 1).encode(),
              frozenset({"UNKNOWN_ELEMENT", "ELEMENT_OUT_OF_ORDER"})),
        ns(f' xmlns="{NS}"', "", "xml-no-namespace"),
        ns(NS, NS.replace("MT2301", "MT2101"), "xml-other-type-namespace"),
        ns(NS, "urn:evil:datamodel:MT2301:1", "xml-unknown-namespace"),
        ns(NS, NS.upper(), "xml-namespace-wrong-case"),
        ns(NS, NS + " ", "xml-namespace-trailing-space", malformed=True),
        ns("<Head>", '<Head xmlns="urn:evil">', "xml-head-foreign-namespace"),
        _Body("xml-prefixed-head-xhtml", "wrong-namespace", valid.replace("<Head>", f"<e:Head {xhtml}>", 1)
              .replace("</Head>", "</e:Head>", 1).encode(), NAMESPACE_CODES),
        ns(f' xmlns="{NS}"', f' xmlns:m="{NS}"', "xml-namespace-prefix-only"),
        _Body("xml-soap-envelope", "wrong-namespace", (
              '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
              + valid.split("?>", 1)[1] + "</s:Body></s:Envelope>").encode(), NAMESPACE_CODES),
        _Body("xml-invalid-utf8-byte", "bad-utf8", valid.encode().replace(text.encode(), text.encode() + b"\xff", 1),
              ENCODING_CODES),
        _Body("xml-overlong-utf8", "bad-utf8", valid.encode().replace(text.encode(), text.encode() + b"\xc0\xbc", 1),
              ENCODING_CODES),
        _Body("xml-utf8-surrogate", "bad-utf8",
              valid.encode().replace(text.encode(), text.encode() + b"\xed\xa0\x80", 1), ENCODING_CODES),
        _Body("xml-truncated-multibyte", "bad-utf8", valid.encode()[:-12] + b"\xe4\xb8", ENCODING_CODES),
        _Body("xml-latin1-bytes", "bad-utf8", valid.replace("Synthetic", "Synth\xe9tic", 1).encode("latin-1"),
              ENCODING_CODES),
        _Body("xml-declares-latin1", "bad-utf8", valid.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)
              .encode("latin-1", errors="replace"), ENCODING_CODES),
        _Body("xml-utf32", "bad-utf8", valid.encode("utf-32"), ENCODING_CODES),
        _Body("xml-nul-byte", "bad-utf8", valid.encode().replace(text.encode(), text.encode() + b"\x00", 1),
              ENCODING_CODES),
        _Body("xml-ebcdic", "bad-utf8",
              valid.replace('encoding="UTF-8"', 'encoding="IBM037"', 1).encode("cp037", errors="replace"),
              ENCODING_CODES),
    ]  # fmt: skip


def _json_bodies(ctx: _Ctx, mid: str) -> list[_Body]:
    """Duplicate keys, deep nesting, huge numbers, bad UTF-8 and malformed JSON, built from a valid message."""
    valid = ctx.message(mid).decode()
    dup = frozenset({"JSON_DUPLICATE_KEY"})
    deep = frozenset({"JSON_TOO_DEEP"})

    def sub(old: str, new: str) -> str:
        assert old in valid, old
        return valid.replace(old, new, 1)

    qty, mass = '"QuantityQuantity":120', '"TotalGrossMassMeasure":2450.5'
    return [
        *_json_duplicates(ctx, valid, sub, dup),
        _Body("json-nesting-40-arrays", "deep-nesting", sub(qty, '"QuantityQuantity":' + "[" * 40 + "]" * 40).encode(),
              deep | {"WRONG_TYPE"}),
        _Body("json-nesting-100000-arrays", "deep-nesting", ("[" * 100_000 + "]" * 100_000).encode(), deep),
        _Body("json-nesting-100000-objects", "deep-nesting", ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(), deep),
        _Body("json-nesting-1000-in-head", "deep-nesting",
              sub('"Version":"1.0"', '"Version":"1.0","X":' + '{"a":' * 1000 + "1" + "}" * 1000).encode(), deep),
        _Body("json-integer-5000-digits", "huge-number", sub(qty, '"QuantityQuantity":' + "9" * 5000).encode()),
        _Body("json-integer-4301-digits-in-head", "huge-number",
              sub('"Version":"1.0"', '"Version":' + "1" * 4301).encode()),
        _Body("json-integer-2-pow-64", "huge-number", sub(qty, f'"QuantityQuantity":{2**64}').encode(),
              frozenset({"OUT_OF_RANGE", "NOT_AN_INTEGER"})),
        _Body("json-float-1e400", "huge-number", sub(mass, '"TotalGrossMassMeasure":1e400').encode()),
        _Body("json-float-minus-1e400", "huge-number", sub(mass, '"TotalGrossMassMeasure":-1e400').encode()),
        _Body("json-exponent-overflow", "huge-number", sub(mass, '"TotalGrossMassMeasure":1e999999999999').encode()),
        _Body("json-decimal-400-digits", "huge-number", sub(mass, '"TotalGrossMassMeasure":' + "9" * 400 + ".5")
              .encode()),
        _Body("json-nan", "huge-number", sub(mass, '"TotalGrossMassMeasure":NaN').encode()),
        _Body("json-infinity", "huge-number", sub(mass, '"TotalGrossMassMeasure":Infinity').encode()),
        _Body("json-number-as-message-id", "huge-number", sub(f'"MessageID":"{mid}"', '"MessageID":1e308').encode(),
              frozenset({"WRONG_TYPE", "FORMAT_INVALID"})),
        _Body("json-invalid-utf8-byte", "bad-utf8", valid.encode().replace(b"Synthetic", b"Synth\xfftic", 1),
              ENCODING_CODES),
        _Body("json-overlong-utf8", "bad-utf8", valid.encode().replace(b"Synthetic", b"Synth\xc0\xa2tic", 1),
              ENCODING_CODES),
        _Body("json-utf8-surrogate-bytes", "bad-utf8", valid.encode().replace(b"Synthetic", b"\xed\xa0\x80", 1),
              ENCODING_CODES),
        _Body("json-escaped-lone-surrogate", "bad-utf8", sub("Synthetic Declarant", "\\ud800").encode(),
              ENCODING_CODES),
        _Body("json-utf16", "bad-utf8", valid.encode("utf-16"), ENCODING_CODES),
        _Body("json-latin1", "bad-utf8", valid.replace("Synthetic", "Synth\xe9tic", 1).encode("latin-1"),
              ENCODING_CODES),
        _Body("json-escaped-nul", "bad-utf8", sub("Synthetic Declarant", "Synthetic\\u0000Declarant").encode(),
              ENCODING_CODES),
        _Body("json-trailing-comma", "malformed", (valid[:-1] + ",}").encode(), frozenset({"JSON_MALFORMED"})),
        _Body("json-single-quotes", "malformed", valid.replace('"', "'").encode(), frozenset({"JSON_MALFORMED"})),
        _Body("json-comment", "malformed", ("/* x */" + valid).encode(), frozenset({"FORMAT_UNKNOWN"})),
        _Body("json-truncated", "malformed", valid[: len(valid) // 2].encode(), frozenset({"JSON_MALFORMED"})),
        _Body("json-top-level-array", "malformed", f"[{valid}]".encode(), frozenset({"WRONG_TYPE"})),
        _Body("json-head-is-array", "malformed", sub('"Head":{', '"Head":[{').replace("},", "}],", 1).encode(),
              frozenset({"WRONG_TYPE", "JSON_MALFORMED"})),
        _Body("json-proto-pollution", "malformed", sub('"Head":{', '"__proto__":{"admin":true},"Head":{').encode(),
              frozenset({"UNKNOWN_ELEMENT"})),
        _Body("empty-body", "malformed", b"", frozenset({"EMPTY_BODY", "FORMAT_UNKNOWN"})),
        _Body("gzip-compressed-message", "wrong-content-type", gzip.compress(valid.encode()),
              frozenset({"FORMAT_UNKNOWN", "ENCODING_INVALID"})),
    ]  # fmt: skip


def _json_duplicates(ctx: _Ctx, valid: str, sub: Callable[[str, str], str], dup: frozenset[str]) -> list[_Body]:
    """The same key twice: a second Head claiming customs, a second SenderID, escaped spellings, nested."""
    customs_head = valid.split('"Head":', 1)[1].split("}", 1)[0].replace(ctx.trader, ctx.customs) + "}"
    return [
        _Body("json-duplicate-head", "duplicate-key", sub('"Head":', f'"Head":{customs_head},"Head":').encode(), dup),
        _Body("json-duplicate-sender-id", "duplicate-key",
              sub(f'"SenderID":"{ctx.trader}"', f'"SenderID":"{ctx.trader}","SenderID":"{ctx.customs}"').encode(), dup),
        _Body("json-duplicate-message-id", "duplicate-key", sub('"MessageID":', '"MessageID":"OTHER-1","MessageID":')
              .encode(), dup),
        _Body("json-duplicate-escaped-key", "duplicate-key", sub('"Head":', '"\\u0048ead":{},"Head":').encode(), dup),
        _Body("json-duplicate-nested", "duplicate-key",
              sub('"ConsignmentPackaging":{', '"ConsignmentPackaging":{"TypeCode":"BX",').encode(), dup),
        _Body("json-duplicate-receiver", "duplicate-key",
              sub('"ReceiverID":', f'"ReceiverID":"{ctx.trader2}","ReceiverID":').encode(), dup),
    ]  # fmt: skip


def _message_bodies(ctx: _Ctx) -> list[_Body]:
    """Every hostile message body, built around the placeholder message id :data:`_BODY_MID`."""
    mid = _BODY_MID
    bodies = [*_xxe_bodies(ctx.canary), *_expansion_bodies(), *_dtd_bodies(ctx.canary)]
    bodies += _xinclude_bodies(ctx, mid) + _xml_structure_bodies(ctx, mid) + _json_bodies(ctx, mid)
    return bodies


def _submit_inputs(ctx: _Ctx, bodies: list[_Body]) -> list[HostileInput]:
    """Each hostile body submitted by the trader (API key), and to validate-only (anyone)."""
    out = []
    for b in bodies:
        data = _aim(ctx, b.data)
        out.append(HostileInput(f"submit/{b.name}", b.kind, "http", "POST /v1/messages", data,
                                (*ctx.key(ctx.trader), *_ct(data)), ctx.trader, b.expect))  # fmt: skip
        out.append(HostileInput(f"validate/{b.name}", b.kind, "http", "POST /v1/validate", b.data, _ct(b.data),
                                None, b.expect))  # fmt: skip
    return out


def _aim(ctx: _Ctx, data: bytes, mid: str | None = None) -> bytes:
    """A hostile body with its placeholder message id replaced by a fresh one (``mid`` if given)."""
    return data.replace(_BODY_MID.encode(), (mid or ctx.mid()).encode())


def _kafka_body_inputs(ctx: _Ctx, bodies: list[_Body]) -> list[HostileInput]:
    """Each hostile body as a record on the ingress, properly signed by the trader, with its own message id."""
    out = []
    for b in bodies:
        mid = ctx.mid()
        data = _aim(ctx, b.data, mid)
        out.append(_kafka(f"kafka/{b.name}", b.kind, data, ctx.kafka_signed(ctx.trader, data, mid), ctx.trader,
                          mid, b.expect))  # fmt: skip
    return out


_BODY_MID = "HX-BODY-MID"
"""The message id the shared hostile bodies carry; each submit and Kafka record gets its own in its place."""


def _kafka(
    name: str, kind: str, body: bytes, headers: Headers, sender: str | None, mid: str,
    expect: frozenset[str] = frozenset(), timestamp_ms: int | None = None,
) -> HostileInput:  # fmt: skip
    return HostileInput(name, kind, "kafka", KAFKA_INGRESS, body, headers, sender, expect, mid, mid.encode(),
                        timestamp_ms)  # fmt: skip


def _auth_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Credentials on submit: missing, wrong, another party's, forged, stale, tampered, replayed signatures."""
    return _api_key_inputs(ctx) + _signature_inputs(ctx) + _replay_inputs(ctx) + _authorization_inputs(ctx)


def _post(
    ctx: _Ctx, name: str, kind: str, headers: Headers, expect: frozenset[str], body: bytes | None = None,
    sender: str | None = None, prelude: HttpCall | None = None,
) -> HostileInput:  # fmt: skip
    """A submit of a valid message from the trader (or ``body``) with the given credentials."""
    data = ctx.message(ctx.mid()) if body is None else body
    return HostileInput(name, kind, "http", "POST /v1/messages", data, (*headers, *_ct(data)), sender, expect,
                        prelude=prelude)  # fmt: skip


def _api_key_inputs(ctx: _Ctx) -> list[HostileInput]:
    real = api_key(ctx.seed, ctx.trader)
    invalid = frozenset({"AUTH_INVALID"})

    def with_key(k: str) -> Headers:
        return (("X-API-Key", k.encode()),)

    return [
        _post(ctx, "auth/no-credentials", "missing-auth", (), frozenset({"AUTH_REQUIRED"})),
        _post(ctx, "auth/empty-api-key", "missing-auth", with_key(""), frozenset({"AUTH_REQUIRED"})),
        _post(ctx, "auth/unknown-api-key", "others-api-key", with_key("sk_" + "0" * 40), invalid, sender=ctx.trader),
        _post(ctx, "auth/truncated-api-key", "others-api-key", with_key(real[:-1]), invalid, sender=ctx.trader),
        _post(ctx, "auth/api-key-upper-case", "others-api-key", with_key(real.upper()), invalid, sender=ctx.trader),
        _post(ctx, "auth/api-key-other-seed", "others-api-key", with_key(api_key("other-seed", ctx.trader)), invalid,
              sender=ctx.trader),
        _post(ctx, "auth/gateway-api-key", "others-api-key", with_key(api_key(ctx.seed, GATEWAY_ID)), invalid,
              sender=GATEWAY_ID),
        _post(ctx, "auth/operator-key-submits", "others-api-key", ctx.op(), frozenset({"FORBIDDEN"}), sender=None),
        _post(ctx, "auth/api-key-non-ascii", "others-api-key", (("X-API-Key", real.encode() + b"\xe9"),), invalid,
              sender=ctx.trader),
        *[
            _post(ctx, f"forged-sender/{who}-key-claims-trader", "forged-sender", ctx.key(party),
                  frozenset({"SENDER_MISMATCH"}), sender=ctx.trader)
            for who, party in (("trader2", ctx.trader2), ("carrier", ctx.carrier), ("customs", ctx.customs))
        ],
        _post(ctx, "forged-sender/trader-key-claims-customs-decision", "forged-sender", ctx.key(ctx.trader),
              frozenset({"SENDER_MISMATCH"}), ctx.message(ctx.mid(), ctx.customs, ctx.trader, mt=MessageType.CD101),
              ctx.customs),
    ]  # fmt: skip


def _signature_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Ed25519 request signatures that must not verify, or are out of their time window."""
    path = "/v1/messages"

    def signed(name: str, kind: str, expect: str, mutate: Callable[[dict[str, bytes], bytes], bytes] | None = None,
               **kw: Any) -> HostileInput:  # fmt: skip
        data = ctx.message(ctx.mid())
        party = kw.pop("party", ctx.trader)
        headers = dict(ctx.signed(party, kw.pop("method", "POST"), kw.pop("path", path), data, **kw))
        if mutate is not None:
            data = mutate(headers, data)
        return _post(ctx, f"signature/{name}", kind, tuple(headers.items()), frozenset({expect}), data, party)

    now = int(time.time())
    return [
        signed("signed-by-another-party", "forged-sender", "SIGNATURE_INVALID", signer=ctx.trader2),
        signed("signed-by-trader-claims-customs", "forged-sender", "SIGNATURE_INVALID", party=ctx.customs,
               signer=ctx.trader),
        signed("unknown-sender", "forged-sender", "UNKNOWN_SENDER", party="8000ZZZZZZZZZ", signer=ctx.trader),
        signed("gateway-as-sender", "forged-sender", "UNKNOWN_SENDER", party=GATEWAY_ID, signer=ctx.trader),
        signed("created-an-hour-ago", "stale-timestamp", "SIGNATURE_EXPIRED", created=now - 3600),
        signed("created-301-s-ago", "stale-timestamp", "SIGNATURE_EXPIRED", created=now - 301 - 5),
        signed("created-an-hour-ahead", "stale-timestamp", "SIGNATURE_EXPIRED", created=now + 3600),
        signed("created-year-3000", "stale-timestamp", "SIGNATURE_EXPIRED", created=32503680000),
        signed("created-zero", "stale-timestamp", "SIGNATURE_EXPIRED", created=0),
        signed("created-not-a-number", "tampered-body", "SIGNATURE_INVALID", _set("X-SW-Created", b"soon")),
        signed("created-changed-after-signing", "tampered-body", "SIGNATURE_INVALID", _earlier),
        signed("body-byte-changed", "tampered-body", "SIGNATURE_INVALID",
               lambda h, d: d.replace(b"Synthetic", b"Synthetik", 1)),
        signed("body-whitespace-appended", "tampered-body", "SIGNATURE_INVALID", lambda h, d: d + b" "),
        signed("receiver-changed", "tampered-body", "SIGNATURE_INVALID",
               lambda h, d: d.replace(b'"ReceiverID":"7900"', b'"ReceiverID":"8000"', 1)),
        signed("nonce-changed", "tampered-body", "SIGNATURE_INVALID", _set("X-SW-Nonce", b"f" * 32)),
        signed("signed-for-validate-path", "tampered-body", "SIGNATURE_INVALID", path="/v1/validate"),
        signed("signed-for-put", "tampered-body", "SIGNATURE_INVALID", method="PUT"),
        signed("signed-for-kafka-channel", "tampered-body", "SIGNATURE_INVALID", method=signing.KAFKA_METHOD,
               path=signing.KAFKA_PATH),
        signed("signature-not-base64", "tampered-body", "SIGNATURE_INVALID", _set("X-SW-Signature", b"!!not-b64!!")),
        signed("signature-truncated", "tampered-body", "SIGNATURE_INVALID",
               lambda h, d: _cut(h, "X-SW-Signature", d)),
        signed("signature-all-zero", "tampered-body", "SIGNATURE_INVALID",
               _set("X-SW-Signature", base64.b64encode(bytes(64)))),
        signed("no-signature", "missing-auth", "SIGNATURE_MISSING", _drop("X-SW-Signature")),
        signed("no-nonce", "missing-auth", "SIGNATURE_MISSING", _drop("X-SW-Nonce")),
        signed("no-created", "missing-auth", "SIGNATURE_MISSING", _drop("X-SW-Created")),
    ]  # fmt: skip


def _set(name: str, value: bytes) -> Callable[[dict[str, bytes], bytes], bytes]:
    def mutate(headers: dict[str, bytes], data: bytes) -> bytes:
        headers[name] = value
        return data

    return mutate


def _earlier(headers: dict[str, bytes], data: bytes) -> bytes:
    """Move X-SW-Created one second back after signing."""
    headers["X-SW-Created"] = str(int(headers["X-SW-Created"]) - 1).encode()
    return data


def _drop(name: str) -> Callable[[dict[str, bytes], bytes], bytes]:
    def mutate(headers: dict[str, bytes], data: bytes) -> bytes:
        del headers[name]
        return data

    return mutate


def _cut(headers: dict[str, bytes], name: str, data: bytes) -> bytes:
    """Drop the last 4 base64 characters of a header (a signature of 61 bytes)."""
    headers[name] = headers[name][:-4]
    return data


def _replay_inputs(ctx: _Ctx) -> list[HostileInput]:
    """A legitimate signed request (the prelude, accepted), then the very same request again: refused as a replay.
    Also a fresh body signed with a nonce already used, and a reused MessageID."""
    replayed = frozenset({"NONCE_REPLAYED"})
    out = []
    for method, path in (("POST", "/v1/messages"), ("POST", "/v1/messages/batch"), ("GET", "/v1/deadletters"),
                         ("GET", "/v1/deadletters?limit=5")):  # fmt: skip
        data = _replay_body(ctx, path) if method == "POST" else b""
        headers = (*ctx.signed(ctx.trader, method, path, data), *(_ct(data) if data else ()))
        first = HttpCall(method, path, headers, data)
        out.append(HostileInput(f"replay/{method.lower()}{path}", "replayed-signature", "http", f"{method} {path}",
                                data, headers, ctx.trader, replayed, prelude=first))  # fmt: skip
    nonce = uuid.uuid4().hex
    first_body, second_body = ctx.message(ctx.mid()), ctx.message(ctx.mid())
    first_headers = (*ctx.signed(ctx.trader, "POST", "/v1/messages", first_body, nonce=nonce), *JSON_CT)
    out.append(_post(ctx, "replay/nonce-reused-for-new-body", "replayed-signature",
                     ctx.signed(ctx.trader, "POST", "/v1/messages", second_body, nonce=nonce), replayed, second_body,
                     ctx.trader, HttpCall("POST", "/v1/messages", first_headers, first_body)))  # fmt: skip
    mid = ctx.mid()
    original = ctx.message(mid)
    out.append(_post(ctx, "replay/message-id-reused-for-other-content", "replayed-signature", ctx.key(ctx.trader),
                     frozenset({"MESSAGE_ID_CONFLICT"}), ctx.message(mid, receiver="8000"), ctx.trader,
                     HttpCall("POST", "/v1/messages", (*ctx.key(ctx.trader), *JSON_CT), original)))  # fmt: skip
    return out


def _replay_body(ctx: _Ctx, path: str) -> bytes:
    """A valid body for the prelude of a POST replay."""
    data = ctx.message(ctx.mid())
    return b"[" + data + b"]" if path.endswith("/batch") else data


def _authorization_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Authenticated, well-formed, but not allowed: types a trader may not send, receivers that do not exist."""
    k = ctx.key(ctx.trader)
    denied = frozenset({"NOT_AUTHORIZED"})
    return [
        _post(ctx, "authz/trader-issues-clearance", "not-authorized", k, denied,
              ctx.message(ctx.mid(), receiver=ctx.trader2, mt=MessageType.CD101), ctx.trader),
        _post(ctx, "authz/trader-raises-risk-alert", "not-authorized", k, denied,
              ctx.message(ctx.mid(), mt=MessageType.RA101), ctx.trader),
        _post(ctx, "authz/trader-files-tax-record", "not-authorized", k, denied,
              ctx.message(ctx.mid(), receiver="15000000000", mt=MessageType.TX101), ctx.trader),
        _post(ctx, "authz/manifest-to-gateway", "not-authorized", k, denied,
              ctx.message(ctx.mid(), receiver=GATEWAY_ID), ctx.trader),
        _post(ctx, "authz/unknown-receiver", "not-authorized", k, frozenset({"UNKNOWN_RECEIVER"}),
              ctx.message(ctx.mid(), receiver="9999"), ctx.trader),
    ]  # fmt: skip


def _content_type_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Wrong or missing content types and compressed bodies, on every endpoint that takes a body."""
    out = []
    valid = ctx.message(ctx.mid())
    batch = b"[" + valid + b"]"
    types = (b"text/plain", b"text/html", b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=x",
             b"application/octet-stream", b"application/json-patch+json", b"image/png",
             b"application/json, application/xml", None)  # fmt: skip
    for path, data, creds in (("/v1/messages", valid, ctx.key(ctx.trader)), ("/v1/validate", valid, ()),
                              ("/v1/messages/batch", batch, ctx.key(ctx.trader))):  # fmt: skip
        for ctype in types if path == "/v1/messages" else types[:2] + types[-1:]:
            headers = (*creds, *((("Content-Type", ctype),) if ctype else ()))
            label = ctype.split(b";")[0].replace(b"/", b"-").replace(b", ", b"+").decode() if ctype else "none"
            out.append(HostileInput(f"content-type/{path.strip('/')}/{label}", "wrong-content-type", "http",
                                    f"POST {path}", data, headers, ctx.trader if creds else None, MEDIA))  # fmt: skip
        for encoding, packed in (("gzip", gzip.compress(data)), ("deflate", zlib.compress(data)), ("br", data)):
            headers = (*creds, *_ct(data), ("Content-Encoding", encoding.encode()))
            out.append(HostileInput(f"content-encoding/{path.strip('/')}/{encoding}", "wrong-content-type", "http",
                                    f"POST {path}", packed, headers, ctx.trader if creds else None, MEDIA))  # fmt: skip
    out.append(
        HostileInput(
            "content-type/batch/application-xml",
            "wrong-content-type",
            "http",
            "POST /v1/messages/batch",
            batch,
            (*ctx.key(ctx.trader), *XML_CT),
            ctx.trader,
            MEDIA,
        )
    )
    return out


def _large_inputs(ctx: _Ctx) -> list[HostileInput]:
    """10 MB+ bodies on every endpoint that takes one (refused before reading), and bodies under the limit whose
    bytes expand when escaped (invalid UTF-8, CJK, control characters)."""
    k = (*ctx.key(ctx.trader), *JSON_CT)
    json_big = b'{"Head":{"MessageID":"' + b"A" * BIG + b'"}}'
    xml_big = f'<Manifest xmlns="{NS}"><Head><MessageID>'.encode() + b"A" * BIG + b"</MessageID></Head></Manifest>"
    expanding = ctx.max_body // 3  # escaped in the dead-letter envelope: 6 bytes each
    cjk = (ctx.max_body - 64) // 3  # 3 bytes each, 6 escaped
    return [
        HostileInput("large/submit-json-10mb", "large-body", "http", "POST /v1/messages", json_big, k, ctx.trader,
                     TOO_LARGE),
        HostileInput("large/submit-xml-10mb", "large-body", "http", "POST /v1/messages", xml_big,
                     (*ctx.key(ctx.trader), *XML_CT), ctx.trader, TOO_LARGE),
        HostileInput("large/submit-10mb-chunked", "large-body", "http", "POST /v1/messages", json_big, k, ctx.trader,
                     TOO_LARGE, stream=True),
        HostileInput("large/submit-limit-plus-one", "large-body", "http", "POST /v1/messages",
                     b'{"a":"' + b"A" * (ctx.max_body - 7) + b'"}', k, ctx.trader, TOO_LARGE),
        HostileInput("large/batch-10mb", "large-body", "http", "POST /v1/messages/batch", b"[" + json_big + b"]", k,
                     ctx.trader, TOO_LARGE),
        HostileInput("large/validate-10mb", "large-body", "http", "POST /v1/validate", xml_big, XML_CT, None,
                     TOO_LARGE),
        HostileInput("large/redrive-10mb", "large-body", "http", "POST /v1/deadletters/1/redrive", json_big,
                     (*ctx.op(), *JSON_CT), None, TOO_LARGE),
        HostileInput("large/get-deadletters-with-10mb-body", "large-body", "http", "GET /v1/deadletters", json_big, k,
                     ctx.trader, TOO_LARGE),
        HostileInput("large/submit-invalid-utf8-expanding", "bad-utf8", "http", "POST /v1/messages",
                     b'{"a":"' + b"\xff" * expanding + b'"}', k, ctx.trader, ENCODING_CODES),
        HostileInput("large/submit-cjk-expanding", "large-body", "http", "POST /v1/messages",
                     ('{"a":"' + "中" * cjk + '"}').encode(), k, ctx.trader),
        HostileInput("large/submit-control-chars-expanding", "large-body", "http", "POST /v1/messages",
                     b'{"a":"' + b"\x01" * expanding + b'"}', k, ctx.trader),
    ]  # fmt: skip


def _batch_inputs(ctx: _Ctx, c: CanaryRefs) -> list[HostileInput]:
    """Batches that are not arrays of messages, too long, or whose every item is hostile."""
    k = (*ctx.key(ctx.trader), *JSON_CT)
    invalid = frozenset({"BATCH_INVALID"})
    xxe = _xml_doc(f'<!ENTITY x SYSTEM "{c.file_url}">')
    laughs = _xml_doc(_laughs(9, 10), "&l9;")
    dup = ctx.message(ctx.mid()).decode().replace('"Version":"1.0"', '"Version":"1.0","Version":"1.0"', 1)
    lone = ctx.message(ctx.mid()).decode().replace("Synthetic Declarant", "\\udc00", 1)
    forged = ctx.message(ctx.mid()).decode()
    cases: list[tuple[str, str, bytes, frozenset[str]]] = [
        ("not-an-array", "malformed", b'{"Head":{}}', invalid),
        ("a-string", "malformed", b'"[]"', invalid),
        ("null", "malformed", b"null", invalid),
        ("number-item", "malformed", b"[1]", invalid),
        ("null-item", "malformed", b"[null]", invalid),
        ("nested-array-item", "malformed", b"[[]]", invalid),
        ("not-json", "malformed", b"[{]", invalid),
        ("501-items", "large-body", b"[" + b",".join([b"{}"] * 501) + b"]", frozenset({"BATCH_TOO_LARGE"})),
        ("nesting-100000", "deep-nesting", b"[" * 100_000 + b"]" * 100_000, invalid),
        ("integer-5000-digits", "huge-number", b"[" + b"9" * 5000 + b"]", invalid),
        ("xxe-file-item", "xxe-file", json.dumps([xxe]).encode(), DOCTYPE),
        ("xxe-http-item", "xxe-http", json.dumps([xxe.replace(c.file_url, c.http_url + "/b")]).encode(), DOCTYPE),
        ("billion-laughs-item", "billion-laughs", json.dumps([laughs]).encode(), DOCTYPE),
        ("duplicate-key-item", "duplicate-key", f"[{dup}]".encode(), frozenset({"JSON_DUPLICATE_KEY"})),
        ("lone-surrogate-item", "bad-utf8", f"[{lone}]".encode(), frozenset()),
        ("lone-surrogate-string-item", "bad-utf8", b'["<Manifest>\\ud800</Manifest>"]', frozenset()),
        ("invalid-utf8", "bad-utf8", b'["\xff\xfe"]', invalid | ENCODING_CODES),
    ]
    out = [
        HostileInput(f"batch/{name}", kind, "http", "POST /v1/messages/batch", data, k, ctx.trader, expect)
        for name, kind, data, expect in cases
    ]
    out.append(HostileInput("batch/forged-sender-items", "forged-sender", "http", "POST /v1/messages/batch",
                            f"[{forged}]".encode(), (*ctx.key(ctx.trader2), *JSON_CT), ctx.trader,
                            frozenset({"SENDER_MISMATCH"})))  # fmt: skip
    return out


def _read_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Hostile path and query parameters of the read endpoints, others' resources, and missing credentials."""
    return _id_inputs(ctx) + _list_inputs(ctx) + _operator_inputs(ctx) + _method_inputs(ctx)


_EVIL_IDS = (
    ("dot-dot-slash", "..%2F..%2F..%2Fetc%2Fpasswd", "path-traversal"),
    ("dot-dot-encoded", "%2e%2e%2f%2e%2e%2fledger.db", "path-traversal"),
    ("double-encoded", "%252e%252e%252fetc%252fpasswd", "path-traversal"),
    ("backslashes", "..%5C..%5Cwindows%5Cwin.ini", "path-traversal"),
    ("nul-byte", "x%00.json", "path-traversal"),
    ("file-url", "file%3A%2F%2F%2Fetc%2Fpasswd", "path-traversal"),
    ("sql-injection", "x'%20OR%20'1'%3D'1", "injection"),
    ("sql-wildcard", "%25", "injection"),
    ("crlf", "x%0d%0aSet-Cookie:%20a%3Db", "injection"),
    ("overlong-utf8", "%C0%AE%C0%AE%C0%AF", "bad-utf8"),
    ("long-20000", "A" * 20_000, "large-body"),
)


def _id_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Message status and trace with hostile ids, with another party's ids (the prelude creates them), bad query
    values and no credentials."""
    k = ctx.key(ctx.trader)
    out = []
    for name, evil, kind in _EVIL_IDS:
        out.append(HostileInput(f"status/{name}", kind, "http", f"GET /v1/messages/{evil}", b"", k, ctx.trader,
                                NOT_FOUND))  # fmt: skip
        out.append(HostileInput(f"trace/{name}", kind, "http", f"GET /v1/trace/{evil}", b"", k, ctx.trader,
                                NOT_FOUND))  # fmt: skip
    mid, corr = ctx.mid(), f"HXC{ctx.tag}{ctx.n}"
    other = ctx.message(mid, ctx.trader2, "8000", correlation=corr)
    made = HttpCall("POST", "/v1/messages", (*ctx.key(ctx.trader2), *JSON_CT), other)
    for name, path in (("status", f"/v1/messages/{mid}"), ("status-with-body", f"/v1/messages/{mid}?include_body=1"),
                       ("status-as-sender", f"/v1/messages/{mid}?sender={ctx.trader2}"), ("trace", f"/v1/trace/{corr}"),
                       ("trace-with-body", f"/v1/trace/{corr}?include_body=true")):  # fmt: skip
        out.append(HostileInput(f"{name}/another-partys-resource", "others-api-key", "http", f"GET {path}", b"", k,
                                ctx.trader, NOT_FOUND, prelude=made))  # fmt: skip
    for name, path, creds, expect in (
        ("status/include-body-not-bool", "/v1/messages/x?include_body=maybe", k, INVALID_REQUEST),
        ("trace/include-body-not-bool", "/v1/trace/x?include_body=1e3", k, INVALID_REQUEST),
        ("status/no-credentials", f"/v1/messages/{mid}", (), frozenset({"AUTH_REQUIRED"})),
        ("trace/no-credentials", f"/v1/trace/{corr}", (), frozenset({"AUTH_REQUIRED"})),
        ("status/unknown-api-key", f"/v1/messages/{mid}", (("X-API-Key", b"sk_nope"),), frozenset({"AUTH_INVALID"})),
    ):
        kind = "invalid-parameter" if creds else "missing-auth"
        out.append(HostileInput(name, kind, "http", f"GET {path}", b"", creds, ctx.trader if creds else None, expect))
    return out


def _list_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Dead-letter listing with out-of-range or non-numeric paging, and without or with stale credentials."""
    k = ctx.key(ctx.trader)
    out = [
        HostileInput(f"deadletters/{query}", "invalid-parameter", "http", f"GET /v1/deadletters?{query}", b"", k,
                     ctx.trader, INVALID_REQUEST)
        for query in ("limit=0", "limit=-5", "limit=501", "limit=abc", "limit=" + "9" * 30, "limit=1e3",
                      "offset=-1", f"offset={2**62 + 1}", "offset=abc", "offset=" + "9" * 5000)
    ]  # fmt: skip
    stale = ctx.signed(ctx.trader, "GET", "/v1/deadletters", b"", created=int(time.time()) - 3600)
    for name, headers, expect, kind in (
        ("no-credentials", (), "AUTH_REQUIRED", "missing-auth"),
        ("unknown-api-key", (("X-API-Key", b"op_" + b"0" * 40),), "AUTH_INVALID", "others-api-key"),
        ("stale-signature", stale, "SIGNATURE_EXPIRED", "stale-timestamp"),
        (
            "signature-for-other-query",
            ctx.signed(ctx.trader, "GET", "/v1/deadletters?limit=500", b""),
            "SIGNATURE_INVALID",
            "tampered-body",
        ),
    ):
        out.append(HostileInput(f"deadletters/{name}", kind, "http", "GET /v1/deadletters", b"", headers,
                                ctx.trader if headers else None, frozenset({expect})))  # fmt: skip
    return out


def _operator_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Re-drive and the dashboard API: parties and anonymous callers are refused; the operator's bad parameters too."""
    out = []
    forbidden = frozenset({"FORBIDDEN"})
    for name, creds, expect, kind in (
        ("trader-key", ctx.key(ctx.trader), forbidden, "others-api-key"),
        ("customs-key", ctx.key(ctx.customs), forbidden, "others-api-key"),
        ("no-credentials", (), frozenset({"AUTH_REQUIRED"}), "missing-auth"),
    ):
        who = None if not creds else ctx.trader
        out.append(HostileInput(f"redrive/{name}", kind, "http", "POST /v1/deadletters/1/redrive", b"", creds, who,
                                expect))  # fmt: skip
        for api in ("overview", "search?q=x", "messages/1", "stream"):
            out.append(HostileInput(f"dashboard/{api.split('?')[0]}/{name}", kind, "http", f"GET /dashboard/api/{api}",
                                    b"", creds, who, expect))  # fmt: skip
    signed = ctx.signed(ctx.trader, "POST", "/v1/deadletters/1/redrive", b"")
    out.append(HostileInput("redrive/signed-by-trader", "others-api-key", "http", "POST /v1/deadletters/1/redrive",
                            b"", signed, ctx.trader, forbidden))  # fmt: skip
    op = ctx.op()
    for name, path, expect in (
        ("redrive/id-zero", "POST /v1/deadletters/0/redrive", INVALID_REQUEST),
        ("redrive/id-negative", "POST /v1/deadletters/-1/redrive", INVALID_REQUEST),
        ("redrive/id-not-a-number", "POST /v1/deadletters/abc/redrive", INVALID_REQUEST),
        ("redrive/id-2-pow-63", f"POST /v1/deadletters/{2**63}/redrive", INVALID_REQUEST),
        ("redrive/id-traversal", "POST /v1/deadletters/..%2F..%2Fetc/redrive", NOT_FOUND),
        ("redrive/id-unknown", "POST /v1/deadletters/4611686018427387903/redrive", NOT_FOUND),
        ("dashboard/search-201-chars", "GET /dashboard/api/search?q=" + "a" * 201, INVALID_REQUEST),
        ("dashboard/search-10000-chars", "GET /dashboard/api/search?q=" + "%27" * 10_000, INVALID_REQUEST),
        ("dashboard/search-missing-q", "GET /dashboard/api/search", INVALID_REQUEST),
        ("dashboard/message-not-a-number", "GET /dashboard/api/messages/abc", INVALID_REQUEST),
        ("dashboard/message-fraction", "GET /dashboard/api/messages/1.5", INVALID_REQUEST),
        ("dashboard/message-2-pow-63", f"GET /dashboard/api/messages/{2**63}", INVALID_REQUEST | NOT_FOUND),
        ("dashboard/message-30-digits", "GET /dashboard/api/messages/" + "9" * 30, INVALID_REQUEST | NOT_FOUND),
        ("dashboard/static-traversal", "GET /dashboard/static/..%2F..%2F..%2Fetc%2Fpasswd", NOT_FOUND),
        ("dashboard/static-encoded-dots", "GET /dashboard/static/%2e%2e%2fviews.py", NOT_FOUND),
        ("dashboard/static-unknown-file", "GET /dashboard/static/routes.py", NOT_FOUND),
    ):
        kind = "path-traversal" if "traversal" in name or "static" in name else "invalid-parameter"
        out.append(HostileInput(name, kind, "http", path, b"", op, None, expect))
    return out


def _method_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Unknown paths and methods an endpoint does not accept, including the read-only operations endpoints."""
    k = ctx.key(ctx.trader)
    method_na = frozenset({"METHOD_NOT_ALLOWED"})
    out = [
        HostileInput(f"method/{endpoint.replace(' ', '-')}", "wrong-method", "http", endpoint, b"", k, ctx.trader,
                     method_na)
        for endpoint in ("POST /health", "PUT /metrics", "DELETE /openapi.json", "POST /asyncapi.json",
                         "DELETE /v1/messages/x", "PUT /v1/messages", "GET /v1/validate", "PATCH /v1/deadletters",
                         "GET /v1/deadletters/1/redrive", "POST /dashboard/api/overview", "POST /dashboard")
    ]  # fmt: skip
    out += [
        HostileInput(f"path/{name}", "path-traversal", "http", f"GET {path}", b"", k, ctx.trader, NOT_FOUND)
        for name, path in (("admin", "/admin"), ("dotenv", "/.env"), ("git-config", "/.git/config"),
                           ("encoded-root-traversal", "/%2e%2e/%2e%2e/etc/passwd"),
                           ("v1-traversal", "/v1/..%2F..%2Fetc%2Fpasswd"), ("ledger-file", "/ledger.db"),
                           ("docs-disabled", "/docs"))
    ]  # fmt: skip
    return out


def _kafka_auth_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Ingress records whose signature is missing, forged, tampered, stale or replayed on another body."""
    out = []
    now = int(time.time())

    def rec(name: str, kind: str, expect: str, sender: str | None = None, **kw: Any) -> None:
        mid = ctx.mid()
        body = ctx.message(
            mid, kw.pop("head_sender", None), kw.pop("receiver", None), mt=kw.pop("mt", MessageType.MT2301)
        )
        mutate = kw.pop("mutate", None)
        timestamp_ms = kw.pop("timestamp_ms", None)
        party = sender or ctx.trader
        headers = dict(ctx.kafka_signed(party, body, mid, **kw))
        if mutate is not None:
            body = mutate(headers, body)
        out.append(_kafka(f"kafka-auth/{name}", kind, body, tuple(headers.items()), party, mid, frozenset({expect}),
                          timestamp_ms))  # fmt: skip

    rec("no-signature", "missing-auth", "SIGNATURE_MISSING", mutate=_drop("sw-signature"))
    rec("no-nonce", "missing-auth", "SIGNATURE_MISSING", mutate=_drop("sw-nonce"))
    rec("no-created", "missing-auth", "SIGNATURE_MISSING", mutate=_drop("sw-created"))
    rec("no-sender", "missing-auth", "SIGNATURE_MISSING", mutate=_drop("sw-sender"))
    rec("signed-by-another-party", "forged-sender", "SIGNATURE_INVALID", signer=ctx.trader2)
    rec(
        "signed-by-trader-claims-customs",
        "forged-sender",
        "SIGNATURE_INVALID",
        ctx.customs,
        signer=ctx.trader,
        head_sender=ctx.customs,
    )
    rec("body-claims-another-sender", "forged-sender", "SENDER_MISMATCH", ctx.trader2)
    rec("unknown-sender", "forged-sender", "UNKNOWN_SENDER", "8000ZZZZZZZZZ", signer=ctx.trader)
    rec("gateway-as-sender", "forged-sender", "UNKNOWN_SENDER", GATEWAY_ID, signer=ctx.trader)
    rec("sender-not-utf8", "forged-sender", "UNKNOWN_SENDER", mutate=_set("sw-sender", b"\xff\xfe"))
    rec("created-an-hour-ago", "stale-timestamp", "SIGNATURE_EXPIRED", created=now - 3600)
    rec("created-an-hour-ahead", "stale-timestamp", "SIGNATURE_EXPIRED", created=now + 3600)
    rec(
        "created-an-hour-ago-record-backdated",
        "stale-timestamp",
        "SIGNATURE_EXPIRED",
        created=now - 3600,
        timestamp_ms=(now - 3600) * 1000,
    )
    rec("created-not-a-number", "tampered-body", "SIGNATURE_INVALID", mutate=_set("sw-created", b"soon"))
    rec(
        "body-byte-changed",
        "tampered-body",
        "SIGNATURE_INVALID",
        mutate=lambda h, d: d.replace(b"Synthetic", b"Synthetik", 1),
    )
    rec("signature-not-base64", "tampered-body", "SIGNATURE_INVALID", mutate=_set("sw-signature", b"%%%"))
    rec("signed-for-http-channel", "tampered-body", "SIGNATURE_INVALID", mutate=lambda h, d: _resign_http(ctx, h, d))
    rec(
        "captured-signature-on-new-body",
        "replayed-signature",
        "SIGNATURE_INVALID",
        mutate=lambda h, d: d.replace(b'"ReceiverID":"7900"', b'"ReceiverID":"8000"', 1),
    )
    rec("trader-issues-clearance", "not-authorized", "NOT_AUTHORIZED", receiver=ctx.trader2, mt=MessageType.CD101)
    rec("unknown-receiver", "not-authorized", "UNKNOWN_RECEIVER", receiver="9999")
    return out


def _resign_http(ctx: _Ctx, headers: dict[str, bytes], body: bytes) -> bytes:
    """Replace the signature by one over the HTTP submit canonical string (cross-channel replay)."""
    http = dict(ctx.signed(ctx.trader, "POST", "/v1/messages", body))
    headers.update({"sw-created": http["X-SW-Created"], "sw-nonce": http["X-SW-Nonce"],
                    "sw-signature": http["X-SW-Signature"]})  # fmt: skip
    return body


def _kafka_special_inputs(ctx: _Ctx) -> list[HostileInput]:
    """Unsigned hostile records, oversized records (one 10 MB+), and bodies that expand when escaped."""
    c = ctx.canary
    out = []
    mid = ctx.mid()
    bare = _xml_doc(f'<!ENTITY x SYSTEM "{c.file_url}">', mid).encode()
    out.append(_kafka("kafka-unsigned/xxe-no-headers-at-all", "xxe-file", bare, (), None, mid,
                      frozenset({"SIGNATURE_MISSING"})))  # fmt: skip
    mid = ctx.mid()
    out.append(_kafka("kafka-unsigned/xxe-http-claims-trader", "forged-sender",
                      _xml_doc(f'<!ENTITY x SYSTEM "{c.http_url}/k">').encode(),
                      (("sw-sender", ctx.trader.encode()), ("sw-message-id", mid.encode())), ctx.trader, mid,
                      frozenset({"SIGNATURE_MISSING"})))  # fmt: skip
    for name, kind, data, expect in (
        ("over-limit-6mb", "large-body", b'{"a":"' + b"A" * (ctx.max_body + 1024 * 1024) + b'"}', TOO_LARGE),
        ("over-limit-10mb", "large-body", b'{"a":"' + b"A" * BIG + b'"}', TOO_LARGE),
        ("invalid-utf8-expanding", "bad-utf8", b'{"a":"' + b"\xff" * (ctx.max_body // 3) + b'"}', ENCODING_CODES),
    ):
        mid = ctx.mid()
        out.append(_kafka(f"kafka/{name}", kind, data, ctx.kafka_signed(ctx.trader, data, mid), ctx.trader, mid,
                          expect))  # fmt: skip
    return out


def corpus(
    canary: CanaryRefs = PLACEHOLDER, seed: str = SEED, tag: str | None = None, max_body_bytes: int = MAX_BODY_BYTES
) -> list[HostileInput]:
    """Every hostile input, freshly signed: the HTTP API's endpoints first, then the Kafka ingress records.

    ``tag`` makes the message ids of one pass unique (default: random); ``max_body_bytes`` is the gateway's limit."""
    ctx = _Ctx(seed, canary, tag or uuid.uuid4().hex[:8], max_body_bytes)
    bodies = _message_bodies(ctx)
    http = _submit_inputs(ctx, bodies) + _auth_inputs(ctx) + _content_type_inputs(ctx) + _large_inputs(ctx)
    http += _batch_inputs(ctx, canary) + _read_inputs(ctx)
    kafka = _kafka_body_inputs(ctx, bodies) + _kafka_auth_inputs(ctx) + _kafka_special_inputs(ctx)
    return http + kafka


def kinds(inputs: list[HostileInput]) -> dict[str, int]:
    """How many inputs of each kind."""
    out: dict[str, int] = {}
    for i in inputs:
        out[i.kind] = out.get(i.kind, 0) + 1
    return dict(sorted(out.items()))
