"""Authorization over the HTTP API of a gateway process: the whole matrix, sized from the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.http import create_app, routes_reads
from gateway.registry import Registry, build_registry
from gateway.service import build_gateway
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim.broker import EmbeddedBroker
from swsim.network import GATEWAY_ID, Role
from swsim.settings import Settings
from swsim.transport.memory import MemoryTransport
from swsim.verify.authz import (
    COLLISION_ENDPOINTS,
    DASHBOARD_ENDPOINTS,
    OBJECT_ENDPOINTS,
    OPERATOR_ONLY,
    AuthzResult,
    check_authz,
    run_authz,
)
from swsim.verify.authz_model import Caller, Network, Stored, _Run
from swsim.verify.authz_objects import make_reused_id
from swsim.verify.authz_reads import find_seqs, read_matrix, tally_cell
from swsim.verify.target import SEED, gateway_target


def test_no_cross_party_reads_and_no_function_violations(broker: EmbeddedBroker, tmp_path: Path) -> None:
    with gateway_target(tmp_path, broker.bootstrap) as target:
        result = run_authz(target)
        registry = build_registry(target.settings)
    report = json.dumps(result.to_dict(), indent=1, default=str)[:4000]
    assert result.cross_party_reads == 0, report
    assert result.function_violations == 0, report
    assert result.problems == 0, report  # every entitled read answered, every allowed send delivered, none misrouted
    _assert_full_matrix(result, registry)


def _assert_full_matrix(result: AuthzResult, registry: Registry) -> None:
    """The counts are those of the full matrix, derived from the registry, not from what the run reports."""
    senders = [p for p in registry.parties.values() if p.id != GATEWAY_ID]
    matrix = result.matrix
    callers = len(senders) + 2  # every party, the operator, and no credentials at all
    assert len(matrix["callers"]) == callers
    objects, collision = matrix["objects"], matrix["collision"]
    for obj in objects + collision:
        _assert_made_by_the_rules(obj, registry)
    can_send = {p.id for p in senders if _sends_something(p.id, registry)}
    assert {o["sender"] for o in objects if o["group"] == "own"} == can_send
    assert {o["sender"] for o in objects if o["group"] == "shared"} == can_send
    assert len(collision) == 2
    [reused] = [o for o in objects if o["group"] == "reused_id"]  # its sender's refused attempts, read by everyone
    _assert_made_by_the_rules(reused, registry)
    assert collision[0]["message_id"] == collision[1]["message_id"]
    assert set(matrix["deadletter_objects"]) == {p.id for p in senders}  # every party may not send something
    dead = len(matrix["deadletter_objects"])
    assert result.reads == (
        callers * len(objects) * len(OBJECT_ENDPOINTS)
        + (callers - 1) * len(collision) * len(COLLISION_ENDPOINTS)
        + callers * dead
    )
    party_endpoints = len(OBJECT_ENDPOINTS) - len(DASHBOARD_ENDPOINTS)
    expected_allowed = sum(len(_insiders(o)) * party_endpoints + len(OBJECT_ENDPOINTS) for o in objects)
    expected_allowed += sum(len(_insiders(o)) * len(COLLISION_ENDPOINTS) for o in collision) + 2 * dead
    assert result.allowed_reads == result.allowed_reads_ok == expected_allowed
    allowed, denied = _send_cells(registry)
    assert result.allowed_sends == result.allowed_sends_ok == allowed
    assert result.function_checks >= denied + (callers - 1) * len(OPERATOR_ONLY)


def _insiders(obj: dict[str, Any]) -> set[str]:
    return {obj["sender"], *obj["receivers"]}


def _assert_made_by_the_rules(obj: dict[str, Any], registry: Registry) -> None:
    sender, receiver = registry.parties[obj["sender"]], registry.parties[obj["receiver"]]
    mt = MessageType(obj["message_type"])
    assert registry.allowed(sender, mt, receiver)
    assert set(obj["receivers"]) == {p.id for p in registry.receivers_for(sender, mt, receiver)}


def _sends_something(party: str, registry: Registry) -> bool:
    sender = registry.parties[party]
    others = [r for r in registry.parties.values() if r.id != party]
    return any(registry.allowed(sender, mt, r) for mt in MessageType if mt != MessageType.MT9999 for r in others)


def _send_cells(registry: Registry) -> tuple[int, int]:
    """(allowed, denied) over every party x every message type x every receiver."""
    cells = [
        registry.allowed(s, mt, r)
        for s in registry.parties.values()
        if s.id != GATEWAY_ID
        for mt in MessageType
        for r in registry.parties.values()
    ]
    return sum(cells), len(cells) - sum(cells)


class _LeakyGateway:
    """A gateway that lets everyone do and read everything: the check must count that, or its zeros mean nothing."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/v1/messages":
            return httpx.Response(202, json={"status": "delivered", "receivers": self._store(request.content)})
        if path == "/v1/messages/batch":
            items = json.loads(request.content)
            return httpx.Response(200, json={"results": [{"status": "delivered", "codes": []} for _ in items]})
        if path.startswith("/v1/messages/"):
            return self._found([r for r in self.records if r["message_id"] == path.rsplit("/", 1)[1]][:1], single=True)
        if path.startswith("/v1/trace/"):
            return self._found([r for r in self.records if r["correlation_id"] == path.rsplit("/", 1)[1]])
        if path == "/dashboard/api/search":
            return self._found([r for r in self.records if request.url.params["q"] in r["message_id"]])
        if path.startswith("/dashboard/api/messages/"):
            return httpx.Response(200, json={"message": self.records[int(path.rsplit("/", 1)[1]) - 1]})
        if path == "/v1/deadletters":
            return httpx.Response(200, json={"items": []})
        return httpx.Response(200, json={"result": {"status": "delivered", "errors": []}})

    def _store(self, body: bytes) -> list[str]:
        head = decode(body).head
        self.records.append({"sender": head.sender_id, "message_id": head.message_id, "receivers": [head.receiver_id],
                             "correlation_id": head.correlation_id, "seq": len(self.records) + 1})  # fmt: skip
        return [head.receiver_id]

    @staticmethod
    def _found(records: list[dict[str, Any]], single: bool = False) -> httpx.Response:
        if not records:
            return httpx.Response(404, json={"error": {"code": "NOT_FOUND"}})
        return httpx.Response(200, json=records[0] if single else {"messages": records})


