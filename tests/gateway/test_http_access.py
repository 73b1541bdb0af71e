"""Who may read and do what over HTTP, on the in-memory transport (fast): a receiver reads only the receipts of the
message it received, a dead letter whose sender was never authenticated is not re-driven as that sender, and a
signature's created time of any size is judged without a crash."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.ledger import DeadLetter
from gateway.prepare import Inbound, Signature
from gateway.service import Gateway
from schemas.message_types import MessageType
from swsim import signing
from swsim.network import operator_key, private_key

from .helpers import CHENGDU, CHONGQING, SEED, TRADER, body, key, message

JSON = {"Content-Type": "application/json"}
OP = {"X-API-Key": operator_key(SEED)}


def submit(http: TestClient, party: str, data: bytes) -> Any:
    return http.post("/v1/messages", content=data, headers={**JSON, **key(party)})


def readdressed(m: Any, receiver: str) -> Any:
    return m.model_copy(update={"head": m.head.model_copy(update={"receiver_id": receiver})})


def receipts(http: TestClient, party: dict[str, str], mid: str, corr: str) -> tuple[list[Any], list[Any]]:
    """(status, codes) of the receipts shown with the message, by /v1/messages and by /v1/trace."""
    status = http.get(f"/v1/messages/{mid}?include_body=true", headers=party).json()["receipts"]
    [traced] = [m for m in http.get(f"/v1/trace/{corr}", headers=party).json()["messages"] if m["message_id"] == mid]
    return [(r["status"], r["codes"]) for r in status], [(r["status"], r["codes"]) for r in traced["receipts"]]


def test_a_receiver_reads_only_the_receipts_of_the_message_it_received(http: TestClient) -> None:
    m = message(MessageType.MT2301, TRADER, CHENGDU, correlation="BL-RCPT-1")
    mid = m.head.message_id
    # the sender's attempts that reused the MessageID: one refused (to a receiver it may not send to), one that
    # conflicts with the stored message (to another receiver)
    assert submit(http, TRADER, body(readdressed(m, "SGCUS"))).json()["error"]["code"] == "NOT_AUTHORIZED"
    assert submit(http, TRADER, body(m)).status_code == 202
    assert submit(http, TRADER, body(readdressed(m, CHONGQING))).status_code == 409
    own = [("rejected", ["NOT_AUTHORIZED"]), ("delivered", []), ("rejected", ["MESSAGE_ID_CONFLICT"])]
    for reader in (key(TRADER), OP):  # the sender's own attempts: the sender and the operator see them all
        assert receipts(http, reader, mid, "BL-RCPT-1") == (own, own)
    assert receipts(http, key(CHENGDU), mid, "BL-RCPT-1") == ([("delivered", [])], [("delivered", [])])
    doc = http.get(f"/v1/messages/{mid}?include_body=true", headers=key(CHENGDU)).json()
    assert "SGCUS" not in str(doc["receipts"])
    assert "MESSAGE_ID_CONFLICT" not in str(doc["receipts"])


def _kafka(gw: Gateway, signature: Signature | None) -> tuple[int, str]:
    """A Kafka ingress record claiming to come from customs 7900 (a forged clearance decision to a trader), through
    the pipeline as the router runs it: (the id of its dead letter, its MessageID)."""
    m = message(MessageType.CD101, CHENGDU, TRADER)
    inbound = Inbound(body=body(m), channel="kafka", claimed_sender=CHENGDU, signature=signature,
                      headers={"sw-sender": CHENGDU})  # fmt: skip
    o = gw.pipeline.process(inbound)
    assert o.status == "rejected"
    assert o.deadletter_id is not None
    return o.deadletter_id, m.head.message_id


def _refused(http: TestClient, gw: Gateway, dl_id: int, mid: str) -> None:
    r = http.post(f"/v1/deadletters/{dl_id}/redrive", headers=OP)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "REDRIVE_IMPOSSIBLE"), r.text
    assert "never authenticated" in r.json()["error"]["message"]
    assert http.get(f"/v1/messages/{mid}", headers=key(TRADER)).status_code == 404  # nothing was delivered
    dl = gw.ledger.get_deadletter(dl_id)
    assert dl is not None
    assert dl.redriven_at is None


def _real(created: int) -> Signature:
    s = signing.sign(private_key(SEED, CHENGDU), signing.KAFKA_METHOD, signing.KAFKA_PATH, CHENGDU, b"", created)
    return Signature(CHENGDU, created, s["nonce"], s["signature"])  # a real signature, but over another body


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        (None, "SIGNATURE_MISSING"),
        (Signature(CHENGDU, int(time.time()), "n1", "A" * 88), "SIGNATURE_INVALID"),
        (_real(int(time.time())), "SIGNATURE_INVALID"),
    ],
)
def test_a_dead_letter_from_an_unauthenticated_sender_is_not_redriven(
    http: TestClient, gw: Gateway, signature: Signature | None, code: str
) -> None:
    dl_id, mid = _kafka(gw, signature)
    [dl] = [d for d in http.get("/v1/deadletters", headers=OP).json()["items"] if d["id"] == dl_id]
    assert (dl["sender"], dl["codes"]) == (CHENGDU, [code])
    # it only claims to come from CHENGDU: not in CHENGDU's own list (anyone able to write could fill it)
    assert dl_id not in [d["id"] for d in http.get("/v1/deadletters", headers=key(CHENGDU)).json()["items"]]
    _refused(http, gw, dl_id, mid)


def test_a_sender_unknown_then_registered_is_not_redriven(http: TestClient, gw: Gateway) -> None:
    """What the pipeline records for a sender unknown at the time (the party registered since): no receipt."""
    m = message(MessageType.CD101, CHENGDU, TRADER)
    issue: dict[str, object] = {"code": "UNKNOWN_SENDER", "message": "not registered", "location": "headers"}
    dl_id = gw.ledger.add_deadletter(DeadLetter(CHENGDU, m.head.message_id, ["UNKNOWN_SENDER"], [issue], body(m),
                                                {"sw-sender": CHENGDU}, "kafka", time.time()))  # fmt: skip
    _refused(http, gw, dl_id, m.head.message_id)


def test_an_internal_error_before_authentication_is_not_redriven(
    http: TestClient, gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INTERNAL_ERROR may come before or after authentication: only the rejection receipt, which the pipeline
    records for an authenticated sender alone, tells them apart."""

    def broken(*_: object) -> bool:
        raise RuntimeError("verifier failed")

    monkeypatch.setattr(signing, "verify", broken)
    dl_id, mid = _kafka(gw, Signature(CHENGDU, int(time.time()), "n1", "A" * 88))
    monkeypatch.undo()
    dl = gw.ledger.get_deadletter(dl_id)
    assert dl is not None
    assert dl.codes == ["INTERNAL_ERROR"]
    _refused(http, gw, dl_id, mid)


