"""The shared ground of the authorization check (:mod:`swsim.verify.authz`): its limits and endpoint sets, the
result it counts into, the network it acts in (callers, credentials, the registry's sending rules), the messages it
builds, the objects it stores and the run that carries them all.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from gateway.registry import BROADCAST_KINDS, SEND_RULES
from schemas.codec import Format
from schemas.envelope import Message
from schemas.message_types import TYPE_INFO, MessageType
from schemas.samples import all_samples
from swsim.network import GATEWAY_ID, PartyInfo, Role, api_key, default_parties, operator_key

MAX_FAILURES = 50
BATCH_ITEMS = 250
OBJECT_ENDPOINTS = (
    "status", "status_body", "status_by_sender", "trace", "trace_body", "dashboard_search", "dashboard_message",
)  # fmt: skip
"""The read endpoints tried for every object by every caller."""
DASHBOARD_ENDPOINTS = frozenset({"dashboard_search", "dashboard_message"})
"""Of those, the operator-only ones (no party may use them, not even for its own messages)."""
COLLISION_ENDPOINTS = ("status", "status_body")
"""Read by message ID alone, tried on two messages of different senders that share a MessageID."""
RECEIPT_ENDPOINTS = frozenset({"status", "status_body", "status_by_sender", "trace", "trace_body"})
"""Of those, the ones whose records carry the message's receipts (a receiver may read only the message's own)."""
OPERATOR_ONLY = (
    "dashboard_overview", "dashboard_search", "dashboard_message", "dashboard_stream", "redrive_own", "redrive_other",
)  # fmt: skip
"""Tried by every caller but the operator."""


# ------------------------------------------------------------------------------------------------------------ result


@dataclass
class AuthzResult:
    """What the matrix found. ``cross_party_reads`` and ``function_violations`` must be 0."""

    reads: int
    """Cells of the read matrix: (caller, object, endpoint)."""
    cross_party_reads: int
    """Reads that returned an object (or any record) the caller neither sent nor received, or a receipt of the
    sender's that the caller may not read (a rejection of another attempt with the MessageID)."""
    function_checks: int
    """Attempts to do what the caller's role may not (send a type it may not send, use an operator endpoint)."""
    function_violations: int
    """Of those, how many were allowed."""
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The first few problems of any kind, each with what was tried and what came back."""
    allowed_reads: int = 0
    """Cells whose caller is entitled to the object (sender, receiver, operator)."""
    allowed_reads_ok: int = 0
    """Of those, how many returned it: the matrix is not vacuous."""
    allowed_sends: int = 0
    """Sends the rules allow (the other half of the function matrix)."""
    allowed_sends_ok: int = 0
    misrouted: int = 0
    """Messages delivered to receivers other than the rules say (a cross-party leak on the way in)."""
    problems: int = 0
    """Every failure counted, including the ones past the first few kept in ``failures``."""
    matrix: dict[str, Any] = field(default_factory=dict)
    """The dimensions: callers, objects (with sender and receivers), endpoints."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "cross_party_reads": self.cross_party_reads,
            "allowed_reads": self.allowed_reads,
            "allowed_reads_ok": self.allowed_reads_ok,
            "function_checks": self.function_checks,
            "function_violations": self.function_violations,
            "allowed_sends": self.allowed_sends,
            "allowed_sends_ok": self.allowed_sends_ok,
            "misrouted": self.misrouted,
            "problems": self.problems,
            "failures": self.failures,
            "matrix": self.matrix,
        }

    def fail(self, kind: str, **detail: Any) -> None:
        self.problems += 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append({"kind": kind, **detail})


# ----------------------------------------------------------------------------------------------------------- network


def may_send(sender: Role, mt: MessageType, receiver: Role) -> bool:
    """The registry's rule: may a ``sender`` role send ``mt`` to a ``receiver`` role?"""
    return receiver in SEND_RULES.get(sender, {}).get(TYPE_INFO[mt].kind, frozenset())


def expected_receivers(
    sender: PartyInfo, mt: MessageType, receiver: PartyInfo, parties: Iterable[PartyInfo]
) -> set[str]:
    """Where the rules say the message goes: its receiver, or every other domestic customs office for a broadcast."""
    if TYPE_INFO[mt].kind in BROADCAST_KINDS:
        return {p.id for p in parties if p.role == Role.CUSTOMS and p.id != sender.id}
    return {receiver.id}


