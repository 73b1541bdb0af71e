"""The built-in carrier's work orders: a carrier files manifests and reports arrivals on its own initiative, so the
conformance kit (and anyone driving a standalone carrier) asks for each filing with a work order, a JSON record on
the ``PREFIX.conformance.tasks`` topic keyed by the carrier's party id. The format is in docs/conformance.md."""

from __future__ import annotations

import json
import logging
from typing import Any

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from swsim.background import Background
from swsim.node.runtime import Context, Node
from swsim.transport.base import Consumer, Transport

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

    def step(self, consumer: Consumer) -> int:
        records = consumer.poll(0.2, 100)
        for r in records:
            if r.key is not None and r.key.decode(errors="replace") != self.node.party_id:
                continue
            try:
                self.take(r.value)
            except Exception:  # the store failed: read the orders again (those done are skipped by their id)
                log.exception("carrier %s: a work order failed; reading the orders again", self.node.party_id)
                consumer.rewind()
                return 0
        if records:
            consumer.commit()
        return len(records)

    def take(self, value: bytes | None) -> bool:
        """File what one work order asks for; False when it was done before, is another party's, or cannot be
        done (noted in the node's timeline)."""
        node = self.node
        ctx = node.ctx()
        try:
            order = json.loads(value or b"")
            if not isinstance(order, dict) or "id" not in order:
                raise TaskError("a work order is a JSON object with an id")
        except (ValueError, TypeError, TaskError) as e:
            ctx.note("task_refused", error=str(e)[:200])
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
        try:
            while not self._stop.is_set():
                try:
                    if consumer is None:
                        consumer = self.transport.consumer(
                            [self.topic], f"tasks-{self.node.party_id}", True, assign=True
                        )
                    self.step(consumer)
                except Exception:  # e.g. the broker is away: keep trying
                    log.exception("carrier %s: work orders failed; retrying", self.node.party_id)
                    self._stop.wait(0.5)
        finally:
            if consumer is not None:
                consumer.close()

    def start(self) -> CarrierTasks:
        self.start_thread()
        return self

    def stop(self) -> None:
        self.stop_thread()
