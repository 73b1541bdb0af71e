"""The read matrix: every caller x every object x every read endpoint (and the dead letters, all pages), each
read tallied against who sent and who received the object, down to the receipts a record carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from swsim.verify.authz_model import (
    COLLISION_ENDPOINTS,
    DASHBOARD_ENDPOINTS,
    OBJECT_ENDPOINTS,
    RECEIPT_ENDPOINTS,
    Caller,
    Stored,
    _json,
    _Run,
)

# -------------------------------------------------------------------------------------------------------------- reads


def _records(endpoint: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The message records a successful read returned."""
    if endpoint in ("trace", "trace_body", "dashboard_search"):
        return list(doc.get("messages", []))
    if endpoint == "dashboard_message":
        return [doc.get("message") or {}]
    return [doc]


def _path(endpoint: str, obj: Stored) -> str:
    mid, corr = quote(obj.message_id, safe=""), quote(obj.correlation_id, safe="")
    return {
        "status": f"/v1/messages/{mid}",
        "status_body": f"/v1/messages/{mid}?include_body=true",
        "status_by_sender": f"/v1/messages/{mid}?sender={quote(obj.sender, safe='')}",
        "trace": f"/v1/trace/{corr}",
        "trace_body": f"/v1/trace/{corr}?include_body=true",
        "dashboard_search": f"/dashboard/api/search?q={mid}",
        "dashboard_message": f"/dashboard/api/messages/{obj.seq or 0}",
    }[endpoint]


def _entitled(caller: Caller, obj: Stored, endpoint: str) -> bool:
    if endpoint in DASHBOARD_ENDPOINTS:
        return caller.operator
    return obj.entitled(caller)


def _may_see(run: _Run, caller: Caller, record: dict[str, Any]) -> bool:
    """Whether ``caller`` may see a returned record: by what this run knows it sent, else by the record itself."""
    if caller.operator:
        return True
    sender = str(record.get("sender"))
    visible = run.known.get((sender, str(record.get("message_id"))))
    if visible is None:
        visible = frozenset({sender, *record.get("receivers", [])})
    return caller.party in visible


def read_cell(run: _Run, caller: Caller, obj: Stored, endpoint: str) -> tuple[int, list[dict[str, Any]], str]:
    """One read of the matrix: its status, the records it returned, and the start of its body."""
    resp = run.client.get(_path(endpoint, obj), headers=caller.headers)
    records = _records(endpoint, _json(resp)) if resp.status_code == 200 else []
    return resp.status_code, records, resp.text[:200]


def _foreign_receipts(run: _Run, caller: Caller, record: dict[str, Any]) -> list[str]:
    """The receipts in ``record`` that ``caller`` may not read. Every receipt about (sender, MessageID) is the
    sender's; anyone else but the operator may read only the stored message's own: the one this run derived from
    what it sent, or for a message this run did not make, a "delivered" one (every other is a rejection)."""
    if caller.operator or caller.party == record.get("sender"):
        return []
    own = run.own_receipt.get((str(record.get("sender")), str(record.get("message_id"))))
    receipts = [r if isinstance(r, dict) else {} for r in record.get("receipts") or []]
    if own is None:
        return [str(r.get("receipt_id")) for r in receipts if r.get("status") != "delivered"]
    return [str(r.get("receipt_id")) for r in receipts if r.get("receipt_id") != own]


def _receipts_shown(run: _Run, caller: Caller, obj: Stored, records: list[dict[str, Any]]) -> list[str] | None:
    """For an entitled read that carries receipts: the object's receipt ids shown, when they are not exactly the
    ones ``caller`` may read (its sender and the operator: every attempt's; a receiver: the message's own)."""
    sender = caller.operator or caller.party == obj.sender
    expected = run.receipts.get(obj.key, frozenset()) if sender else {run.own_receipt.get(obj.key)}
    shown = [r for r in records if (r.get("sender"), r.get("message_id")) == obj.key]
    got = {str(x.get("receipt_id")) for r in shown[:1] for x in r.get("receipts") or [] if isinstance(x, dict)}
    return sorted(got) if shown and got != expected else None


