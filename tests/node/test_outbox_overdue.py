"""Outbox entries out of attempts (``failed``) are overdue, not abandoned: re-sent at a slower pace, and at once when
the broker lost its state, each copy freshly signed under the entry's own MessageID, until a receipt settles them."""

from __future__ import annotations

import time
from pathlib import Path

from schemas import codes as c
from schemas.message_types import MessageType
from swsim.demo.scenarios import manifest
from swsim.node.runtime import Node
from swsim.transport.base import Record, header
from tests.node.helpers import make_node


def _queue_one(node: Node) -> str:
    ctx = node.ctx()
    with node.store.transaction():
        message = manifest(ctx, MessageType.MT2301, "8000", "SWF1", c.Locode.PLMAA)
        ctx.send(message)
    return str(message.head.message_id)


def _copies(node: Node) -> list[Record]:
    return node.transport.topics.get(node.topics.ingress, [])  # type: ignore[attr-defined, no-any-return]


def test_a_failed_entry_is_re_sent_slowly_and_at_once_after_a_broker_restart(tmp_path: Path) -> None:
    node = make_node(tmp_path, resend_after_s=0.0, max_attempts=3, failed_resend_s=3600.0)
    mid = _queue_one(node)
    for _ in range(6):
        node.pump()
    assert len(_copies(node)) == 3  # out of attempts: the next copy waits failed_resend_s
    assert [e.status for e in node.store.outbox()] == ["failed"]
    before = int(time.time())
    node.request_rewind()  # the broker lost its state: what it held is gone
    node.step(0)
    node.step(0)
    copies = _copies(node)
    assert len(copies) == 4  # re-sent at once, once
    assert {header(r.headers, "sw-message-id") for r in copies} == {mid.encode()}  # the gateway de-duplicates
    assert int(header(copies[-1].headers, "sw-created") or b"0") >= before  # freshly signed: not expired
    assert [e.status for e in node.store.outbox()] == ["failed"]  # still overdue until a receipt
    assert [d["id"] for _, w, d in node.store.timeline() if w == "outbox_failed"] == [mid]  # overdue: said once
    node.store.close()


def test_a_failed_entry_keeps_being_re_sent_until_a_receipt(tmp_path: Path) -> None:
    node = make_node(tmp_path, resend_after_s=0.0, max_attempts=2, failed_resend_s=0.05)
    mid = _queue_one(node)
    node.pump()
    node.pump()
    assert [e.status for e in node.store.outbox()] == ["failed"]
    for _ in range(3):
        assert node.pump() == 0
        time.sleep(0.06)
        assert node.pump() == 1  # the slow pace, not never
    assert len(_copies(node)) == 5
    assert node.store.settle(mid, "delivered", [])  # the gateway's receipt, however late
    time.sleep(0.06)
    assert node.pump() == 0
    assert [(e.status, e.attempts) for e in node.store.outbox()] == [("delivered", 5)]
    node.store.close()
