"""A tax bureau node (Chongqing 15000000000, Sichuan 15100000000) on the shared node runtime.

Its own taxpayers' records (registration, real-name authentication, abnormal enterprise 非正常户, high-risk
taxpayer) are kept versioned in its store and published on both channels of the dual channel (双通道): channel A
through the gateway (the node's outbox, over Kafka), channel B over the dedicated line (:mod:`tax_exchange.line`).
Records from the peer bureau are applied once, whichever channel brings them first; every arrival is booked with
its channel, time and digest for reconciliation. Abnormal-enterprise and high-risk lists also go to the customs
risk engines, through the gateway only. Refund cases (TX201) from customs follow :mod:`tax_exchange.refund`.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from pydantic import BaseModel

from gateway.registry import Registry
from schemas.codec import Format, encode
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.registry import SPECS
from schemas.tax import AbnormalBody, HighRiskBody, RealNameBody, RegistrationBody
from swsim.network import DOMESTIC_CUSTOMS, TAX_PEER
from tax_exchange import books as b
from tax_exchange import refund
from tax_exchange.line import LineSender, LineServer, line_app
from tax_exchange.reconcile import BOOK_QUERIES, Report, read_view, reconcile, view_of
from tax_exchange.records import CUSTOMS_SHARED, RECORD_TYPES, RecordError, digest, identity, is_record

if TYPE_CHECKING:
    from swsim.node.runtime import Context, Node
    from swsim.node.store import StoreRef

_TYPE_OF_BODY: dict[object, MessageType] = {
    RegistrationBody: MessageType.TX101,
    RealNameBody: MessageType.TX102,
    AbnormalBody: MessageType.TX103,
    HighRiskBody: MessageType.TX104,
}
_CONTENT_TYPES = {"json": "application/json", "xml": "application/xml"}


@dataclass
class TaxHandler:
    party_id: str
    registry: Registry
    listen: str = "127.0.0.1:0"
    peer_url: str | None = None
    peer_store: StoreRef | None = None  # the peer's store, for the reconciliation job (its file, or PostgreSQL)
    threshold_s: float = 30.0
    reconcile_every_s: float = 5.0
    fmt: Format = "json"
    pepper: bytes = b""  # key for identity-number digests in real-name records, shared by the two bureaus
    store_schema: ClassVar[str] = b.SCHEMA
    node: Node | None = field(default=None, init=False)
    line: LineServer | None = field(default=None, init=False)
    sender: LineSender | None = field(default=None, init=False)
    _next_reconcile: float = field(default=0.0, init=False)

    @property
    def peer(self) -> str:
        return TAX_PEER[self.party_id]

    @property
    def books(self) -> b.Books:
        assert self.node is not None, "the tax node is not started"
        return b.Books(self.node.store)

    # ---------------------------------------------------------------- lifecycle (called by the node)
    def on_start(self, node: Node) -> None:
        self.node = node
        app = line_app(self.party_id, self.peer, self.registry, self._from_line)
        self.line = LineServer(app, self.listen).start()
        self.listen = f"{self.line.host}:{self.line.port}"  # a restart listens where the peer expects it
        self.sender = LineSender(
            self.party_id, node.client.key, self.books, lambda: self.peer_url, self._line_rejected
        ).start()

    def on_stop(self) -> None:
        if self.sender is not None:
            self.sender.stop()
        if self.line is not None:
            self.line.stop()

    # ---------------------------------------------------------------- the bureau's own records
    def publish(self, ctx: Context, body: BaseModel) -> Message:
        """Store one of this bureau's records (a newer version supersedes the older) and send it on both channels;
        abnormal-enterprise and high-risk records also go to the customs risk engines (channel A only)."""
        mt = _TYPE_OF_BODY.get(type(body))
        if mt is None:
            raise RecordError("NOT_A_RECORD", f"{type(body).__name__} is not a dual-channel record body")
        record = body.record  # type: ignore[attr-defined]
        if record.authority_id != self.party_id:
            raise RecordError("WRONG_AUTHORITY", f"AuthorityID is {record.authority_id}, not this bureau")
        current = ctx.store.get("record", record.record_id)
        if current is not None and current["version"] >= record.record_version:
            raise RecordError(
                "VERSION_NOT_NEWER",
                f"{record.record_id} is at version {current['version']}: publish version {current['version'] + 1}",
            )
        cls = SPECS[mt].model
        message = cls(head=ctx.head(mt, self.peer, record.record_id), declaration=body)  # type: ignore[call-arg]
        self._apply(ctx, message)
        rid, version = identity(message)
        ctx.send(message, self.fmt)  # channel A: the outbox, through the gateway
        self.books.queue_line(rid, version, self.peer, encode(message, self.fmt), _CONTENT_TYPES[self.fmt])
        self.books.sent(b.Sent(rid, version, self.peer, mt.value, digest(message), time.time()))
        if mt in CUSTOMS_SHARED:
            for office in DOMESTIC_CUSTOMS:
                copy = cls(head=ctx.head(mt, office, record.record_id), declaration=body)  # type: ignore[call-arg]
                ctx.send(copy, self.fmt)
        return message

    # ---------------------------------------------------------------- the peer's records, on either channel
    def handle(self, m: Message, ctx: Context) -> None:
        if is_record(m) and m.head.sender_id == self.peer:
            self.receive(m, "A", ctx)
        elif m.head.message_type == MessageType.TX201:
            refund.on_case(ctx, m)
        else:
            ctx.note("ignored", type=m.head.message_type.value, sender=m.head.sender_id)

    def _from_line(self, m: Message, channel: str) -> bool:
        assert self.node is not None
        ctx = self.node.ctx()
        with self.node.store.transaction():
            return self.receive(m, channel, ctx)

    def receive(self, m: Message, channel: str, ctx: Context) -> bool:
        """Book the arrival; apply the record if no channel brought it before. True when applied now."""
        rid, version = identity(m)
        now = time.time()
        books = self.books
        again = not books.arrived(b.Arrival(rid, version, channel, m.head.sender_id, digest(m), m.head.message_id, now))
        if not books.first_arrival(rid, version):
            ctx.note("record_arrived", record=rid, version=version, channel=channel, again=again, applied=False)
            return False
        books.applied(rid, version, channel, now)
        self._apply(ctx, m)
        ctx.note("record_arrived", record=rid, version=version, channel=channel, again=again, applied=True)
        return True

    def _apply(self, ctx: Context, m: Message) -> None:
        """Keep every version; the newest is the current record (an older one arriving late does not win)."""
        rid, version = identity(m)
        mt = m.head.message_type
        body: dict[str, Any] = m.body.model_dump(mode="json", by_alias=True, exclude_none=True)
        ctx.store.put("record-version", f"{rid}:{version:09d}", {"id": rid, "version": version, "body": body})
        current = ctx.store.get("record", rid)
        if current is not None and current["version"] >= version:
            ctx.note("record_superseded", record=rid, version=version, current=current["version"])
            return
        record = m.body.record
        ctx.store.put(
            "record",
            rid,
            {
                "id": rid,
                "version": version,
                "type": RECORD_TYPES[mt],
                "uscc": record.taxpayer_uscc,
                "authority": record.authority_id,
                "body": body,
            },
        )
        if mt == MessageType.TX101:
            ctx.store.put(
                "registration",
                record.taxpayer_uscc,
                {"record": rid, "refund_class": body.get("RefundClassCode"), "status": body["StatusCode"]},
            )

    # ---------------------------------------------------------------- timers
    def tick(self, ctx: Context) -> None:
        if self.peer_store is None or time.monotonic() < self._next_reconcile:
            return
        self._next_reconcile = time.monotonic() + self.reconcile_every_s
        try:
            report = self.reconcile()
        except (OSError, sqlite3.Error, psycopg.Error) as exc:  # the peer's store unreadable for now: next time
            ctx.note("reconcile_failed", error=str(exc)[:200])
            return
        ctx.store.put("reconciliation", "latest", report.to_dict())

    def reconcile(self) -> Report:
        """Both directions, from this node's store and the peer's."""
        assert self.node is not None
        assert self.peer_store is not None
        mine = view_of(self.party_id, [self.node.store.rows(q) for q in BOOK_QUERIES])
        theirs = read_view(self.peer, self.peer_store)
        return reconcile(mine, theirs, self.threshold_s)

    def status(self) -> dict[str, Any]:
        """The dual channel at a glance (for the dashboard): arrivals per channel, the dedicated line's queue, and
        the last reconciliation."""
        assert self.node is not None
        store = self.node.store
        arrivals = dict(store.rows("SELECT channel, COUNT(*) FROM dc_arrival GROUP BY channel"))
        pending = store.rows("SELECT COUNT(*) FROM dc_line WHERE status = 'pending'")[0][0]
        latest = store.get("reconciliation", "latest")
        rec = None
        if latest is not None:
            rec = {"at": latest["generated_at"], "clean": latest["clean"], "counts": latest["counts"],
                   "findings": [{"kind": f["kind"]} for f in latest["findings"][:20]]}  # fmt: skip
        return {"party": self.party_id, "arrivals_a": arrivals.get("A", 0), "arrivals_b": arrivals.get("B", 0),
                "line_pending": pending, "reconciliation": rec}  # fmt: skip

    def _line_rejected(self, e: b.LineEntry, error: str) -> None:
        assert self.node is not None
        self.node.ctx().note("line_rejected", record=e.record_id, version=e.version, error=error[:200])