@dataclass(frozen=True)
class Caller:
    """Who reads: a party (by its API key), the operator, or nobody in particular."""

    name: str
    headers: dict[str, str]
    party: str | None = None
    operator: bool = False


@dataclass(frozen=True)
class Network:
    """The registry's parties and the credentials to act as each."""

    seed: str
    parties: tuple[PartyInfo, ...]
    operator_key: str

    @classmethod
    def of(cls, seed: str, operator: str | None = None) -> Network:
        return cls(seed, tuple(default_parties(seed)), operator or operator_key(seed))

    @property
    def senders(self) -> list[PartyInfo]:
        """Every party with credentials (all but the gateway itself)."""
        return [p for p in self.parties if p.id != GATEWAY_ID]

    def key(self, party: str) -> dict[str, str]:
        return {"X-API-Key": api_key(self.seed, party)}

    def callers(self) -> list[Caller]:
        parties = [Caller(p.id, self.key(p.id), party=p.id) for p in self.senders]
        return [Caller("operator", {"X-API-Key": self.operator_key}, operator=True), *parties, Caller("anonymous", {})]

    def by_id(self, party: str) -> PartyInfo:
        return next(p for p in self.parties if p.id == party)

    def sendable(self, sender: PartyInfo) -> list[tuple[MessageType, PartyInfo]]:
        """Every (type, receiver other than itself) the rules let ``sender`` send, receipts aside."""
        return [
            (mt, r)
            for mt in MessageType
            for r in self.senders
            if r.id != sender.id and TYPE_INFO[mt].kind != "receipt" and may_send(sender.role, mt, r.role)
        ]


@functools.cache
def _samples() -> dict[MessageType, Message]:
    return all_samples()


def _now_ms() -> datetime:
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def build_message(mt: MessageType, sender: str, receiver: str, message_id: str, correlation: str) -> Message:
    """The type's valid sample, sent by ``sender`` to ``receiver`` now, with the given IDs."""
    sample = _samples()[mt]
    head = sample.head.model_copy(
        update={
            "message_id": message_id,
            "sender_id": sender,
            "receiver_id": receiver,
            "send_time": _now_ms(),
            "correlation_id": correlation,
        }
    )
    return sample.model_copy(update={"head": head})


CONTENT_TYPE = {"json": "application/json", "xml": "application/xml"}


# ----------------------------------------------------------------------------------------------------------- objects


@dataclass
class Stored:
    """A message the gateway holds, and who may see it."""

    group: str
    sender: str
    receiver: str
    """Head/ReceiverID."""
    message_id: str
    message_type: str
    correlation_id: str
    receivers: frozenset[str]
    """Where the rules say it went (several offices for a broadcast)."""
    seq: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.sender, self.message_id

    def entitled(self, caller: Caller) -> bool:
        return caller.operator or caller.party == self.sender or caller.party in self.receivers

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "sender": self.sender,
            "receiver": self.receiver,
            "message_id": self.message_id,
            "message_type": self.message_type,
            "receivers": sorted(self.receivers),
        }


@dataclass
class _Run:
    """One verification run: the client, the network, the IDs it makes, and the tally."""

    client: httpx.Client
    net: Network
    result: AuthzResult
    workers: int = 1
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    count: int = 0
    known: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """Every message accepted in this run: (sender, MessageID) -> who may see it (sender and receivers)."""
    own_receipt: dict[tuple[str, str], str] = field(default_factory=dict)
    """(sender, MessageID) -> the id of the stored message's own receipt (its receivers may read that one only)."""
    receipts: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(sender, MessageID) -> the ids of every receipt of the sender's attempts (the sender reads them all)."""

    def new_id(self, prefix: str = "AZ") -> str:
        self.count += 1
        return f"{prefix}-{self.tag}-{self.count:05d}"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``fn`` over ``items``, on ``workers`` threads (the gateway handles concurrent requests)."""
        if self.workers <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(fn, items))

    def submit(self, headers: dict[str, str], body: bytes, fmt: Format = "json") -> httpx.Response:
        return self.client.post("/v1/messages", content=body, headers={**headers, "Content-Type": CONTENT_TYPE[fmt]})


# ----------------------------------------------------------------------------------------------------------- answers


def _codes(resp: httpx.Response) -> list[str]:
    error = _json(resp).get("error") or {}
    return [str(e.get("code")) for e in error.get("errors", [])] or [str(error.get("code"))]


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        doc = resp.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
