"""Hostile HTTP input that used to answer 500 or 503, on a gateway with the in-memory transport (fast): each is now
refused with a code, and the batch endpoint decodes every item as ``POST /v1/messages`` does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.http.batch import BatchInvalid, split_batch
from gateway.service import Gateway
from schemas.message_types import MessageType
from swsim.network import api_key, operator_key

from .helpers import CHENGDU, SEED, TRADER, body, message

JSON = {"Content-Type": "application/json"}
TOO_LONG = b"1" * 5000
"""An integer longer than Python converts (4300 digits)."""


def _as_trader() -> dict[str, str]:
    return {**JSON, "X-API-Key": api_key(SEED, TRADER)}


def _valid() -> bytes:
    return body(message(MessageType.MT2301, TRADER, CHENGDU))


def _batch(http: TestClient, data: bytes) -> Any:
    return http.post("/v1/messages/batch", content=data, headers=_as_trader())


def test_integer_too_long_is_refused_not_500(http: TestClient) -> None:
    data = b'{"Head": {"a": ' + TOO_LONG + b"}}"
    r = http.post("/v1/validate", content=data, headers=JSON)
    assert r.status_code == 200, r.text
    assert [(e["code"], e["location"]) for e in r.json()["errors"]] == [("TOO_MANY_DIGITS", "/Head/a")]
    r = http.post("/v1/messages", content=data, headers=_as_trader())
    assert (r.status_code, r.json()["error"]["code"]) == (422, "TOO_MANY_DIGITS")


@pytest.mark.parametrize("key", ["\\u0001", "\\ud800", "\\uffff"])
def test_unprintable_key_is_refused_not_500(http: TestClient, key: str) -> None:
    """Its location went verbatim into the rejection receipt, whose text types refuse such characters: building the
    receipt failed (500 here; on Kafka, the batch failed for ever)."""
    data = f'{{"Head": {{"MessageType": "MT2301", "{key}": 1, "{key}": 1}}}}'.encode()
    r = http.post("/v1/messages", content=data, headers=_as_trader())
    assert (r.status_code, r.json()["error"]["code"]) == (422, "JSON_DUPLICATE_KEY")
    assert r.json()["result"]["receipt"]


def test_unexpected_error_is_500_with_a_reference_and_dead_lettered(
    http: TestClient, gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any) -> Any:
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr("gateway.prepare.decode_with_spec", fail)
    r = http.post("/v1/messages", content=_valid(), headers=_as_trader())
    assert (r.status_code, r.json()["error"]["code"]) == (500, "INTERNAL_ERROR")
    assert "reference" in r.json()["error"]["message"]
    assert "boom" not in r.text
    assert "Traceback" not in r.text
    assert gw.ledger.get_deadletter(r.json()["result"]["deadletter_id"]) is not None


def test_expanding_body_is_refused_not_503(http: TestClient, gw: Gateway) -> None:
    """Invalid UTF-8 under the body limit, escaped whole (6 bytes a byte) into the dead-letter record, made it larger
    than the producer takes: the broker "did not acknowledge" (503)."""
    data = b'{"a":"' + b"\xff" * (gw.settings.max_body_bytes // 3) + b'"}'
    r = http.post("/v1/messages", content=data, headers=_as_trader())
    assert (r.status_code, r.json()["error"]["code"]) == (422, "ENCODING_INVALID")
    dead = gw.transport.topics[gw.topics.deadletter]  # type: ignore[attr-defined]
    assert max(len(d.value) for d in dead) < 1024 * 1024


def test_batch_item_with_lone_surrogate_is_rejected_not_500(http: TestClient) -> None:
    """The item used to be parsed, then serialized again as UTF-8, which cannot carry a lone surrogate."""
    valid = _valid().decode()
    lone = valid.replace("Synthetic Declarant", "\\ud800", 1)
    r = _batch(http, f'[{{"a": "\\ud800"}}, {lone}, "<Manifest>\\udc00</Manifest>"]'.encode())
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * 3
    assert all(x["codes"] for x in results)


def test_batch_item_with_duplicate_key_is_rejected(http: TestClient, gw: Gateway) -> None:
    """As on ``POST /v1/messages`` and Kafka: the last key no longer wins silently."""
    dup = _valid().decode().replace('"Version":"1.0"', '"Version":"1.0","Version":"2.0"', 1)
    ok = _valid()
    r = _batch(http, b"[" + dup.encode() + b"," + ok + b"]")
    assert r.status_code == 200, r.text
    assert [(x["status"], x["codes"]) for x in r.json()["results"]] == [
        ("rejected", ["JSON_DUPLICATE_KEY"]),
        ("delivered", []),
    ]
    routed = gw.transport.topics[gw.topics.inbox(CHENGDU)]  # type: ignore[attr-defined]
    assert [x.value for x in routed] == [ok]  # the exact bytes sent, not parsed and serialized again


def test_batch_item_with_integer_too_long_is_rejected_alone(http: TestClient) -> None:
    r = _batch(http, b'[{"Head": {"a": ' + TOO_LONG + b"}}, " + _valid() + b"]")
    assert r.status_code == 200, r.text
    assert [(x["status"], x["codes"]) for x in r.json()["results"]] == [
        ("rejected", ["TOO_MANY_DIGITS"]),
        ("delivered", []),
    ]


def test_batch_item_nested_too_deeply_is_rejected_alone(http: TestClient) -> None:
    """An object deeper than the splitter's recursion limit made the whole batch 400, valid items with it."""
    deep = b'{"a": "]}\\" \\"{[",  "b": ' * 5_000 + b"1" + b"}" * 5_000  # brackets and escaped quotes in strings
    r = _batch(http, b"[" + deep + b", " + _valid() + b"]")
    assert r.status_code == 200, r.text
    assert [(x["status"], x["codes"]) for x in r.json()["results"]] == [
        ("rejected", ["JSON_TOO_DEEP"]),
        ("delivered", []),
    ]
    assert split_batch(b"[" + deep + b"]") == [deep]
    r = _batch(http, b"[" + deep[:-1])  # never closed
    assert (r.status_code, r.json()["error"]["code"]) == (400, "BATCH_INVALID")
    assert "never closed" in r.json()["error"]["message"]
    r = _batch(http, b'[{"a": ' + b"[" * 3000 + b"}" * 3000 + b"]]")  # closed by the wrong kind of bracket
    assert (r.status_code, r.json()["error"]["code"]) == (400, "BATCH_INVALID")
    assert "where ']' closes what is open" in r.json()["error"]["message"]


