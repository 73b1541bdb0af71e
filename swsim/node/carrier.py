"""The built-in carrier's work orders: a carrier files manifests and reports arrivals on its own initiative, so the
conformance kit (and anyone driving a standalone carrier) asks for each filing with a work order, a JSON record on
the ``PREFIX.conformance.tasks`` topic keyed by the carrier's party id. The format is in docs/conformance.md."""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import Any

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from swsim.background import Background
from swsim.node.runtime import RETRY_S, Context, Node
from swsim.node.store import is_store_failure
from swsim.transport.base import Consumer, Record, Transport

log = logging.getLogger(__name__)

MANIFEST_TYPES = frozenset({"MT1101", "MT2301", "MT3301", "MT5101"})


class TaskError(ValueError):
    pass


def build(ctx: Context, order: dict[str, Any]) -> Message:
    """The filing a work order asks for."""
    from swsim.demo.scenarios import leg_event, manifest

    try:
        kind = str(order["type"])
        office, bill = str(order["office"]), str(order["bill"])
        if kind in MANIFEST_TYPES:
            return manifest(ctx, MessageType(kind), office, bill, c.Locode(order["unloading"]))
        if kind == "WB102":
            leg, status, where = int(order["leg"]), c.LegStatus(order["status"]), c.Locode(order["location"])
            return leg_event(ctx, office, bill, leg, status, where)
    except (KeyError, ValueError, TypeError) as e:
        raise TaskError(f"work order {order.get('id')}: {e!r}") from None
    raise TaskError(f"work order {order.get('id')}: this carrier cannot file {kind}")


class CarrierTasks(Background):
    """Reads work orders for one carrier node and files each one once (a repeat of its id is ignored)."""

    def __init__(self, node: Node, transport: Transport, topic: str) -> None:
        super().__init__(f"tasks-{node.party_id}")
        self.node = node
        self.transport = transport
        self.topic = topic
        self._unread: deque[Record] = deque()  # polled from ``consumer``, not taken yet

    def step(self, consumer: Consumer) -> int:
        """Take the orders polled (those of a poll a failure interrupted first); commit once all are taken.
        Raises when the store fails: that order is taken again by the next call (after the caller's back-off)."""
        if not self._unread:
            self._unread.extend(consumer.poll(0.2, 100))
        taken = 0
        while self._unread:
            r = self._unread[0]
            if r.key is None or r.key.decode(errors="replace") == self.node.party_id:
                self._take_one(r)
            self._unread.popleft()
            taken += 1
        if taken:
            consumer.commit()
        return taken

    def _take_one(self, r: Record) -> None:
        try:
            self.take(r.value)
        except Exception as e:
            if is_store_failure(e):
                raise
            log.exception("carrier %s: work order at offset %d failed", self.node.party_id, r.offset)
            self.node.ctx().note("task_refused", offset=r.offset, error=repr(e)[:200])  # a bug: not again and again

    def take(self, value: bytes | None) -> bool:
        """File what one work order asks for; False when it was done before, is another party's, or cannot be
        done (noted in the node's timeline)."""
        node = self.node
        ctx = node.ctx()
        try:
            order = json.loads(value or b"")
            if not isinstance(order, dict) or "id" not in order:
                raise TaskError("a work order is a JSON object with an id")
        except Exception as e:  # any record that is not an order (RecursionError for b"[" * 100000, too)
            ctx.note("task_refused", error=repr(e)[:200])
            return False
        if order.get("party", node.party_id) != node.party_id:
            return False
        with node.store.transaction():
            if node.store.get("task", str(order["id"])) is not None:
                return False
            try:
                message = build(ctx, order)
            except TaskError as e:
                ctx.note("task_refused", id=str(order["id"]), error=str(e)[:200])
                return False
            ctx.send(message)
            node.store.put("task", str(order["id"]), order)
        return True  # the node's own loop publishes it

    def run(self) -> None:
        consumer: Consumer | None = None
        backoff = RETRY_S[0]
        try:
            while not self._stop.is_set():
                try:
                    if consumer is None:
                        self._unread.clear()  # a new consumer reads from the committed offsets
                        consumer = self.transport.consumer(
                            [self.topic], f"tasks-{self.node.party_id}", True, assign=True
                        )
                    self.step(consumer)
                    backoff = RETRY_S[0]
                except Exception:  # the broker or the store is away: keep trying, less and less often
                    log.exception("carrier %s: work orders failed; retrying in %.1f s", self.node.party_id, backoff)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, RETRY_S[1])
        finally:
            if consumer is not None:
                consumer.close()

    def start(self) -> CarrierTasks:
        self.start_thread()
        return self

    def stop(self) -> None:
        self.stop_thread()
