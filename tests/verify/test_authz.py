"""Authorization over the HTTP API of a gateway process: the whole matrix, sized from the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from gateway.registry import Registry, build_registry
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim.broker import EmbeddedBroker
from swsim.network import GATEWAY_ID
from swsim.verify.authz import (
    COLLISION_ENDPOINTS,
    DASHBOARD_ENDPOINTS,
    OBJECT_ENDPOINTS,
    OPERATOR_ONLY,
    AuthzResult,
    check_authz,
    run_authz,
)
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
