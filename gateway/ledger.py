"""The ledger: every message the gateway accepted, its deliveries and receipts, dead letters, and seen nonces.

:class:`Ledger` is the store interface; :class:`gateway.sqlite_ledger.SqliteLedger` (WAL mode) is the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

Insert = Literal["new", "duplicate", "conflict"]

UNAUTHENTICATED_CODES = frozenset({"SIGNATURE_MISSING", "SIGNATURE_INVALID", "SIGNATURE_EXPIRED", "UNKNOWN_SENDER",
                                   "NONCE_REPLAYED", "AUTH_REQUIRED", "AUTH_INVALID"})  # fmt: skip
"""Codes that refuse a message whose sender was not authenticated (:meth:`gateway.prepare.Preparer._authenticate`
on Kafka, :func:`gateway.http.deps.principal` over HTTP): its sender is only what it claimed."""


@dataclass
class MessageRecord:
    sender: str
    message_id: str
    message_type: str
    receivers: list[str]
    correlation_id: str | None
    causation_id: str | None
    format: str
    digest: str
    body: bytes
    channel: str
    received_at: float
    status: str = "accepted"  # accepted -> delivered
    receipt_id: str | None = None
    delivered_at: float | None = None
    seq: int | None = None


@dataclass
class ReceiptRecord:
    receipt_id: str
    sender: str  # the original message's sender (who receives the receipt)
    message_id: str  # the original message's id
    status: str  # delivered | rejected
    codes: list[str]
    format: str
    body: bytes
    created_at: float


@dataclass
class DeadLetter:
    sender: str | None
    message_id: str | None
    codes: list[str]
    errors: list[dict[str, object]]
    body: bytes
    headers: dict[str, str]
    channel: str
    received_at: float
    id: int | None = None
    redriven_at: float | None = None
    redrive_result: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Ledger(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Group writes (one commit for a batch). Nested calls join the outer transaction."""
        ...

    def insert_message(self, rec: MessageRecord) -> tuple[Insert, MessageRecord]:
        """Record a message unless ``(sender, message_id)`` exists: then report duplicate (same digest) or
        conflict (different digest), with the stored record."""
        ...

    def mark_delivered(self, seqs: list[int], at: float) -> None: ...

    def find_visible(self, message_id: str, party: str | None) -> list[MessageRecord]:
        """Messages with this id that ``party`` sent or received (``None``: the operator sees all)."""
        ...

    def trace(
        self, correlation_id: str, party: str | None, limit: int | None = None, offset: int = 0
    ) -> list[MessageRecord]:
        """Messages about ``correlation_id`` that ``party`` sent or received (``None``: all), in order of arrival:
        ``limit`` of them (``None``: all) after the first ``offset``."""
        ...

    def add_receipt(self, rec: ReceiptRecord) -> None: ...

    def receipts_for(self, sender: str, message_id: str) -> list[ReceiptRecord]: ...

    def add_deadletter(self, dl: DeadLetter) -> int: ...

    def list_deadletters(self, party: str | None, limit: int, offset: int) -> list[DeadLetter]:
        """Every dead letter (``party`` None: the operator), or those of ``party`` that were refused after it was
        authenticated: a record refused for its signature only claims its sender, and anyone who can write to the
        ingress could otherwise fill a party's list."""
        ...

    def get_deadletter(self, dl_id: int) -> DeadLetter | None: ...

    def mark_redriven(self, dl_id: int, at: float, result: str) -> None: ...

    def remember_nonce(self, sender: str, nonce: str, at: float, keep_s: float) -> bool:
        """True if the nonce is new for this sender (and remember it); False if seen: a replay."""
        ...

    def counts(self) -> dict[str, int]: ...

    def iter_messages(self, after_seq: int, limit: int) -> Iterator[MessageRecord]: ...

    # -- for the dashboard (operator views)
    def max_seq(self) -> int:
        """The newest message's sequence number (0: none yet)."""
        ...

    def message_by_seq(self, seq: int) -> MessageRecord | None: ...

    def recent_messages(self, limit: int) -> list[MessageRecord]:
        """The newest ``limit`` messages, newest first."""
        ...

    def messages_of_type(self, message_type: str, limit: int) -> list[MessageRecord]:
        """The newest ``limit`` messages of one type, newest first."""
        ...

    def timings_since(self, since: float) -> list[tuple[float, float | None]]:
        """(received_at, delivered_at) of every message received since ``since`` (epoch seconds)."""
        ...

    def seqs_between(self, low: int, high: int) -> list[int]:
        """The sequence numbers of the messages with ``low < seq <= high``, ascending (callers keep the range small)."""
        ...

    def trace_count(self, correlation_id: str) -> int:
        """How many messages are about ``correlation_id`` (every party's)."""
        ...

    def recent_deadletters(self, limit: int) -> list[DeadLetter]:
        """The newest ``limit`` dead letters (every sender's), newest first."""
        ...

    def close(self) -> None: ...
