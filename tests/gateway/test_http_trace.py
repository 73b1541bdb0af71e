"""``GET /v1/trace/{correlation_id}``: correlation ids with "/" (API key and signed requests), and bounded pages in
order of arrival. On the in-memory transport (fast): the route and the ledger query are what is under test."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.dashboard import views
from gateway.service import Gateway
from schemas.message_types import MessageType
from swsim import signing
from swsim.network import operator_key, private_key

from .helpers import CHENGDU, CHONGQING, SEED, TRADER, body, key, message

JSON = {"Content-Type": "application/json"}


def signed(party: str, path: str) -> dict[str, str]:
    s = signing.sign(private_key(SEED, party), "GET", path, party, b"")
    return {"X-SW-Sender": party, "X-SW-Created": s["created"], "X-SW-Nonce": s["nonce"],
            "X-SW-Signature": s["signature"]}  # fmt: skip


def send(http: TestClient, sender: str, receiver: str, correlation: str) -> str:
    m = message(MessageType.MT2301, sender, receiver, correlation=correlation)
    r = http.post("/v1/messages", content=body(m), headers={**JSON, **key(sender)})
    assert r.status_code == 202, r.text
    return str(m.head.message_id)


def ids(r: Any) -> list[str]:
    return [m["message_id"] for m in r.json()["messages"]]


def test_a_correlation_id_with_slashes_is_traced(http: TestClient) -> None:
    mid = send(http, TRADER, CHENGDU, "BL/2026/001")
    for path in ("/v1/trace/BL/2026/001", "/v1/trace/BL%2F2026%2F001"):
        for headers in (key(TRADER), key(CHENGDU), {"X-API-Key": operator_key(SEED)}):
            r = http.get(path, headers=headers)
            assert r.status_code == 200, r.text
            assert (r.json()["correlation_id"], ids(r)) == ("BL/2026/001", [mid])
        # a signed request signs the decoded path, however the client encoded the slashes
        r = http.get(path, headers=signed(TRADER, "/v1/trace/BL/2026/001"))
        assert r.status_code == 200, r.text
        assert ids(r) == [mid]
    r = http.get("/v1/trace/BL/2026/001?limit=5", headers=signed(TRADER, "/v1/trace/BL/2026/001?limit=5"))
    assert (r.status_code, ids(r)) == (200, [mid])
    r = http.get("/v1/trace/BL/2026/001", headers=signed(TRADER, "/v1/trace/BL/2026/002"))
    assert (r.status_code, r.json()["error"]["code"]) == (401, "SIGNATURE_INVALID")
    # another party still sees nothing, and a prefix of the id is another id
    assert http.get("/v1/trace/BL/2026/001", headers=key(CHONGQING)).status_code == 404
    assert http.get("/v1/trace/BL/2026", headers=key(TRADER)).status_code == 404
    paths = http.get("/openapi.json").json()["paths"]
    assert [p for p in paths if p.startswith("/v1/trace")] == ["/v1/trace/{correlation_id}"]


def test_trace_is_paged_in_order_of_arrival(http: TestClient, gw: Gateway) -> None:
    sent = [send(http, TRADER, CHENGDU if i % 2 else CHONGQING, "BL/PAGE/1") for i in range(7)]
    r = http.get("/v1/trace/BL/PAGE/1?limit=3", headers=key(TRADER))
    assert (ids(r), r.json()["next_offset"]) == (sent[:3], 3)
    r = http.get("/v1/trace/BL/PAGE/1?limit=3&offset=3", headers=key(TRADER))
    assert (ids(r), r.json()["next_offset"]) == (sent[3:6], 6)
    r = http.get("/v1/trace/BL/PAGE/1?limit=3&offset=6", headers=key(TRADER))
    assert (ids(r), r.json()["next_offset"]) == (sent[6:], None)
    r = http.get("/v1/trace/BL/PAGE/1?offset=7", headers=key(TRADER))  # past the end: an empty page
    assert (r.status_code, ids(r), r.json()["next_offset"]) == (200, [], None)
    # the page is taken from what the caller may see: a receiver's pages hold only its own messages
    r = http.get("/v1/trace/BL/PAGE/1?limit=2", headers=key(CHENGDU))
    assert (ids(r), r.json()["next_offset"]) == (sent[1:4:2], 2)
    r = http.get("/v1/trace/BL/PAGE/1?limit=2&offset=2", headers=key(CHENGDU))
    assert (ids(r), r.json()["next_offset"]) == ([sent[5]], None)
    r = http.get("/v1/trace/BL/PAGE/1", headers=key(TRADER))  # the default page holds them all
    assert (ids(r), r.json()["next_offset"]) == (sent, None)
    for bad in ("limit=0", "limit=501", "offset=-1", f"offset={2**63}", "limit=x"):
        r = http.get(f"/v1/trace/BL/PAGE/1?{bad}", headers=key(TRADER))
        assert (r.status_code, r.json()["error"]["code"]) == (422, "REQUEST_INVALID"), bad


def test_trace_default_page_is_bounded(http: TestClient) -> None:
    items = [body(message(MessageType.MT2301, TRADER, CHENGDU, correlation="BL-MANY")) for _ in range(101)]
    r = http.post("/v1/messages/batch", content=b"[" + b",".join(items) + b"]", headers={**JSON, **key(TRADER)})
    assert r.json()["delivered"] == 101
    r = http.get("/v1/trace/BL-MANY", headers=key(CHENGDU))
    assert (len(r.json()["messages"]), r.json()["next_offset"]) == (100, 100)
    r = http.get("/v1/trace/BL-MANY?limit=500", headers=key(CHENGDU))
    assert (len(r.json()["messages"]), r.json()["next_offset"]) == (101, None)


def test_dashboard_search_is_bounded(gw: Gateway, http: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sent = [send(http, TRADER, CHENGDU, "BL-DASH") for _ in range(3)]
    monkeypatch.setattr(views, "SEARCH_LIMIT", 2)
    for q in ("BL-DASH", sent[2]):  # by consignment, and by a message of it
        found = views.search(gw, q)
        assert ([m["message_id"] for m in found["messages"]], found["more"]) == (sent[:2], True)
