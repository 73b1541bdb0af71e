"""One node: inbox -> handler (once per message, in one transaction with the outbox entries it causes) -> outbox.

Offsets are committed after the store commits, so a crash in between means the message comes again and the
"seen" table makes the repeat a no-op. Outbox entries are published (freshly signed each attempt, same
MessageID) until the gateway's receipt settles them; a restarted node re-sends whatever is still pending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.topics import Topics
from schemas.codec import Format, decode, encode
from schemas.codes import FunctionCode
from schemas.envelope import Head, Message
from schemas.errors import MessageError
from schemas.message_types import MessageType
from swsim.background import Background
from swsim.client import PartyClient
from swsim.network import GATEWAY_ID
from swsim.node.clock import SimClock
from swsim.node.store import NodeStore, OutboxEntry
from swsim.transport.base import Consumer, Record, Transport

log = logging.getLogger(__name__)


class Context:
    """What a handler may do while handling one message (or a tick): read/write state, send, note."""

    def __init__(self, node: Node, now: datetime) -> None:
        self.node = node
        self.now = now
        self.store = node.store

    @property
    def party_id(self) -> str:
        return self.node.party_id

    def head(
        self, mt: MessageType, receiver: str, correlation: str | None = None, causation: str | None = None
    ) -> Head:
        n = self.store.next_number("message")
        return Head(
            message_id=f"{self.node.party_id}-{n:08d}",
            function_code=FunctionCode.ORIGINAL,
            message_type=mt,
            sender_id=self.node.party_id,
            receiver_id=receiver,
            send_time=self.now,
            correlation_id=correlation,
            causation_id=causation,
        )

    def send(
        self, message: Message, fmt: Format = "json", *, body: bytes | None = None, not_before: float = 0.0
    ) -> None:
        """Queue a message in the outbox (committed with the state change that caused it). ``body``: these bytes
        instead of the encoded message; ``not_before``: no publishing before this time (both for fault injection,
        :mod:`swsim.conformance.faulty`)."""
        h = message.head
        self.store.enqueue(
            OutboxEntry(
                h.message_id,
                h.receiver_id,
                h.message_type.value,
                h.correlation_id,
                encode(message, fmt) if body is None else body,
                "pending",
                0,
                not_before,
                self.now.isoformat(),
                [],
            )
        )
        self.note("sent", type=h.message_type.value, to=h.receiver_id, id=h.message_id, ref=h.correlation_id)

    def note(self, what: str, **data: object) -> None:
        self.store.note(self.now.isoformat(), what, **data)


class Handler(Protocol):
    """What a node does. Optional extras: ``store_schema`` (tables of its own in the node store), and
    ``on_start(node)`` / ``on_stop()`` (side services such as the tax dedicated line)."""

    def handle(self, message: Message, ctx: Context) -> None: ...

    def tick(self, ctx: Context) -> None: ...


HEARTBEAT_S = 2.0


class Node(Background):
    def __init__(
        self,
        party_id: str,
        key: Ed25519PrivateKey,
        transport: Transport,
        topics: Topics,
        store: NodeStore,
        handler: Handler,
        clock: SimClock,
        resend_after_s: float = 5.0,
        max_attempts: int = 50,
        inbox: Consumer | None = None,
    ) -> None:
        """``inbox``: a ready consumer of this node's inbox (e.g. a view of a process-wide multiplexer); by default
        the node opens its own on ``transport``."""
        super().__init__(f"node-{party_id}")
        self.party_id = party_id
        self.client = PartyClient(transport, topics, party_id, key)
        self.transport = transport
        self.topics = topics
        self.store = store
        self.handler = handler
        self.clock = clock
        self.resend_after_s = resend_after_s
        self.max_attempts = max_attempts
        self._consumer: Consumer | None = inbox
        self._rewind = threading.Event()
        self.on_message: Callable[[Message], None] | None = None

    def request_rewind(self) -> None:
        """The broker lost its state (swsim/transport/generation.py): read the inbox again from the beginning (the
        "seen" table absorbs what was handled) and re-send at once, with a new producer, what the outbox still holds
        unreceipted."""
        reset = getattr(self.transport, "reset_producer", None)
        if reset is not None:
            reset()
        self._rewind.set()

    @property
    def consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = self.transport.consumer([self.topics.inbox(self.party_id)], f"node-{self.party_id}",
                                                     assign=True)  # fmt: skip
        return self._consumer

    def ctx(self) -> Context:
        return Context(self, self.clock.now())

    def _handle_record(self, r: Record) -> None:
        try:
            message = decode(r.value)
        except MessageError as e:  # the gateway validated it: only a version skew gets here
            self.ctx().note("undecodable", codes=e.codes)
            return
        head = message.head
        if head.message_type == MessageType.MT9999 and head.sender_id == GATEWAY_ID:
            body = message.body
            status = "delivered" if body.response_type.code == "19020" else "rejected"
            codes = [e.code for e in body.error]
            if self.store.settle(body.reference_message_id, status, codes) and status == "rejected":
                self.ctx().note("rejected_by_gateway", id=body.reference_message_id, codes=codes)
            return
        ctx = self.ctx()
        with self.store.transaction():
            if not self.store.first_time(head.sender_id, head.message_id, ctx.now.isoformat()):
                return
            ctx.note("received", type=head.message_type.value, sender=head.sender_id, id=head.message_id,
                     ref=head.correlation_id)  # fmt: skip
            try:
                self.handler.handle(message, ctx)
            except Exception as exc:  # rolls back every effect of this message, then see step()
                log.exception("%s failed to handle %s", self.party_id, head.message_id)
                raise _HandlerFailed(head.sender_id, head.message_id, str(exc)) from exc
        if self.on_message is not None:
            self.on_message(message)

    def step(self, timeout_s: float = 0.1) -> int:
        """Handle what is in the inbox, run the handler's timers, publish what is due. Returns records handled."""
        if self._rewind.is_set():
            self._rewind.clear()
            self.consumer.rewind()
            self.store.resend_pending()
        records = self.consumer.poll(timeout_s, 200)
        for r in records:
            try:
                self._handle_record(r)
            except _HandlerFailed as f:  # a handler bug must not block the inbox: keep it seen, note it
                ctx = self.ctx()
                self.store.first_time(f.sender, f.message_id, ctx.now.isoformat())
                ctx.note("handler_failed", id=f.message_id, error=f.error[:200])
        if records:
            self.consumer.commit()
        ctx = self.ctx()
        with self.store.transaction():
            self.handler.tick(ctx)
        self.pump()
        return len(records)

    def pump(self) -> int:
        """Publish every outbox entry that is due (first send, or re-send after the timeout)."""
        now = time.time()
        due = self.store.due(now)
        for e in due:
            self.client.publish(e.body, key=e.key, message_id=e.message_id)
        if due:
            self.client.flush()
        for e in due:
            attempts = e.attempts + 1
            status = "pending" if attempts < self.max_attempts else "failed"
            self.store.attempted(e.message_id, attempts, now + self.resend_after_s, status)
        return len(due)

    heartbeat: Path | None = None
    """A file touched every HEARTBEAT_S while the loop runs (container healthchecks look at its age)."""

    def run(self) -> None:
        beat = 0.0
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("node %s loop failed; retrying", self.party_id)
                self._stop.wait(0.5)
                continue
            if self.heartbeat is not None and time.monotonic() - beat >= HEARTBEAT_S:
                beat = time.monotonic()
                self.heartbeat.touch()

    def start(self) -> Node:
        on_start = getattr(self.handler, "on_start", None)
        if on_start is not None:
            on_start(self)
        self.start_thread()
        return self

    def stop(self) -> None:
        self.stop_thread()
        on_stop = getattr(self.handler, "on_stop", None)
        if on_stop is not None:
            on_stop()
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None


class _HandlerFailed(Exception):
    def __init__(self, sender: str, message_id: str, error: str) -> None:
        super().__init__(error)
        self.sender = sender
        self.message_id = message_id
        self.error = error
