"""One inbound message through the single window: authenticate, decode and validate, authorize, de-duplicate,
record, route, receipt. The Kafka router and the HTTP API both run exactly this.

The pipeline writes the ledger and returns what to produce (:class:`Outgoing`); the caller produces it, flushes,
then calls :meth:`Pipeline.delivered` and only then commits its input. A crash anywhere before that commit means
the input comes again: the ledger then answers "duplicate" and the outputs are produced again (receivers
de-duplicate by message id), so the effect happens once.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from gateway.ledger import DeadLetter, Ledger, MessageRecord, ReceiptRecord
from gateway.prepare import Inbound, Prepared, Preparer
from gateway.prepare_workers import PrepareWorkers
from gateway.receipts import build_receipt, delivered_json
from gateway.registry import Registry
from gateway.topics import Topics
from schemas.codec import Format
from schemas.errors import Issue
from swsim.network import GATEWAY_ID
from swsim.transport.base import Headers, Transport

log = logging.getLogger(__name__)

DEADLETTER_BODY_BYTES = 64 * 1024
"""How much of a refused body its dead-letter record carries (with the body's length and SHA-256; the ledger's
dead letter keeps it whole). Every part of the record is bounded, so it stays far under the producer's 8 MiB."""
DEADLETTER_ERRORS = 100
"""How many errors a dead-letter record lists (``errors_total`` says how many there were)."""
DEADLETTER_TEXT = 1024
"""How many characters of each text a dead-letter record carries (error messages, header values, ids)."""
DEADLETTER_HEADERS = 32
"""How many of the record's headers a dead-letter record carries."""


@dataclass
class Outgoing:
    topic: str
    value: bytes
    key: bytes | None
    headers: Headers
    receipt: bool = False


@dataclass
class Outcome:
    status: str  # delivered | duplicate | rejected
    sender: str | None
    message_id: str
    message_type: str | None
    receivers: list[str]
    issues: list[Issue]
    receipt_id: str | None
    receipt: bytes | None
    out: list[Outgoing]
    seq: int | None = None  # the ledger seq of the message this outcome routes (None: it routes none)
    deadletter_id: int | None = None
    event: dict[str, object] | None = None

    @property
    def codes(self) -> list[str]:
        return sorted({i.code for i in self.issues})


OutRecord = tuple[str, bytes, bytes | None, Headers]
"""(topic, value, key, headers), as a transport delivers it."""


def _h(v: str) -> bytes:
    return v.encode()


def _route_headers(sender: str, message_id: str, mtype: str, fmt: str, correlation: str | None) -> Headers:
    """The headers of a message routed to a receiver's inbox."""
    headers: Headers = [("sw-sender", _h(sender)), ("sw-message-id", _h(message_id)),
                        ("sw-message-type", _h(mtype)), ("sw-format", _h(fmt))]  # fmt: skip
    if correlation:
        headers.append(("sw-correlation-id", _h(correlation)))
    return headers


def _clip(text: str | None, limit: int = DEADLETTER_TEXT) -> str | None:
    return text if text is None or len(text) <= limit else text[:limit] + "..."


def _clipped_error(error: dict[str, object]) -> dict[str, object]:
    return {**error, "message": _clip(str(error.get("message", ""))), "location": _clip(str(error.get("location", "")))}


def deadletter_envelope(dl_id: int, dl: DeadLetter, digest: str) -> bytes:
    """The dead-letter topic's record for ``dl``: what was refused and why, every part bounded (see
    :data:`DEADLETTER_BODY_BYTES`). ``body`` is the start of the body as text (invalid UTF-8 replaced),
    ``body_bytes`` and ``body_sha256`` describe the whole body, and ``GET /v1/deadletters`` gives it in full."""
    errors = [_clipped_error(e) for e in dl.errors[:DEADLETTER_ERRORS]]
    headers = {_clip(k, 64): _clip(v) for k, v in list(dl.headers.items())[:DEADLETTER_HEADERS]}
    envelope = {
        "deadletter_id": dl_id,
        "sender": _clip(dl.sender),
        "message_id": _clip(dl.message_id),
        "codes": dl.codes,
        "errors": errors,
        "errors_total": len(dl.errors),
        "channel": dl.channel,
        "received_at": dl.received_at,
        "headers": headers,
        "body": dl.body[:DEADLETTER_BODY_BYTES].decode("utf-8", errors="replace"),
        "body_bytes": len(dl.body),
        "body_sha256": digest,
        "body_truncated": len(dl.body) > DEADLETTER_BODY_BYTES,
    }
    return json.dumps(envelope).encode()  # ASCII: any character escaped, so never a UnicodeEncodeError