def test_a_deep_item_too_long_to_skip_is_refused_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding a deep item's end is bounded: a 5 MB nest took 1.5 s of the event loop."""
    from gateway.http import batch

    monkeypatch.setattr(batch, "DEEP_SCAN_LIMIT", 6_000)  # 4 per level
    with pytest.raises(BatchInvalid, match="too long to find its end"):
        split_batch(b"[" + b'{"":' * 2_000 + b"1" + b"}" * 2_000 + b"]")
    assert split_batch(b"[" + b'{"":' * 1_100 + b"1" + b"}" * 1_100 + b"]")  # under the bound: found


NOT_BATCHES = [b'{"Head": {}}', b'"[]"', b"[1]", b"[" + TOO_LONG + b"]", b"[null]", b"[[]]", b"[{]", b"[{},]", b"[{}"]
NOT_BATCHES += [b"[{}] x", b"[{} {}]", b"[" * 100_000 + b"]" * 100_000, b'["\xff"]', b""]


@pytest.mark.parametrize("data", NOT_BATCHES)
def test_not_a_batch_is_refused(http: TestClient, data: bytes) -> None:
    r = _batch(http, data)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "BATCH_INVALID")


def test_split_batch_keeps_each_items_bytes() -> None:
    items = ['{"b" :  1,"b":2}', '{"x":"\\u4e2d 中"}']
    raw = ("\ufeff [ " + " ,\n".join(items) + ', "<Manifest/>" ] \n').encode()
    assert split_batch(raw) == [items[0].encode(), items[1].encode(), b"<Manifest/>"]
    assert split_batch(b" [ ] ") == []
    with pytest.raises(BatchInvalid, match="item 1 is neither"):
        split_batch(b"[{}, 1.5e999]")


@pytest.mark.parametrize(("seq", "status"), [(2**63, 422), (10**30, 422), (0, 422), (-1, 422), (2**63 - 1, 404)])
def test_dashboard_message_number_out_of_range(http: TestClient, seq: int, status: int) -> None:
    """A number past SQLite's INTEGER made the ledger raise OverflowError (500)."""
    r = http.get(f"/dashboard/api/messages/{seq}", headers={"X-API-Key": operator_key(SEED)})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == ("REQUEST_INVALID" if status == 422 else "NOT_FOUND")


def test_dead_letter_listing_still_gives_the_whole_body(http: TestClient) -> None:
    """The dead-letter record carries the start of a large body; the ledger, and so the listing, keep it whole."""
    data = b'{"a":"' + b"\xff" * 100_000 + b'"}'
    http.post("/v1/messages", content=data, headers=_as_trader())
    [item] = http.get("/v1/deadletters", headers=_as_trader()).json()["items"]
    assert item["body"] == data.decode("utf-8", errors="replace")
