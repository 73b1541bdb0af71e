"""The dedicated line's receiving endpoint refuses what it must, with the gateway's error shape and codes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.registry import build_registry
from schemas.codec import encode
from schemas.message_types import MessageType
from schemas.samples import all_samples
from swsim import signing
from swsim.network import TAX_CQ, TAX_SC, private_key
from swsim.settings import Settings
from tax_exchange.line import PATH, line_app

SEED = "swsim-demo-network"


@pytest.fixture
def line() -> tuple[TestClient, list[tuple[Any, str]]]:
    got: list[tuple[Any, str]] = []

    def on_record(message: Any, channel: str) -> bool:
        got.append((message, channel))
        return len(got) == 1

    app = line_app(TAX_CQ, TAX_SC, build_registry(Settings(network_seed=SEED)), on_record)
    return TestClient(app), got


def _post(client: TestClient, body: bytes, signer: str = TAX_SC, **kw: Any) -> Any:
    headers = {f"x-sw-{k}": v for k, v in signing.sign(private_key(SEED, signer), "POST", PATH, signer, body).items()}
    headers["content-type"] = kw.pop("ctype", "application/json")
    headers.update(kw.pop("override", {}))
    return client.post(PATH, content=kw.pop("send", body), headers=headers)


RECORD = encode(all_samples()[MessageType.TX101], "json")  # sent by Sichuan tax to Chongqing tax


def test_a_signed_record_from_the_peer_is_applied_once(line: tuple[TestClient, list[Any]]) -> None:
    client, got = line
    r1, r2 = _post(client, RECORD), _post(client, RECORD)
    assert (r1.status_code, r2.status_code) == (200, 200)
    assert (r1.json()["applied"], r2.json()["applied"]) == (True, False)
    assert [ch for _m, ch in got] == ["B", "B"]


def test_xml_records_are_accepted_too(line: tuple[TestClient, list[Any]]) -> None:
    client, got = line
    r = _post(client, encode(all_samples()[MessageType.TX104], "xml"), ctype="application/xml")
    assert r.status_code == 200
    assert len(got) == 1


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unsigned", 401, "SIGNATURE_MISSING"),
        ("not the peer", 401, "UNKNOWN_SENDER"),
        ("body altered after signing", 401, "SIGNATURE_INVALID"),
        ("stale", 401, "SIGNATURE_EXPIRED"),
        ("wrong content type", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("not a record", 403, "NOT_AUTHORIZED"),
        ("invalid record", 422, "USCC_CHECK_CHARACTER"),
        ("too large", 413, "PAYLOAD_TOO_LARGE"),
        ("wrong path", 404, "NOT_FOUND"),
    ],
)
def test_refusals(line: tuple[TestClient, list[Any]], case: str, status: int, code: str) -> None:
    client, got = line
    if case == "unsigned":
        r = client.post(PATH, content=RECORD, headers={"content-type": "application/json"})
    elif case == "not the peer":
        r = _post(client, RECORD, signer="8000", override={"x-sw-sender": "8000"})
    elif case == "body altered after signing":
        r = _post(client, RECORD, send=RECORD.replace(b"Gaoxin", b"Jinjiang"))
    elif case == "stale":
        old = str(int(time.time()) - 3600)
        r = _post(client, RECORD, override={"x-sw-created": old})
    elif case == "wrong content type":
        r = _post(client, RECORD, ctype="text/plain")
    elif case == "not a record":
        refund = all_samples()[MessageType.TX201]
        body = encode(refund.model_copy(update={"head": refund.head.model_copy(update={"sender_id": TAX_SC})}), "json")
        r = _post(client, body)
    elif case == "invalid record":
        r = _post(client, RECORD.replace(b"915101009D4H3J9HTJ", b"915101009D4H3J9HTX"))
    elif case == "too large":
        big = RECORD + b" " * (1024 * 1024)
        r = _post(client, big)
    else:
        r = client.post("/line/v1/other", content=RECORD)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert got == []
