"""A node's inbox loop: a malformed record is refused and the loop goes on; any other failure leaves the records of
its poll to be handled again, and no offset is committed past a record that was not handled."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from schemas.envelope import Message
from swsim.node.runtime import Context, Node
from swsim.node.store import is_store_failure
from tests.node.helpers import busy_error, inbox_message, make_node


def _received(node: Node) -> list[str]:
    return sorted(d["id"] for d in node.store.all("received"))


def _committed(node: Node) -> int:
    inbox = node.topics.inbox(node.party_id)
    return int(node.transport.committed.get((f"node-{node.party_id}", inbox), 0))  # type: ignore[attr-defined]


def test_a_null_or_garbage_record_is_refused_and_the_rest_of_the_batch_handled(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    inbox = node.topics.inbox(node.party_id)
    node.transport.send(inbox, inbox_message("M1"))
    node.transport.send(inbox, None)  # type: ignore[arg-type]  # a Kafka tombstone: a record with a null value
    node.transport.send(inbox, b"\xff\xfe{")
    node.transport.send(inbox, b"[" * 100_000)
    for i in (2, 3):
        node.transport.send(inbox, inbox_message(f"M{i}"))
    assert node.step(0) == 6
    assert _received(node) == ["M1", "M2", "M3"]
    assert _committed(node) == 6
    assert [w for _, w, _ in node.store.timeline()].count("undecodable") == 3
    node.store.close()


def test_a_store_failure_mid_batch_skips_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node = make_node(tmp_path)
    inbox = node.topics.inbox(node.party_id)
    for i in range(1, 6):
        node.transport.send(inbox, inbox_message(f"M{i}"))
    real, err, calls = node.store.first_time, busy_error(tmp_path), []

    def first_time(sender: str, message_id: str, at: str) -> bool:
        calls.append(message_id)
        if message_id == "M3" and calls.count("M3") == 1:
            raise err
        return real(sender, message_id, at)

    monkeypatch.setattr(node.store, "first_time", first_time)
    with pytest.raises(sqlite3.OperationalError):
        node.step(0)
    assert _committed(node) == 0  # nothing committed past M3, which was not handled
    node.transport.send(inbox, inbox_message("M6"))
    node.step(0)  # M3..M5 first (no new poll before them), then commits
    node.step(0)  # then M6
    assert _received(node) == ["M1", "M2", "M3", "M4", "M5", "M6"]
    assert _committed(node) == 6
    node.store.close()


class _Flaky:
    """Applies each message; the first try of ``M1`` meets a store failure, ``M2`` always meets a bug."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.tries: list[str] = []

    def handle(self, m: Message, ctx: Context) -> None:
        mid = m.head.message_id
        self.tries.append(mid)
        ctx.store.put("applied", mid, {"id": mid})
        if mid == "M1" and self.tries.count(mid) == 1:
            raise self.error
        if mid == "M2":
            raise RuntimeError("a bug in the handler")

    def tick(self, ctx: Any) -> None:
        return None


def test_a_store_failure_in_the_handler_is_retried_a_handler_bug_is_not(tmp_path: Path) -> None:
    err = busy_error(tmp_path)
    assert is_store_failure(err)
    assert not is_store_failure(sqlite3.OperationalError("no such table: x"))  # SQLITE_ERROR: a bug, not the store
    handler = _Flaky(err)
    node = make_node(tmp_path, handler=handler)
    inbox = node.topics.inbox(node.party_id)
    for i in (1, 2, 3):
        node.transport.send(inbox, inbox_message(f"M{i}"))
    with pytest.raises(sqlite3.OperationalError):
        node.step(0)
    assert node.store.all("applied") == []  # the failed try left nothing
    node.step(0)
    assert [d["id"] for d in node.store.all("applied")] == ["M1", "M3"]  # M1 applied on its second try
    assert handler.tries == ["M1", "M1", "M2", "M3"]
    failed = [d["id"] for _, w, d in node.store.timeline() if w == "handler_failed"]
    assert failed == ["M2"]  # the bug is noted once and the message kept seen: not tried again
    node.step(0)
    assert handler.tries == ["M1", "M1", "M2", "M3"]
    assert _committed(node) == 3
    node.store.close()
