"""Helpers for gateway tests: network parties, messages addressed between them, waiting on inboxes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from schemas.codec import Format, encode
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.samples import all_samples
from swsim.network import Role, api_key, default_parties
from swsim.transport.base import Consumer, Record

SEED = "swsim-demo-network"
PARTIES = default_parties(SEED)


def party(role: Role, index: int = 0) -> str:
    return [p.id for p in PARTIES if p.role == role][index]


TRADER = party(Role.TRADER)
CHENGDU = "7900"
CHONGQING = "8000"


def message(
    mt: MessageType, sender: str, receiver: str, message_id: str | None = None, correlation: str | None = None
) -> Message:
    sample = all_samples()[mt]
    head = sample.head.model_copy(
        update={
            "message_id": message_id or f"T-{uuid.uuid4().hex[:20]}",
            "sender_id": sender,
            "receiver_id": receiver,
            "send_time": now_ms(),
            "correlation_id": correlation or sample.head.correlation_id,
        }
    )
    return sample.model_copy(update={"head": head})


def now_ms() -> datetime:
    """Now, at the millisecond precision the wire format carries."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def body(m: Message, fmt: Format = "json") -> bytes:
    return encode(m, fmt)


def collect(consumer: Consumer, until: Callable[[list[Record]], bool], timeout_s: float = 30.0) -> list[Record]:
    """Poll until ``until(records)`` holds or the deadline passes (no sleeps: event-driven)."""
    got: list[Record] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got.extend(consumer.poll(0.2, 500))
        if until(got):
            return got
    return got


def unique_prefix() -> str:
    return "t" + uuid.uuid4().hex[:10]


def key(party: str) -> dict[str, str]:
    """The API-key header of a simulated party."""
    return {"X-API-Key": api_key(SEED, party)}