def test_a_leaky_gateway_is_caught() -> None:
    client = httpx.Client(transport=httpx.MockTransport(_LeakyGateway()), base_url="http://leaky.invalid")
    with client:
        result = check_authz(client, SEED)
    assert result.cross_party_reads > 0
    assert result.function_violations > 0
    assert result.function_violations == result.function_checks  # everything forbidden was let through


# ------------------------------------------------------------------------------------ receipts read with a message


def _one_run() -> tuple[_Run, Stored, Caller]:
    """A run that made one message (trader -> customs 7900) and the receiver reading it."""
    net = Network.of(SEED)
    run = _Run(httpx.Client(base_url="http://unused.invalid"), net, AuthzResult(0, 0, 0, 0))
    sender = next(p.id for p in net.senders if p.role == Role.TRADER)
    obj = Stored("own", sender, "7900", "AZ-1", "MT2301", "AZC-1", frozenset({"7900"}))
    run.known[obj.key] = frozenset({sender, "7900"})
    return run, obj, next(c for c in net.callers() if c.party == "7900")


def _record(obj: Stored, receipts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sender": obj.sender, "message_id": obj.message_id, "receivers": sorted(obj.receivers),
            "receipts": receipts}  # fmt: skip


DELIVERED = {"receipt_id": "GW-own", "status": "delivered", "codes": []}
REJECTED = {"receipt_id": "GW-other-attempt", "status": "rejected", "codes": ["NOT_AUTHORIZED"]}


