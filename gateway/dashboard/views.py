"""What the dashboard shows, read from the ledger (and, in one process with the nodes, their status providers)."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from gateway.dashboard.live import Cursor
from gateway.ledger import MessageRecord
from gateway.service import Gateway
from schemas.codec import decode
from schemas.codes import ClearanceDecision, RefundState, ResponseStatus
from schemas.envelope import Message
from schemas.errors import MessageError
from schemas.message_types import TYPE_INFO, MessageType
from schemas.summary import summary
from swsim.percentile import nearest_rank

FEED = 40
"""Messages in the initial feed."""
WINDOW_S = 120
"""Seconds of history in the throughput and latency charts."""
SEARCH_LIMIT = 500
"""Messages of a consignment a search shows (the first, or with ``latest`` the newest, in order of arrival)."""
DEADLETTERS = 20
"""Dead letters the panel shows (the newest)."""


def type_name(code: str) -> str:
    try:
        return TYPE_INFO[MessageType(code)].title
    except (ValueError, KeyError):
        return ""


def says_no(m: Message) -> bool:
    """Whether a message refuses something: a receipt with status 03 (rejected, whatever its reason code), a
    clearance decision REFUSED, a refund case REFUSED."""
    t, b = m.head.message_type, m.body
    if t == MessageType.MT9999:
        return bool(b.status_code == ResponseStatus.REJECTED)
    if t == MessageType.CD101:
        return bool(b.decision_code == ClearanceDecision.REFUSED)
    if t == MessageType.TX201:
        return bool(b.state_code == RefundState.REFUSED)
    return False


def message_view(rec: MessageRecord) -> dict[str, Any]:
    try:
        m = decode(rec.body)
        what, rejected = summary(m), says_no(m)
    except MessageError:
        what, rejected = "(not decodable by this version)", False
    return {
        "seq": rec.seq,
        "t": rec.received_at,
        "message_id": rec.message_id,
        "sender": rec.sender,
        "receivers": rec.receivers,
        "type": rec.message_type,
        "type_name": type_name(rec.message_type),
        "correlation": rec.correlation_id,
        "status": rec.status,
        "summary": what,
        "rejected": rejected,
    }


def recent(gw: Gateway, limit: int = FEED) -> list[MessageRecord]:
    """The newest ``limit`` messages, newest first."""
    return gw.ledger.recent_messages(limit)


def risk_alerts(gw: Gateway) -> list[dict[str, Any]]:
    """Risk alerts (RA101, 风险预警) the exchange carried, newest first."""
    return [message_view(r) for r in gw.ledger.messages_of_type("RA101", 20)]


def deadletters(gw: Gateway) -> list[dict[str, Any]]:
    """The newest :data:`DEADLETTERS` dead letters, newest first (the tick's ``counts`` says how many in all)."""
    out = []
    for d in gw.ledger.recent_deadletters(DEADLETTERS):
        first = d.errors[0] if d.errors else {}
        out.append({"id": d.id, "sender": d.sender, "message_id": d.message_id, "codes": d.codes,
                    "received_at": d.received_at, "reason": str(first.get("message", ""))[:300],
                    "redriven": d.redriven_at is not None})  # fmt: skip
    return out


def stats(gw: Gateway, now: float | None = None) -> dict[str, list[float]]:
    """Per second of the last WINDOW_S: messages received, and p50/p99 of received -> delivered (ms)."""
    now = time.time() if now is None else now
    start = math.floor(now) - WINDOW_S
    per_s = [0.0] * WINDOW_S
    lat: list[list[float]] = [[] for _ in range(WINDOW_S)]
    for received, delivered in gw.ledger.timings_since(start):
        i = int(received - start)
        if 0 <= i < WINDOW_S:
            per_s[i] += 1
            if delivered is not None:
                lat[i].append((delivered - received) * 1000)
    return {"per_second": per_s, "p50_ms": [nearest_rank(x, 0.5) for x in lat],
            "p99_ms": [nearest_rank(x, 0.99) for x in lat]}  # fmt: skip


def tick(gw: Gateway) -> dict[str, Any]:
    """Everything the side panels and charts show."""
    provider = gw.status_providers.get("tax")
    return {"risk_alerts": risk_alerts(gw), "deadletters": deadletters(gw), "stats": stats(gw),
            "tax": provider() if provider is not None else None, "counts": gw.ledger.counts()}  # fmt: skip


def overview(gw: Gateway) -> dict[str, Any]:
    """The first load; ``cursor``: where the live stream goes on from (taken first: a message recorded meanwhile
    may be both in ``recent`` and streamed, which the page tells by its ``seq``)."""
    cursor = str(Cursor.now(gw.ledger))
    parties = [{"id": p.id, "name": p.name, "role": p.role.value} for p in gw.registry.parties.values()]
    return {"parties": parties, "recent": [message_view(r) for r in recent(gw)], "cursor": cursor, **tick(gw)}


def _timeline(gw: Gateway, query: str, kind: str, total: int, latest: bool) -> dict[str, Any]:
    """A consignment's timeline, bounded: its first :data:`SEARCH_LIMIT` messages in order of arrival, or with
    ``latest`` its newest ones. ``total``: how many it has; ``offset``: how many come before the first one shown;
    ``more``: others follow the last one shown."""
    offset = max(0, total - SEARCH_LIMIT) if latest else 0
    records = gw.ledger.trace(query, None, SEARCH_LIMIT, offset)
    total = max(total, offset + len(records))  # some may have come since they were counted
    return {"query": query, "kind": kind, "messages": [message_view(r) for r in records], "total": total,
            "offset": offset, "more": offset + len(records) < total}  # fmt: skip


def _spellings(q: str) -> list[str]:
    """``q`` as typed, then in upper and lower case: references are upper case (``CQ8000…``), message ids are
    often lower case, and a presenter types either way. Each spelling is an exact, indexed lookup."""
    return list(dict.fromkeys((q, q.upper(), q.lower()))) if q else []


def search(gw: Gateway, q: str, latest: bool = False) -> dict[str, Any]:
    """A consignment / waybill (correlation id) gives its timeline (bounded); a message id gives that message.
    Both are matched as typed first, then in upper case, then in lower case (not mixed case: ``Msg-Abc`` is found
    only as typed)."""
    q = q.strip()
    for spelling in _spellings(q):
        total = gw.ledger.trace_count(spelling)
        if total:
            return _timeline(gw, spelling, "consignment", total, latest)
        found = gw.ledger.find_visible(spelling, None)
        if found and found[0].correlation_id:
            corr = found[0].correlation_id
            return _timeline(gw, corr, "consignment of message " + spelling, gw.ledger.trace_count(corr), latest)
        if found:
            return {"query": spelling, "kind": "message", "messages": [message_view(r) for r in found],
                    "total": len(found), "offset": 0, "more": False}  # fmt: skip
    return {"query": q, "kind": "message", "messages": [], "total": 0, "offset": 0, "more": False}


def detail(gw: Gateway, seq: int) -> dict[str, Any] | None:
    rec = gw.ledger.message_by_seq(seq)
    if rec is None:
        return None
    try:
        decoded: Any = json.loads(decode(rec.body).model_dump_json(by_alias=True, exclude_none=True))
    except MessageError as e:
        decoded = {"error": str(e)}
    receipts = [{"receipt_id": r.receipt_id, "status": r.status, "codes": r.codes, "body": r.body.decode("utf-8",
                 "replace")} for r in gw.ledger.receipts_for(rec.sender, rec.message_id)]  # fmt: skip
    return {"message": message_view(rec), "format": rec.format, "raw": rec.body.decode("utf-8", "replace"),
            "decoded": decoded, "receipts": receipts}  # fmt: skip
