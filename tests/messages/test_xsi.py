"""xsi: attributes: the decoder accepts exactly what the published XSD accepts, and never fetches a schema."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from lxml import etree

from schemas.codec import validate

from .corpus import sample_text
from .published import xsd_for

CODE = "MT2101"
NS = "urn:Declaration:datamodel:standard:CN:MT2101:1"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'

# where -> (opening tag in the sample, its location, its XSD type)
PLACES = {
    "root": (f'<Manifest xmlns="{NS}"', "/Manifest", "ManifestMessageType"),
    "Head": ("<Head", "/Manifest/Head", "HeadType"),
    "MessageType": ("<MessageType", "/Manifest/Head/MessageType", "ThisMessageTypeType"),
    "Mass": ("<TotalGrossMassMeasure", "/Manifest/Declaration/Consignment[1]/TotalGrossMassMeasure", "MassType"),
}

# (label, attributes given the element's own type name, whether the XSD allows them)
ATTRIBUTES = [
    ("schemaLocation", lambda t: f'{XSI} xsi:schemaLocation="{NS} {CODE}.xsd"', True),
    ("schemaLocation-odd", lambda t: f'{XSI} xsi:schemaLocation="{NS}"', True),
    ("schemaLocation-empty", lambda t: f'{XSI} xsi:schemaLocation=""', True),
    ("noNamespaceSchemaLocation", lambda t: f'{XSI} xsi:noNamespaceSchemaLocation="{CODE}.xsd"', True),
    ("both-hints", lambda t: f'{XSI} xsi:schemaLocation="{NS} a.xsd" xsi:noNamespaceSchemaLocation="b.xsd"', True),
    ("type-own", lambda t: f'{XSI} xsi:type="{t}"', True),
    ("type-own-prefixed", lambda t: f'{XSI} xmlns:m="{NS}" xsi:type="m:{t}"', True),
    ("type-own-and-hint", lambda t: f'{XSI} xsi:type="{t}" xsi:schemaLocation="{NS} a.xsd"', True),
    ("type-spaced", lambda t: f'{XSI} xsi:type=" {t} "', False),
    ("type-builtin", lambda t: f'{XSI} {XS} xsi:type="xs:string"', False),
    ("type-other", lambda t: f'{XSI} xsi:type="MessageTypeType"', False),
    ("type-undeclared-prefix", lambda t: f'{XSI} xsi:type="q:{t}"', False),
    ("type-other-namespace", lambda t: f'{XSI} xmlns:m="urn:other" xsi:type="m:{t}"', False),
    ("nil-true", lambda t: f'{XSI} xsi:nil="true"', False),
    ("nil-false", lambda t: f'{XSI} xsi:nil="false"', False),
    ("xsi-unknown", lambda t: f'{XSI} xsi:foo="1"', False),
    ("unqualified-schemaLocation", lambda t: 'schemaLocation="a.xsd"', False),
    ("foreign-schemaLocation", lambda t: 'xmlns:f="urn:f" f:schemaLocation="a.xsd"', False),
    ("plain", lambda t: 'id="1"', False),
    ("hint-and-plain", lambda t: f'{XSI} xsi:schemaLocation="{NS} a.xsd" id="1"', False),
]


def _with(place: str, attributes: str) -> bytes:
    tag = PLACES[place][0]
    text = sample_text(CODE, "xml")
    assert text.count(tag + ">") + text.count(tag + " ") == 1
    return text.replace(tag, f"{tag} {attributes}", 1).encode()


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize(("label", "attributes", "allowed"), ATTRIBUTES, ids=[a[0] for a in ATTRIBUTES])
def test_xsi_attributes_agree_with_the_xsd(place: str, label: str, attributes: object, allowed: bool) -> None:
    _, location, type_name = PLACES[place]
    data = _with(place, attributes(type_name))  # type: ignore[operator]
    assert bool(xsd_for(CODE).validate(etree.fromstring(data))) is allowed, xsd_for(CODE).error_log
    report = validate(data)
    if allowed:
        assert report.ok, [str(i) for i in report.issues]
    else:
        assert [(i.code, i.location) for i in report.issues] == [("UNEXPECTED_ATTRIBUTE", location)]
        assert "remove the attribute(s)" in report.issues[0].message


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Counter.hits = []
    httpd = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("extra", ["", 'xsi:type="ManifestMessageType"'], ids=["fast-path", "diagnostic-walk"])
def test_schema_locations_are_never_fetched(server: str, tmp_path: Path, extra: str) -> None:
    missing = (tmp_path / "absent.xsd").as_uri()
    hints = f'{XSI} xsi:schemaLocation="{NS} {server}/a.xsd" xsi:noNamespaceSchemaLocation="{server}/b.xsd" {extra}'
    report = validate(_with("root", hints))
    assert report.ok, [str(i) for i in report.issues]
    report = validate(_with("Head", f'{XSI} xsi:noNamespaceSchemaLocation="{missing}"'))
    assert report.ok, [str(i) for i in report.issues]
    assert _Counter.hits == []
    with pytest.raises(urllib.error.HTTPError):  # the counter does see a fetch
        urllib.request.urlopen(f"{server}/probe.xsd", timeout=5)
    assert _Counter.hits == ["/probe.xsd"]
