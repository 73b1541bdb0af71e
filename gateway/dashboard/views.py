"""What the dashboard shows, read from the ledger (and, in one process with the nodes, their status providers)."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from gateway.ledger import MessageRecord
from gateway.service import Gateway
from schemas.codec import decode
from schemas.errors import MessageError
from schemas.message_types import TYPE_INFO, MessageType
from schemas.summary import summary
from swsim.percentile import nearest_rank

FEED = 40
"""Messages in the initial feed."""
WINDOW_S = 120
"""Seconds of history in the throughput and latency charts."""
SEARCH_LIMIT = 500
"""Messages of a consignment a search shows (the first, in order of arrival)."""


def type_name(code: str) -> str:
    try:
        return TYPE_INFO[MessageType(code)].title
    except (ValueError, KeyError):
        return ""


def message_view(rec: MessageRecord) -> dict[str, Any]:
    try:
        what = summary(decode(rec.body))
    except MessageError:
        what = "(not decodable by this version)"
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
    }


def recent(gw: Gateway, limit: int = FEED) -> list[MessageRecord]:
    """The newest ``limit`` messages, newest first."""
    return gw.ledger.recent_messages(limit)


def risk_alerts(gw: Gateway) -> list[dict[str, Any]]:
    """Risk alerts (RA101, 风险预警) the exchange carried, newest first."""
    return [message_view(r) for r in gw.ledger.messages_of_type("RA101", 20)]


def deadletters(gw: Gateway) -> list[dict[str, Any]]:
    out = []
    for d in gw.ledger.list_deadletters(None, 20, 0):
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
    parties = [{"id": p.id, "name": p.name, "role": p.role.value} for p in gw.registry.parties.values()]
    return {"parties": parties, "recent": [message_view(r) for r in recent(gw)], **tick(gw)}


def _timeline(query: str, kind: str, records: list[MessageRecord]) -> dict[str, Any]:
    """A consignment's timeline from ``gw.ledger.trace(..., SEARCH_LIMIT + 1)``: its first :data:`SEARCH_LIMIT`
    messages, in order of arrival (``more``: there are others after them)."""
    return {"query": query, "kind": kind, "messages": [message_view(r) for r in records[:SEARCH_LIMIT]],
            "more": len(records) > SEARCH_LIMIT}  # fmt: skip


def search(gw: Gateway, q: str) -> dict[str, Any]:
    """A consignment / waybill (correlation id) gives its timeline (bounded); a message id gives that message."""
    q = q.strip()
    by_consignment = gw.ledger.trace(q, None, SEARCH_LIMIT + 1) if q else []
    if by_consignment:
        return _timeline(q, "consignment", by_consignment)
    found = gw.ledger.find_visible(q, None) if q else []
    if found and found[0].correlation_id:
        corr = found[0].correlation_id
        return _timeline(corr, "consignment of message " + q, gw.ledger.trace(corr, None, SEARCH_LIMIT + 1))
    return {"query": q, "kind": "message", "messages": [message_view(r) for r in found], "more": False}


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