def tally_cell(
    run: _Run, caller: Caller, obj: Stored, endpoint: str, status: int, records: list[dict[str, Any]], text: str
) -> None:
    """Did the read reveal the object, and anything else the caller may not see (a record, or a receipt in one)?"""
    revealed = any((r.get("sender"), r.get("message_id")) == obj.key for r in records)
    strays = [(r.get("sender"), r.get("message_id")) for r in records if not _may_see(run, caller, r)]
    receipts = [
        (r.get("sender"), r.get("message_id"), rid) for r in records for rid in _foreign_receipts(run, caller, r)
    ]
    entitled = _entitled(caller, obj, endpoint)
    cell = {"caller": caller.name, "endpoint": endpoint, "object": obj.key, "status": status}
    res = run.result
    res.reads += 1
    if strays or receipts or (revealed and not entitled):
        res.cross_party_reads += 1
        res.fail("cross_party_read", **cell, strays=strays[:5], receipts=receipts[:5])
    if entitled:
        res.allowed_reads += 1
        res.allowed_reads_ok += revealed
        if not revealed:
            res.fail("allowed_read_failed", **cell, body=text)
        shown = _receipts_shown(run, caller, obj, records) if endpoint in RECEIPT_ENDPOINTS else None
        if shown is not None:
            res.fail("receipts_not_as_expected", **cell, shown=shown[:5])
    elif status >= 500:
        res.fail("server_error", **cell, body=text)


def find_seqs(run: _Run, objects: list[Stored]) -> None:
    """The ledger sequence numbers the dashboard addresses messages by (the operator's search)."""
    op = {"X-API-Key": run.net.operator_key}
    for obj in objects:
        resp = run.client.get(f"/dashboard/api/search?q={quote(obj.message_id, safe='')}", headers=op)
        for r in _records("dashboard_search", _json(resp)) if resp.status_code == 200 else []:
            if (r.get("sender"), r.get("message_id")) == obj.key:
                obj.seq = r.get("seq")


def read_matrix(run: _Run, callers: list[Caller], objects: list[Stored], collision: list[Stored]) -> None:
    """Every caller x every object x every read endpoint, and every non-operator caller x the same-ID pair."""
    cells = [(c, o, e) for c in callers for o in objects for e in OBJECT_ENDPOINTS]
    cells += [(c, o, e) for c in callers if not c.operator for o in collision for e in COLLISION_ENDPOINTS]
    for (caller, obj, endpoint), got in zip(cells, run.map(lambda cell: read_cell(run, *cell), cells), strict=True):
        tally_cell(run, caller, obj, endpoint, *got)


def deadletter_reads(run: _Run, callers: list[Caller], dead: dict[str, list[int]]) -> None:
    """Each caller lists the dead letters (all pages): a party sees its own only, the operator all."""
    for caller in callers:
        listed = _list_deadletters(run, caller)
        for d in listed.values():
            if not caller.operator and d.get("sender") != caller.party:
                run.result.cross_party_reads += 1
                run.result.fail("cross_party_read", caller=caller.name, endpoint="deadletters", deadletter=d.get("id"))
        for party, ids in dead.items():
            run.result.reads += 1
            entitled = caller.operator or caller.party == party
            if ids[0] in listed and not entitled:
                run.result.cross_party_reads += 1
                run.result.fail("cross_party_read", caller=caller.name, endpoint="deadletters", deadletter=ids[0])
            if entitled:
                run.result.allowed_reads += 1
                run.result.allowed_reads_ok += ids[0] in listed
                if ids[0] not in listed:
                    run.result.fail(
                        "allowed_read_failed", caller=caller.name, endpoint="deadletters", deadletter=ids[0]
                    )


def _list_deadletters(run: _Run, caller: Caller, page: int = 500) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for offset in _pages(page):
        resp = run.client.get(f"/v1/deadletters?limit={page}&offset={offset}", headers=caller.headers)
        items = _json(resp).get("items", []) if resp.status_code == 200 else []
        out.update({int(d["id"]): d for d in items})
        if len(items) < page:
            return out
    return out


def _pages(page: int) -> Iterator[int]:
    offset = 0
    while True:
        yield offset
        offset += page
