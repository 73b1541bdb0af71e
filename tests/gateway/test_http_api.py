"""The HTTP API over the real broker: submit, batch, validate, status, trace, dead letters, auth, hostile input."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.http import create_app
from gateway.service import Gateway
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim import signing
from swsim.client import signed_headers
from swsim.network import operator_key, private_key

from .conftest import Net
from .helpers import CHENGDU, CHONGQING, PARTIES, SEED, TRADER, body, collect, key, message

CARRIER = next(p.id for p in PARTIES if p.role == "carrier")


@pytest.fixture(scope="module")
def http(gateway: Gateway) -> Iterator[TestClient]:
    with TestClient(create_app(gateway), raise_server_exceptions=False) as c:
        yield c


def op() -> dict[str, str]:
    return {"X-API-Key": operator_key(SEED)}


JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml"}


def signed(party: str, method: str, path: str, data: bytes, created: int | None = None) -> dict[str, str]:
    s = signing.sign(private_key(SEED, party), method, path, party, data, created)
    return {"X-SW-Sender": party, "X-SW-Created": s["created"], "X-SW-Nonce": s["nonce"],
            "X-SW-Signature": s["signature"]}  # fmt: skip


def submit(http: TestClient, party: str, data: bytes, fmt: str = "json") -> Any:
    return http.post("/v1/messages", content=data, headers={**key(party), **(JSON if fmt == "json" else XML)})


def test_submit_json_routes_over_kafka(http: TestClient, net: Net) -> None:
    m = message(MessageType.MT2301, TRADER, CHENGDU)
    r = submit(http, TRADER, body(m))
    assert r.status_code == 202, r.text
    doc = r.json()
    assert doc["status"] == "delivered"
    assert doc["receivers"] == [CHENGDU]
    assert decode(doc["receipt"].encode()).body.response_type.code == "19020"
    got = collect(net.inbox(CHENGDU), lambda rs: any(decode(x.value).head.message_id == m.head.message_id for x in rs))
    assert any(decode(x.value) == m for x in got)


def test_submit_signed_xml(http: TestClient) -> None:
    data = body(message(MessageType.MT2301, TRADER, CHENGDU), "xml")
    r = http.post("/v1/messages", content=data, headers={**XML, **signed(TRADER, "POST", "/v1/messages", data)})
    assert r.status_code == 202, r.text
    assert r.json()["receipt"].startswith("<?xml")


def test_invalid_rejected_with_every_error_and_dead_lettered(http: TestClient) -> None:
    m = message(MessageType.MT2301, TRADER, CHENGDU)
    bad = body(m).replace(b'"CNCTU"', b'"CNXXX"').replace(b'"PLMAA"', b'"PLXXX"')
    r = submit(http, TRADER, bad)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "UNKNOWN_LOCODE"
    doc = r.json()["result"]
    assert doc["status"] == "rejected"
    assert {e["code"] for e in doc["errors"]} == {"UNKNOWN_LOCODE"}
    assert len(doc["errors"]) >= 2  # every error, not only the first
    dls = http.get("/v1/deadletters", headers=key(TRADER)).json()["items"]
    assert any(d["id"] == doc["deadletter_id"] and d["codes"] == ["UNKNOWN_LOCODE"] for d in dls)


def test_duplicate_and_conflict(http: TestClient) -> None:
    m = message(MessageType.MT2301, TRADER, CHONGQING)
    first = submit(http, TRADER, body(m))
    again = submit(http, TRADER, body(m))
    assert first.status_code == again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert again.json()["receipt_id"] == first.json()["receipt_id"]
    changed = m.model_copy(update={"head": m.head.model_copy(update={"receiver_id": CHENGDU})})
    conflict = submit(http, TRADER, body(changed))
    assert conflict.status_code == 409
    assert [e["code"] for e in conflict.json()["error"]["errors"]] == ["MESSAGE_ID_CONFLICT"]


@pytest.mark.parametrize(
    ("sender", "head_sender", "receiver", "mt", "status", "code"),
    [
        (TRADER, CHENGDU, CHONGQING, MessageType.MT2301, 403, "SENDER_MISMATCH"),
        (TRADER, TRADER, "9999", MessageType.MT2301, 422, "UNKNOWN_RECEIVER"),
        (TRADER, TRADER, CHENGDU, MessageType.CD101, 403, "NOT_AUTHORIZED"),  # a trader cannot issue a decision
        (TRADER, TRADER, CHENGDU, MessageType.RA101, 403, "NOT_AUTHORIZED"),
        (CARRIER, CARRIER, "15000000000", MessageType.TX101, 403, "NOT_AUTHORIZED"),
    ],
)
def test_authorization_rules(
    http: TestClient, sender: str, head_sender: str, receiver: str, mt: MessageType, status: int, code: str
) -> None:
    r = submit(http, sender, body(message(mt, head_sender, receiver)))
    assert r.status_code == status, r.text
    assert [e["code"] for e in r.json()["error"]["errors"]] == [code]


def test_risk_alert_broadcast_to_other_customs(http: TestClient) -> None:
    r = submit(http, CHONGQING, body(message(MessageType.RA101, CHONGQING, CHENGDU)))
    assert r.status_code == 202, r.text
    assert set(r.json()["receivers"]) == {"7900", "7200", "9402"}


def test_no_cross_party_reads(http: TestClient, gateway: Gateway) -> None:
    """Every party x every message x every read endpoint: only sender and receivers (and the operator) see it."""
    sent = []
    for sender, receiver, mt in ((TRADER, CHENGDU, MessageType.MT2301), (CHONGQING, TRADER, MessageType.CD101),
                                 ("15100000000", "15000000000", MessageType.TX101)):  # fmt: skip
        m = message(mt, sender, receiver, correlation=f"COR{time.time_ns()}")
        assert submit(http, sender, body(m)).status_code == 202
        sent.append((m, {sender, receiver}))
    leaks = 0
    checks = 0
    for party in [p.id for p in PARTIES if p.id != "SWGW"]:
        for m, allowed in sent:
            checks += 2
            status = http.get(f"/v1/messages/{m.head.message_id}", headers=key(party)).status_code
            trace = http.get(f"/v1/trace/{m.head.correlation_id}", headers=key(party)).status_code
            expected = 200 if party in allowed else 404
            leaks += (status != expected) + (trace != expected)
        for d in http.get("/v1/deadletters", headers=key(party)).json()["items"]:
            checks += 1
            leaks += d["sender"] != party
    assert checks > 30
    assert leaks == 0
    for m, _ in sent:
        assert http.get(f"/v1/messages/{m.head.message_id}", headers=op()).status_code == 200


def test_status_has_receipts_and_body(http: TestClient) -> None:
    m = message(MessageType.MT2301, TRADER, CHENGDU)
    submit(http, TRADER, body(m))
    r = http.get(f"/v1/messages/{m.head.message_id}?include_body=true", headers=key(CHENGDU))
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"] == "delivered"
    assert doc["receipts"][0]["status"] == "delivered"
    assert decode(doc["body"].encode()) == m


def test_signature_tampering_expiry_and_replay(http: TestClient) -> None:
    data = body(message(MessageType.MT2301, TRADER, CHENGDU))
    h = {**JSON, **signed(TRADER, "POST", "/v1/messages", data)}
    tampered = http.post("/v1/messages", content=data.replace(b"Synthetic", b"Synthetik", 1), headers=h)
    assert tampered.json()["error"]["code"] == "SIGNATURE_INVALID"
    ok = http.post("/v1/messages", content=data, headers=h)
    assert ok.status_code == 202
    replay = http.post("/v1/messages", content=data, headers=h)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "NONCE_REPLAYED")
    stale = {**JSON, **signed(TRADER, "POST", "/v1/messages", data, created=int(time.time()) - 3600)}
    assert http.post("/v1/messages", content=data, headers=stale).json()["error"]["code"] == "SIGNATURE_EXPIRED"
    other_path = {**JSON, **signed(TRADER, "POST", "/v1/validate", data)}
    assert http.post("/v1/messages", content=data, headers=other_path).json()["error"]["code"] == "SIGNATURE_INVALID"
    assert http.post("/v1/messages", content=data, headers=JSON).json()["error"]["code"] == "AUTH_REQUIRED"
    bad_key = {**JSON, "X-API-Key": "sk_nope"}
    assert http.post("/v1/messages", content=data, headers=bad_key).json()["error"]["code"] == "AUTH_INVALID"
    fresh = signed(TRADER, "POST", "/v1/messages", data)
    for header, value in (("X-SW-Created", "+" + fresh["X-SW-Created"]), ("X-SW-Nonce", "n" * 129)):
        r = http.post("/v1/messages", content=data, headers={**JSON, **fresh, header: value})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "SIGNATURE_INVALID"), header


def test_hostile_http_input(http: TestClient, gateway: Gateway) -> None:
    big = b"<a>" + b"x" * (gateway.settings.max_body_bytes + 10) + b"</a>"
    r = http.post("/v1/messages", content=big, headers={**key(TRADER), **XML})
    assert (r.status_code, r.json()["error"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    r = http.post("/v1/messages", content=b"{}", headers={**key(TRADER), "Content-Type": "text/plain"})
    assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    r = http.post("/v1/messages", content=b"{}", headers={**key(TRADER), **JSON, "Content-Encoding": "gzip"})
    assert r.status_code == 415
    data = body(message(MessageType.MT2301, TRADER, CHENGDU))
    for path in ("/v1/messages", "/v1/validate"):  # a Content-Type that contradicts the body, or is not UTF-8
        r = http.post(path, content=data, headers={**key(TRADER), **XML})
        assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE"), path
        assert "the body is JSON but Content-Type says application/xml" in r.json()["error"]["message"]
        r = http.post(path, content=data, headers={**key(TRADER), "Content-Type": "application/json; charset=latin-1"})
        assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE"), path
    ok = http.post("/v1/validate", content=data, headers={"Content-Type": "application/json; charset=UTF-8"})
    assert ok.status_code == 200, ok.text
    xxe = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><Manifest>&x;</Manifest>'
    r = http.post("/v1/messages", content=xxe, headers={**key(TRADER), **XML})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "XML_DOCTYPE_FORBIDDEN")
    assert "root:" not in r.text
    r = http.post("/v1/messages", content=b'{"Head": {"a": 1, "a": 2}}', headers={**key(TRADER), **JSON})
    assert r.json()["error"]["code"] == "JSON_DUPLICATE_KEY"
    r = http.get("/v1/messages/x?include_body=maybe", headers=key(TRADER))
    assert (r.status_code, r.json()["error"]["code"]) == (422, "REQUEST_INVALID")
    assert "Traceback" not in r.text


def test_batch(http: TestClient) -> None:
    a = message(MessageType.MT2301, TRADER, CHENGDU)
    b = message(MessageType.MT2301, TRADER, CHONGQING)
    bad = json.loads(body(message(MessageType.MT2301, TRADER, CHENGDU)))
    bad["Head"]["ReceiverID"] = "0000"
    items = [json.loads(body(a)), body(b, "xml").decode(), bad, json.loads(body(a))]
    r = http.post("/v1/messages/batch", content=json.dumps(items), headers={**key(TRADER), **JSON})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["delivered"], doc["rejected"], doc["duplicates"]) == (2, 1, 1)
    assert doc["results"][2]["codes"] == ["UNKNOWN_RECEIVER"]
    r = http.post("/v1/messages/batch", content=b'{"not": "a list"}', headers={**key(TRADER), **JSON})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "BATCH_INVALID")


def test_validate_only_stores_nothing(http: TestClient, gateway: Gateway) -> None:
    before = gateway.ledger.counts()
    data = body(message(MessageType.MT2301, TRADER, CHENGDU)).replace(b'"CNCTU"', b'"CNXXX"')
    r = http.post("/v1/validate", content=data, headers=JSON)
    assert r.status_code == 200
    assert r.json()["valid"] is False
    assert r.json()["errors"][0]["location"] == "/Declaration/Consignment/0/LoadingLocation/ID"
    assert gateway.ledger.counts() == before


def test_an_expired_kafka_record_is_not_redriven(http: TestClient, gateway: Gateway, net: Net) -> None:
    """Its sender was never authenticated (the signature expired): the operator cannot vouch for a claim."""
    m = message(MessageType.MT2301, TRADER, CHENGDU)
    data = body(m)
    t = net.transport()
    s = signing.sign(private_key(SEED, TRADER), "KAFKA", "ingress", TRADER, data, int(time.time()) - 3600)
    headers = [
        ("sw-sender", TRADER.encode()),
        ("sw-created", s["created"].encode()),
        ("sw-nonce", s["nonce"].encode()),
        ("sw-signature", s["signature"].encode()),
        ("sw-message-id", m.head.message_id.encode()),
    ]
    t.send(gateway.topics.ingress, data, headers=headers)
    t.flush()
    deadline = time.monotonic() + 30
    found = None
    while found is None and time.monotonic() < deadline:
        items = http.get("/v1/deadletters?limit=500", headers=op()).json()["items"]
        found = next((d for d in items if d["message_id"] == m.head.message_id), None)
    assert found is not None
    assert found["codes"] == ["SIGNATURE_EXPIRED"]
    assert http.post(f"/v1/deadletters/{found['id']}/redrive", headers=key(TRADER)).status_code == 403
    r = http.post(f"/v1/deadletters/{found['id']}/redrive", headers=op())
    assert (r.status_code, r.json()["error"]["code"]) == (409, "REDRIVE_IMPOSSIBLE"), r.text
    assert "never authenticated" in r.json()["error"]["message"]
    assert http.get(f"/v1/messages/{m.head.message_id}", headers=op()).status_code == 404


def test_health_metrics_asyncapi_openapi(http: TestClient) -> None:
    assert http.get("/health").json()["status"] == "ok"
    assert "swsim_gateway_messages" in http.get("/metrics").text
    doc = http.get("/asyncapi.json").json()
    assert doc["asyncapi"].startswith("3.")
    assert "MT2101" in doc["components"]["messages"]
    spec = http.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"/v1/messages", "/v1/messages/batch", "/v1/validate", "/v1/deadletters"} <= set(paths)
    # a 422 is the gateway's error body, as the API answers it (not FastAPI's validation list)
    listing = paths["/v1/deadletters"]["get"]
    assert listing["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    r = http.get("/v1/deadletters?limit=0", headers=key(TRADER))
    assert (r.status_code, set(r.json())) == (422, {"error"})
    assert "HTTPValidationError" not in str(spec)
    # how to authenticate: on every endpoint that needs a party, and not on validate-only
    assert spec["components"]["securitySchemes"]["apiKey"] == {**spec["components"]["securitySchemes"]["apiKey"],
                                                                "in": "header", "name": "X-API-Key"}  # fmt: skip
    assert listing["security"] == [{"apiKey": []}, {"signature": []}]
    assert paths["/v1/messages"]["post"]["security"] == [{"apiKey": []}, {"signature": []}]


def test_head_health_and_a_trailing_slash(http: TestClient) -> None:
    """HEAD /health was 405 (probes use it); a trailing '/' was a 307 whose Location named the caller's Host."""
    r = http.head("/health")
    assert (r.status_code, r.content) == (200, b"")
    gw = http.app.state.gateway  # type: ignore[attr-defined]
    gw.broker_ok = lambda: False  # the broker unreachable: the same 503 as GET /health
    assert (http.head("/health").status_code, http.get("/health").status_code) == (503, 503)
    del gw.broker_ok
    r = http.post("/v1/messages/", content=b"{}", headers={**key(TRADER), "Host": "evil.example"},
                  follow_redirects=False)  # fmt: skip
    assert (r.status_code, r.json()["error"]["code"], "location" in r.headers) == (404, "NOT_FOUND", False)
    assert "drop it" in r.json()["error"]["message"]
    assert "drop it" not in http.get("/v1/nothing", headers=key(TRADER)).json()["error"]["message"]


def test_signed_headers_helper_matches_gateway_rules() -> None:
    h = dict(signed_headers(private_key(SEED, TRADER), TRADER, b"x"))
    assert set(h) == {"sw-sender", "sw-created", "sw-nonce", "sw-signature"}


def test_out_of_range_numbers_are_refused_not_crashed(http: TestClient) -> None:
    r = http.get("/v1/deadletters?offset=99999999999999999999999", headers=key(TRADER))
    assert (r.status_code, r.json()["error"]["code"]) == (422, "REQUEST_INVALID")
    r = http.post("/v1/deadletters/99999999999999999999999/redrive", headers=op())
    assert (r.status_code, r.json()["error"]["code"]) == (422, "REQUEST_INVALID")
