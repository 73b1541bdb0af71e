"""One node: inbox -> handler (once per message, in one transaction with the outbox entries it causes) -> outbox.

Offsets are committed after the store commits, so a crash in between means the message comes again and the
"seen" table makes the repeat a no-op. A record that cannot be decoded (a null value included) is noted and
skipped; any other failure (the store, mostly) leaves the records of the poll not yet handled to be tried again,
after a back-off, before anything else is polled or committed. Outbox entries are published (freshly signed each
attempt, same MessageID) until the gateway's receipt settles them: every ``resend_after_s`` for ``max_attempts``
attempts, then, marked ``failed`` (overdue), every ``failed_resend_s``; a restarted node, or one whose broker lost
its state, re-sends at once whatever is still unsettled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

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
from swsim.node.store import NodeStore, OutboxEntry, is_store_failure
from swsim.transport.base import BrokerError, Consumer, Record, Transport

log = logging.getLogger(__name__)
_AWAY = (KafkaConnectionError, KafkaTimeoutError)
"""Kafka errors that mean the broker cannot be reached (for now)."""


def broker_away(e: Exception) -> bool:
    """``e`` says the broker cannot be reached for now (logged in one line and retried), rather than a lasting
    error whose stack is wanted (a record too large, a client misused). A bare KafkaError is the client's word for
    an answer it did not expect from the broker (an embedded broker restarting answers its first requests with
    "UnknownError"): counted as the broker's."""
    return isinstance(e, (BrokerError, *_AWAY)) or type(e) is KafkaError or bool(getattr(e, "retriable", False))


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
RETRY_S = (0.5, 5.0)
"""The loop's back-off after a failed step: the first wait, doubled up to the last."""


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
        failed_resend_s: float = 60.0,
    ) -> None:
        """``inbox``: a ready consumer of this node's inbox (e.g. a view of a process-wide multiplexer); by default
        the node opens its own on ``transport``. An outbox entry still without a receipt after ``max_attempts``
        sends (``resend_after_s`` apart) is marked ``failed`` and re-sent every ``failed_resend_s`` from then on."""
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
        self.failed_resend_s = failed_resend_s
        self._consumer: Consumer | None = inbox
        self._unhandled: deque[Record] = deque()  # polled, not handled yet: handled before the next poll
        self._uncommitted = False  # records handled since the last commit
        self._rewind = threading.Event()
        self.on_message: Callable[[Message], None] | None = None

    def request_rewind(self) -> None:
        """The broker lost its state (swsim/transport/generation.py): read the inbox again from the beginning (the
        "seen" table absorbs what was handled) and re-send at once, with a new producer, what the outbox still holds
        unreceipted (``failed`` entries included)."""
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
        except Exception as e:  # not even bytes (a null value: a Kafka tombstone), or a decoder's bug
            self.ctx().note("undecodable", codes=[], error=repr(e)[:200], offset=r.offset)
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
                if is_store_failure(exc):
                    raise  # not the message's fault: it is handled again after a back-off
                log.exception("%s failed to handle %s", self.party_id, head.message_id)
                raise _HandlerFailed(head.sender_id, head.message_id, str(exc)) from exc
        if self.on_message is not None:
            self.on_message(message)

    def step(self, timeout_s: float = 0.1) -> int:
        """Handle what is in the inbox, run the handler's timers, publish what is due. Returns records handled.

        Raises when a record could not be handled for a reason other than itself (the store failed): that record
        and the rest of its poll stay queued and are handled first by the next call, and no offset is committed
        past them meanwhile."""
        if self._rewind.is_set():
            self._rewind.clear()
            self._unhandled.clear()  # read again from the beginning
            self.consumer.rewind()
            self.store.resend_unsettled()
        if not self._unhandled:
            self._unhandled.extend(self.consumer.poll(timeout_s, 200))
        handled = 0
        while self._unhandled:
            self._take(self._unhandled[0])
            self._unhandled.popleft()
            self._uncommitted = True
            handled += 1
        if self._uncommitted:  # every record handed out so far is handled
            self.consumer.commit()
            self._uncommitted = False
        ctx = self.ctx()
        with self.store.transaction():
            self.handler.tick(ctx)
        self.pump()
        return handled

    def _take(self, r: Record) -> None:
        try:
            self._handle_record(r)
        except _HandlerFailed as f:  # a handler bug must not block the inbox: keep it seen, note it
            ctx = self.ctx()
            with self.store.transaction():
                self.store.first_time(f.sender, f.message_id, ctx.now.isoformat())
                ctx.note("handler_failed", id=f.message_id, error=f.error[:200])

    def pump(self) -> int:
        """Publish every outbox entry that is due (first send, re-send after the timeout, or the slower re-send of
        an entry out of attempts), each copy freshly signed under the entry's own MessageID."""
        now = time.time()
        due = self.store.due(now)
        for e in due:
            self.client.publish(e.body, key=e.key, message_id=e.message_id)
        if due:
            self.client.flush()
        for e in due:
            attempts = e.attempts + 1
            if attempts < self.max_attempts:
                self.store.attempted(e.message_id, attempts, now + self.resend_after_s)
                continue
            with self.store.transaction():
                marked = self.store.attempted(e.message_id, attempts, now + self.failed_resend_s, "failed")
                if marked and e.status == "pending":  # overdue from now on: say so once
                    self.ctx().note("outbox_failed", id=e.message_id, to=e.receiver, attempts=attempts)
        return len(due)

    heartbeat: Path | None = None
    """A file touched every HEARTBEAT_S while the loop runs (container healthchecks look at its age)."""

    def run(self) -> None:
        beat = 0.0
        backoff = RETRY_S[0]
        while not self._stop.is_set():
            try:
                self.step()
            except (KafkaError, BrokerError) as e:
                if broker_away(e):
                    # the broker away (restarting, say): expected, one line each
                    log.warning("node %s: broker: %s; retrying in %.1f s", self.party_id, e, backoff)
                else:  # a lasting Kafka error (a record too large, a client misused): its stack is wanted
                    log.exception("node %s loop failed; retrying in %.1f s", self.party_id, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RETRY_S[1])
                continue
            except Exception:
                log.exception("node %s loop failed; retrying in %.1f s", self.party_id, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RETRY_S[1])
                continue
            backoff = RETRY_S[0]
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
        self._unhandled.clear()  # a new consumer reads them again from the committed offsets
        self._uncommitted = False


class _HandlerFailed(Exception):
    def __init__(self, sender: str, message_id: str, error: str) -> None:
        super().__init__(error)
        self.sender = sender
        self.message_id = message_id
        self.error = error