def test_a_receipt_of_another_attempt_shown_to_a_receiver_is_a_cross_party_read() -> None:
    """The record itself is the receiver's to read; the sender's rejection of another attempt with the MessageID,
    carried in it, is not (a message this run did not make: judged by the receipt's status)."""
    run, obj, receiver = _one_run()
    tally_cell(run, receiver, obj, "status", 200, [_record(obj, [DELIVERED])], "")
    assert (run.result.cross_party_reads, run.result.allowed_reads_ok) == (0, 1)
    tally_cell(run, receiver, obj, "trace", 200, [_record(obj, [REJECTED, DELIVERED])], "")
    assert run.result.cross_party_reads == 1
    [failure] = [f for f in run.result.failures if f["kind"] == "cross_party_read"]
    assert failure["receipts"] == [(obj.sender, obj.message_id, "GW-other-attempt")]


def test_a_receiver_may_read_only_the_receipt_derived_from_the_stored_message() -> None:
    """For a message the run made, the receiver's receipt is known by id: another "delivered"-looking one is not
    the receiver's either, and the sender reads every receipt of its own attempts."""
    run, obj, receiver = _one_run()
    run.own_receipt[obj.key] = "GW-own"
    run.receipts[obj.key] = frozenset({"GW-own", "GW-other-attempt"})
    forged = {**DELIVERED, "receipt_id": "GW-forged"}
    tally_cell(run, receiver, obj, "status", 200, [_record(obj, [DELIVERED, forged])], "")
    assert run.result.cross_party_reads == 1
    sender = next(c for c in run.net.callers() if c.party == obj.sender)
    tally_cell(run, sender, obj, "status", 200, [_record(obj, [REJECTED, DELIVERED])], "")
    assert run.result.cross_party_reads == 1  # the sender's own: no new cross-party read
    assert [f["kind"] for f in run.result.failures] == ["cross_party_read", "receipts_not_as_expected"]
    tally_cell(run, sender, obj, "status", 200, [_record(obj, [DELIVERED])], "")  # the rejection withheld
    assert run.result.failures[-1]["kind"] == "receipts_not_as_expected"
    assert run.result.problems == 3


def _reused_id_reads(tmp_path: Path) -> AuthzResult:
    """The matrix's reused-MessageID object, made and read by every caller on every endpoint, against a gateway in
    this process (over the in-memory transport)."""
    gw = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), MemoryTransport())
    try:
        with TestClient(create_app(gw), raise_server_exceptions=False) as client:
            run = _Run(client, Network.of(SEED), AuthzResult(0, 0, 0, 0))
            obj = make_reused_id(run)
            assert obj is not None
            assert len(run.receipts[obj.key]) == 3  # refused, delivered, conflicting: every attempt was answered
            find_seqs(run, [obj])
            read_matrix(run, run.net.callers(), [obj], [])
    finally:
        gw.stop()
    return run.result


def test_the_senders_rejections_stay_the_senders(tmp_path: Path) -> None:
    result = _reused_id_reads(tmp_path)
    assert (result.cross_party_reads, result.problems) == (0, 0), result.failures
    assert result.allowed_reads == result.allowed_reads_ok > 0


def test_a_gateway_showing_receivers_the_senders_rejections_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway before commit 6ee08ec: every receipt about (sender, MessageID) read with the message, whoever
    reads it; the receivers see the sender's rejections of its other attempts with the MessageID."""
    monkeypatch.setattr(routes_reads, "_receipts", lambda gw, rec, who: gw.ledger.receipts_for(rec.sender,
                                                                                           rec.message_id))  # fmt: skip
    result = _reused_id_reads(tmp_path)
    leaks = [f for f in result.failures if f["kind"] == "cross_party_read"]
    assert result.cross_party_reads == len(leaks) > 0
    assert all(f["receipts"] and not f["strays"] for f in leaks)  # the records were theirs to read, the receipts not
    assert {f["endpoint"] for f in leaks} == {"status", "status_body", "status_by_sender", "trace", "trace_body"}
