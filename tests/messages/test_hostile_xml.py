"""Untrusted XML is parsed safely: no DTDs, no entities, no network, no file reads, size and depth caps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.codec import validate
from schemas.xmlcodec import DEFAULT_MAX_BYTES

from .corpus import sample_text

NS = "urn:Declaration:datamodel:standard:CN:MT2101:1"

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + f']><Manifest xmlns="{NS}"><Head><MessageID>&lol9;</MessageID></Head></Manifest>'
)
QUADRATIC = (
    f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "{"x" * 50000}">]>'
    f'<Manifest xmlns="{NS}"><Head><MessageID>{"&a;" * 5000}</MessageID></Head></Manifest>'
)


def _xxe(target: str) -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "{target}">]>'
        f'<Manifest xmlns="{NS}"><Head><MessageID>&xxe;</MessageID></Head></Manifest>'
    )


HOSTILE: list[tuple[str, bytes, str]] = [
    ("billion-laughs", BILLION_LAUGHS.encode(), "XML_DOCTYPE_FORBIDDEN"),
    ("quadratic-blowup", QUADRATIC.encode(), "XML_DOCTYPE_FORBIDDEN"),
    ("xxe-file", _xxe("file:///etc/passwd").encode(), "XML_DOCTYPE_FORBIDDEN"),
    ("xxe-http", _xxe("http://127.0.0.1:9/x").encode(), "XML_DOCTYPE_FORBIDDEN"),
    (
        "external-dtd",
        f'<?xml version="1.0"?><!DOCTYPE Manifest SYSTEM "http://127.0.0.1:9/x.dtd"><Manifest xmlns="{NS}"/>'.encode(),
        "XML_DOCTYPE_FORBIDDEN",
    ),
    (
        "undeclared-entity",
        f'<Manifest xmlns="{NS}"><Head><MessageID>&xxe;</MessageID></Head></Manifest>'.encode(),
        "XML_ENTITY_FORBIDDEN",
    ),
    (
        "processing-instruction",
        f'<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:9/x"?><Manifest xmlns="{NS}"/>'.encode(),
        "XML_PI_FORBIDDEN",
    ),
    (
        "deep-nesting",
        (f'<Manifest xmlns="{NS}">' + "<a>" * 5000 + "</a>" * 5000 + "</Manifest>").encode(),
        "XML_TOO_DEEP",
    ),
    (
        "bad-utf8",
        f'<Manifest xmlns="{NS}"><Head><MessageID>\xff\xfe</MessageID></Head></Manifest>'.encode("latin-1"),
        "ENCODING_INVALID",
    ),
    (
        "declared-latin1",
        f'<?xml version="1.0" encoding="ISO-8859-1"?><Manifest xmlns="{NS}"/>'.encode("latin-1"),
        "ENCODING_INVALID",
    ),
    ("utf16", f'<?xml version="1.0" encoding="UTF-16"?><Manifest xmlns="{NS}"/>'.encode("utf-16"), "ENCODING_INVALID"),
    (  # UTF-8 bytes that declare UTF-16: libxml2 would only say "Blank needed here"
        "declared-utf16-sent-utf8",
        f'<?xml version="1.0" encoding="UTF-16"?><Manifest xmlns="{NS}"/>'.encode(),
        "ENCODING_INVALID",
    ),
    ("oversize", b"<Manifest>" + b" " * (DEFAULT_MAX_BYTES + 1) + b"</Manifest>", "PAYLOAD_TOO_LARGE"),
]
HOSTILE_CODES = {code for _, _, code in HOSTILE}


@pytest.mark.parametrize(("name", "data", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_xml_refused_with_code(name: str, data: bytes, code: str) -> None:
    report = validate(data)
    assert [i.code for i in report.issues] == [code]


def test_external_entity_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    report = validate(_xxe(secret.as_uri()).encode())
    assert not report.ok
    assert all("TOP-SECRET" not in i.message for i in report.issues)


def test_pi_inside_document_refused() -> None:
    text = sample_text("MT2101", "xml").replace("<Version>", "<?evil x?><Version>", 1)
    assert "XML_PI_FORBIDDEN" in {i.code for i in validate(text.encode()).issues}


@pytest.mark.parametrize(
    ("edit", "where"),
    [(lambda t: t + "<?evil x?>\n", "after"), (lambda t: t.replace("?>\n", "?>\n\n<?evil x?>\n", 1), "before")],
)
def test_pi_before_or_after_the_root_element_refused_at_its_line(edit: Any, where: str) -> None:
    """Outside the root element too: the gateway would otherwise deliver the instruction with the message."""
    text = edit(sample_text("MT1101", "xml"))
    line = text.count("\n", 0, text.index("<?evil")) + 1
    report = validate(text.encode())
    assert [(i.code, i.line) for i in report.issues] == [("XML_PI_FORBIDDEN", line)]
    assert f"processing instruction {where} the root element" in report.issues[0].message


def test_doctype_and_depth_errors_say_where_and_what_to_do() -> None:
    doctype = validate(b'<?xml version="1.0"?>\n\n<!DOCTYPE m [<!ENTITY a "x">]>\n<Manifest/>').issues
    assert [(i.code, i.line) for i in doctype] == [("XML_DOCTYPE_FORBIDDEN", 3)]
    [deep] = validate((f'<Manifest xmlns="{NS}">' + "<a>" * 5000 + "</a>" * 5000 + "</Manifest>").encode()).issues
    assert deep.code == "XML_TOO_DEEP"
    assert "XML_PARSE_HUGE" not in deep.message  # libxml2's advice to programmers, not to senders
    assert "nest at most 32 levels" in deep.message


def test_size_cap_is_configurable() -> None:
    data = sample_text("MT2101", "xml").encode()
    assert validate(data).ok
    report = validate(data, max_bytes=100)
    assert [i.code for i in report.issues] == ["PAYLOAD_TOO_LARGE"]