def _signed_kafka(gw: Gateway, sender: str, data: bytes, created: int) -> Any:
    s = signing.sign(private_key(SEED, sender), signing.KAFKA_METHOD, signing.KAFKA_PATH, sender, data, created)
    inbound = Inbound(body=data, channel="kafka", claimed_sender=sender,
                      signature=Signature(sender, created, s["nonce"], s["signature"]))  # fmt: skip
    return gw.pipeline.process(inbound)


def test_only_a_dead_letter_from_an_authenticated_sender_is_redriven(http: TestClient, gw: Gateway) -> None:
    m = message(MessageType.CD101, CHENGDU, TRADER)
    expired = _signed_kafka(gw, CHENGDU, body(m), int(time.time()) - 3600)  # a real signature, long ago
    assert expired.codes == ["SIGNATURE_EXPIRED"]
    _refused(http, gw, expired.deadletter_id, m.head.message_id)
    # refused for its content, after the sender was authenticated: re-run (and refused again for its content)
    bad = body(message(MessageType.MT2301, TRADER, CHENGDU)).replace(b'"CNCTU"', b'"CNXXX"')
    o = _signed_kafka(gw, TRADER, bad, int(time.time()))
    assert o.codes == ["UNKNOWN_LOCODE"]
    r = http.post(f"/v1/deadletters/{o.deadletter_id}/redrive", headers=OP)
    assert r.status_code == 200, r.text
    assert [e["code"] for e in r.json()["result"]["errors"]][:1] == ["UNKNOWN_LOCODE"]
    http_dl = submit(http, TRADER, bad).json()["result"]["deadletter_id"]  # over HTTP: always authenticated
    assert http.post(f"/v1/deadletters/{http_dl}/redrive", headers=OP).status_code == 200


@pytest.mark.parametrize("created", [10**400, -(10**400)], ids=["1e400", "-1e400"])
def test_a_created_time_of_any_size_is_expired_not_a_crash(http: TestClient, created: int) -> None:
    path = "/v1/messages/x"
    s = signing.sign(private_key(SEED, TRADER), "GET", path, TRADER, b"", created)
    headers = {"X-SW-Sender": TRADER, "X-SW-Created": s["created"], "X-SW-Nonce": s["nonce"],
               "X-SW-Signature": s["signature"]}  # fmt: skip
    r = http.get(path, headers=headers)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "SIGNATURE_EXPIRED"), r.text