def _rejection_receipt(p: Prepared, to: str, issues: list[Issue]) -> tuple[str, bytes]:
    """The MT9999 rejection receipt for ``p``; should it fail to build, one with the codes alone (their texts come
    from the message), so that no message can fail its batch here."""
    build = partial(
        build_receipt,
        to=to,
        reference_id=p.message_id,
        reference_type=p.mtype,
        delivered_to=None,
        correlation_id=p.correlation,
        digest=p.digest,
        fmt=p.fmt,
        now=datetime.fromtimestamp(p.now, UTC),
    )
    try:
        return build(issues=issues)
    except Exception:
        log.exception("rejection receipt for %s from %s failed; sending the codes alone", p.message_id, to)
        return build(issues=[Issue(code, code, "") for code in sorted({i.code for i in issues})])


class Pipeline:
    def __init__(self, registry: Registry, ledger: Ledger, topics: Topics, max_bytes: int, window_s: int = 300) -> None:
        self.registry = registry
        self.ledger = ledger
        self.topics = topics
        self.preparer = Preparer(registry, max_bytes, window_s)
        self.workers: PrepareWorkers | None = None
        """Worker processes for :meth:`prepare_many` (:mod:`gateway.prepare_workers`), if any."""

    def process(self, inbound: Inbound, now: float | None = None) -> Outcome:
        """prepare() then commit(): one message all the way."""
        return self.commit(self.prepare(inbound, now))

    def prepare(self, inbound: Inbound, now: float | None = None) -> Prepared:
        """The CPU steps (:meth:`gateway.prepare.Preparer.prepare`): touch no ledger, never raise."""
        return self.preparer.prepare(inbound, now)

    def prepare_many(self, items: list[Inbound]) -> list[Prepared]:
        """:meth:`prepare` for each item, in a worker process when there is an idle one."""
        if self.workers is not None:
            return self.workers.prepare(items)
        return [self.prepare(i) for i in items]

    def commit(self, p: Prepared) -> Outcome:
        """The ledger part: record (or de-duplicate, or dead-letter) and build the outputs."""
        if p.issues or p.sender is None or p.mtype is None:
            return self._reject(p, p.issues)
        return self._accept(p)

    def _accept(self, p: Prepared) -> Outcome:
        assert p.sender is not None
        assert p.mtype is not None
        rec = MessageRecord(
            sender=p.sender.id,
            message_id=p.message_id,
            message_type=p.mtype.value,
            receivers=p.receivers,
            correlation_id=p.correlation,
            causation_id=p.causation,
            format=p.fmt,
            digest=p.digest,
            body=p.inbound.body,
            channel=p.inbound.channel,
            received_at=p.now,
        )
        with self.ledger.transaction():
            result, stored, rid, receipt = self._record(p, rec)
        if result == "conflict":
            issue = Issue(
                "MESSAGE_ID_CONFLICT",
                f"MessageID {p.message_id} was already used by {p.sender.id} for a different message: "
                "use a new MessageID",
                "/Head/MessageID",
            )
            return self._reject(p, [issue])
        assert rid is not None
        assert receipt is not None
        return self._route(p, stored, result, rid, receipt)

    def _record(self, p: Prepared, rec: MessageRecord) -> tuple[str, MessageRecord, str | None, bytes | None]:
        """Insert (in the caller's transaction) and make the receipt: (result, stored record, receipt id, receipt)."""
        assert p.sender is not None
        assert p.mtype is not None
        result, stored = self.ledger.insert_message(rec)
        if result == "conflict":
            return result, stored, None, None
        # A replayed Kafka record is byte-identical to the original, so (sender, MessageID) de-duplication absorbs
        # it; the nonce store guards the HTTP path, where a replayed request is refused before processing.
        make = delivered_json if p.fmt == "json" else partial(build_receipt, issues=[], fmt=p.fmt)
        rid, receipt = make(
            to=p.sender.id,
            reference_id=rec.message_id,
            reference_type=p.mtype,
            delivered_to=stored.receivers,
            correlation_id=p.correlation,
            digest=rec.digest,
            now=datetime.fromtimestamp(p.now, UTC),
        )
        if result == "new":
            self.ledger.add_receipt(
                ReceiptRecord(rid, p.sender.id, rec.message_id, "delivered", [], p.fmt, receipt, p.now)
            )
        else:  # re-send the very receipt sent the first time
            earlier = [r for r in self.ledger.receipts_for(p.sender.id, rec.message_id) if r.receipt_id == rid]
            if earlier:
                receipt = earlier[0].body
        return result, stored, rid, receipt

    def _route(self, p: Prepared, stored: MessageRecord, result: str, rid: str, receipt: bytes) -> Outcome:
        assert p.sender is not None
        assert p.mtype is not None
        key = (p.correlation or p.message_id).encode()
        base = _route_headers(p.sender.id, p.message_id, p.mtype.value, p.fmt, p.correlation)
        # a duplicate that was already delivered is not routed again: only its receipt is re-sent. One not yet
        # delivered is routed again, even while a copy may be on its way in another delivery (receivers
        # de-duplicate): its receipt then follows a copy of its own batch (see outputs()), and only an acknowledged
        # copy marks the message delivered
        redeliver = result == "new" or stored.status != "delivered"
        out = [Outgoing(self.topics.inbox(r), p.inbound.body, key, base) for r in stored.receivers] if redeliver else []
        out.append(self._receipt_out(p.sender.id, receipt, key, rid, p.fmt, p.message_id, "delivered"))
        status = "delivered" if result == "new" else "duplicate"
        event = self._event(status, p, p.sender.id, stored.receivers, [], rid)
        return Outcome(
            status,
            p.sender.id,
            p.message_id,
            p.mtype.value,
            stored.receivers,
            [],
            rid,
            receipt,
            out,
            stored.seq if redeliver else None,
            None,
            event,
        )

    def _reject(self, p: Prepared, issues: list[Issue]) -> Outcome:
        inbound, sender = p.inbound, p.sender
        codes = sorted({i.code for i in issues})
        dl = DeadLetter(
            sender=sender.id if sender else inbound.claimed_sender,
            message_id=p.message_id,
            codes=codes,
            errors=[i.to_dict() for i in issues],
            body=inbound.body,
            headers=inbound.headers,
            channel=inbound.channel,
            received_at=p.now,
        )
        dl_id = self.ledger.add_deadletter(dl)
        out = [Outgoing(self.topics.deadletter, deadletter_envelope(dl_id, dl, p.digest), inbound.key, [])]
        rid = receipt = None
        if sender is not None:  # only authenticated senders get receipts (no inbox spam by forged headers)
            rid, receipt = _rejection_receipt(p, sender.id, issues)
            self.ledger.add_receipt(
                ReceiptRecord(rid, sender.id, p.message_id, "rejected", codes, p.fmt, receipt, p.now)
            )
            out.append(self._receipt_out(sender.id, receipt, inbound.key, rid, p.fmt, p.message_id, "rejected"))
        mtype = p.mtype.value if p.mtype else None
        event = self._event("rejected", p, dl.sender, [], codes, rid)
        return Outcome("rejected", dl.sender, p.message_id, mtype, [], issues, rid, receipt, out, None, dl_id, event)

    def _receipt_out(
        self, to: str, receipt: bytes, key: bytes | None, rid: str, fmt: Format, message_id: str, status: str
    ) -> Outgoing:
        """A gateway receipt on its way to the sender's inbox (``status``: delivered or rejected, also a header so a
        reader can count receipts without decoding them)."""
        headers: Headers = [
            ("sw-sender", GATEWAY_ID.encode()),
            ("sw-message-id", _h(rid)),
            ("sw-message-type", b"MT9999"),
            ("sw-format", _h(fmt)),
            ("sw-reference-id", _h(message_id)),
            ("sw-receipt-status", status.encode()),
        ]
        return Outgoing(self.topics.inbox(to), receipt, key, headers, receipt=True)

    def _event(
        self,
        event: str,
        p: Prepared,
        sender: str | None,
        receivers: list[str],
        codes: list[str],
        receipt_id: str | None,
    ) -> dict[str, object]:
        return {
            "event": event,
            "ts": p.now,
            "sender": sender,
            "receivers": receivers,
            "message_id": p.message_id,
            "message_type": p.mtype.value if p.mtype else None,
            "correlation_id": p.correlation,
            "codes": codes,
            "channel": p.inbound.channel,
            "receipt_id": receipt_id,
        }

    def events_record(self, outcomes: list[Outcome]) -> Outgoing:
        """The events of a batch as one record on the events topic: a JSON array (one produce per batch)."""
        return Outgoing(self.topics.events, json.dumps([o.event for o in outcomes]).encode(), None, [])

    def reroute(self, stored: MessageRecord) -> list[OutRecord]:
        """A recorded message routed to its receivers once more (after the broker lost what it held), as
        :meth:`_route` routed it the first time. Receivers de-duplicate by message id."""
        key = (stored.correlation_id or stored.message_id).encode()
        s = stored
        headers = _route_headers(s.sender, s.message_id, s.message_type, s.format, s.correlation_id)
        return [(self.topics.inbox(r), stored.body, key, headers) for r in stored.receivers]

    def outputs(self, outcomes: list[Outcome]) -> tuple[list[OutRecord], list[OutRecord]]:
        """What to produce for a batch, in two steps: first the messages themselves (routed to their receivers,
        dead letters), then, once the broker holds those, the receipts and the events record. A sender is never told
        "delivered" about a message the broker did not take: measured with the broker killed mid-batch, receipts
        produced together with their messages reached senders while the messages were lost with the broker.

        A message routed by several outcomes of the batch (its duplicates, before it was delivered) goes to each
        receiver once: the batch's receipts all follow the same copies."""
        first: list[OutRecord] = []
        routed: set[tuple[int, str]] = set()
        for o in outcomes:
            for x in o.out:
                if x.receipt:
                    continue
                if o.seq is not None:
                    if (o.seq, x.topic) in routed:
                        continue
                    routed.add((o.seq, x.topic))
                first.append((x.topic, x.value, x.key, x.headers))
        then = [(x.topic, x.value, x.key, x.headers) for o in outcomes for x in o.out if x.receipt]
        if outcomes:
            ev = self.events_record(outcomes)
            then.append((ev.topic, ev.value, ev.key, ev.headers))
        return first, then

    def produce(self, transport: Transport, outcomes: list[Outcome], timeout_s: float = 30.0) -> None:
        """Produce the outputs of ``outcomes`` in their two steps (see :meth:`outputs`), then mark them delivered.
        On failure raise: they stay undelivered in the ledger and are routed again when their input comes again."""
        first, then = self.outputs(outcomes)
        if first:
            transport.deliver(first, timeout_s)
        if then:
            transport.deliver(then, timeout_s)
        self.delivered(outcomes)

    def delivered(self, outcomes: list[Outcome], now: float | None = None) -> None:
        """Call after the outputs of ``outcomes`` were flushed to the broker: the messages they routed are
        delivered."""
        seqs = [o.seq for o in outcomes if o.seq is not None]
        self.ledger.mark_delivered(seqs, time.time() if now is None else now)
