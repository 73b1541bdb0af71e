"""Function-level authorization: every party x message type x receiver against the registry's sending rules,
single and signed sends, impersonation, the operator (and nobody) sending, every operator-only endpoint tried with a
party's key, and the operator's re-drive keeping the rules.
"""

from __future__ import annotations

from typing import Any

from schemas.codec import encode
from schemas.message_types import TYPE_INFO, MessageType
from swsim import signing
from swsim.network import PartyInfo, private_key
from swsim.verify.authz_model import (
    BATCH_ITEMS,
    OPERATOR_ONLY,
    Caller,
    _codes,
    _json,
    _Run,
    build_message,
    expected_receivers,
    may_send,
)

# ---------------------------------------------------------------------------------------------------- function level


def _check_refused(run: _Run, what: dict[str, Any], allowed: bool, as_expected: bool) -> None:
    """One function-level check: ``allowed`` means the gateway let it through (a violation); a refusal with
    another status or error code than expected is a failure, though not a violation."""
    run.result.function_checks += 1
    if allowed:
        run.result.function_violations += 1
        run.result.fail("function_violation", **what)
    elif not as_expected:
        run.result.fail("refused_unexpectedly", **what)


def send_matrix(run: _Run) -> None:
    """Every party x every message type x every receiver (the gateway included), in batches: what the rules
    forbid must be refused NOT_AUTHORIZED, what they allow must be delivered."""
    corr = run.new_id("AZF")
    cells = [(s, mt, r) for s in run.net.senders for mt in MessageType for r in run.net.parties]
    for sender in run.net.senders:
        mine = [c for c in cells if c[0] is sender]
        for start in range(0, len(mine), BATCH_ITEMS):
            _send_batch(run, mine[start : start + BATCH_ITEMS], corr)


def _send_batch(run: _Run, cells: list[tuple[PartyInfo, MessageType, PartyInfo]], corr: str) -> None:
    sender = cells[0][0]
    items = [build_message(mt, s.id, r.id, run.new_id(), corr) for s, mt, r in cells]
    body = "[" + ",".join(encode(m, "json").decode() for m in items) + "]"
    resp = run.client.post(
        "/v1/messages/batch",
        content=body.encode(),
        headers={**run.net.key(sender.id), "Content-Type": "application/json"},
    )
    if resp.status_code != 200:
        run.result.fail("batch_refused", sender=sender.id, status=resp.status_code, body=resp.text[:300])
        return
    for (s, mt, r), m, item in zip(cells, items, resp.json()["results"], strict=True):
        what = {"via": "batch", "sender": s.id, "type": mt.value, "receiver": r.id}
        if may_send(s.role, mt, r.role):
            _note_allowed(run, what, item["status"] == "delivered", item["status"])
            run.known[(s.id, m.head.message_id)] = frozenset(expected_receivers(s, mt, r, run.net.parties) | {s.id})
        else:
            what["codes"] = item["codes"]
            _check_refused(run, what, item["status"] != "rejected", item["codes"] == ["NOT_AUTHORIZED"])


def _note_allowed(run: _Run, what: dict[str, Any], ok: bool, got: Any) -> None:
    run.result.allowed_sends += 1
    if ok:
        run.result.allowed_sends_ok += 1
    else:
        run.result.fail("allowed_send_refused", got=got, **what)


def single_sends(run: _Run) -> dict[str, list[int]]:
    """Every party x every kind of message it may not send to someone (one type of each kind: the batches tried
    every type), one by one with its API key, each party's first with a request signature instead; returns each
    party's dead letters."""
    jobs: list[tuple[dict[str, Any], dict[str, str], bytes]] = []
    for s in run.net.senders:
        for mt in one_type_per_kind():
            denied = [r for r in run.net.parties if not may_send(s.role, mt, r.role)]
            if not denied:
                continue
            body = encode(build_message(mt, s.id, denied[0].id, run.new_id(), run.new_id("AZF")), "json")
            sign = not any(what["sender"] == s.id for what, _, _ in jobs)
            what = {"via": "signed" if sign else "single", "sender": s.id, "type": mt.value, "receiver": denied[0].id}
            jobs.append((what, _signed(run, s.id, body) if sign else run.net.key(s.id), body))
    dead: dict[str, list[int]] = {}
    for (what, _, _), resp in zip(jobs, run.map(lambda job: run.submit(job[1], job[2]), jobs), strict=True):
        codes = _codes(resp)
        as_expected = resp.status_code == 403 and codes == ["NOT_AUTHORIZED"]
        _check_refused(run, {**what, "status": resp.status_code, "codes": codes}, resp.is_success, as_expected)
        dl_id = (_json(resp).get("result") or {}).get("deadletter_id")
        if dl_id is not None:
            dead.setdefault(what["sender"], []).append(int(dl_id))
    return dead


def one_type_per_kind() -> list[MessageType]:
    """The first message type of each kind (the rules are written per kind)."""
    first: dict[str, MessageType] = {}
    for mt in MessageType:
        first.setdefault(TYPE_INFO[mt].kind, mt)
    return list(first.values())


def _signed(run: _Run, party: str, body: bytes) -> dict[str, str]:
    sig = signing.sign(private_key(run.net.seed, party), "POST", "/v1/messages", party, body)
    return {
        "X-SW-Sender": party,
        "X-SW-Created": sig["created"],
        "X-SW-Nonce": sig["nonce"],
        "X-SW-Signature": sig["signature"],
    }


def impersonation(run: _Run) -> None:
    """A party's key on a message whose Head/SenderID is another party (that could send it): SENDER_MISMATCH."""
    for i, s in enumerate(run.net.senders):
        other = run.net.senders[(i + 1) % len(run.net.senders)]
        options = run.net.sendable(other)
        if not options:
            continue
        mt, r = options[0]
        resp = run.submit(
            run.net.key(s.id), encode(build_message(mt, other.id, r.id, run.new_id(), run.new_id("AZF")), "json")
        )
        codes = _codes(resp)
        what = {"via": "impersonation", "key_of": s.id, "head_sender": other.id, "type": mt.value, "codes": codes}
        _check_refused(run, what, resp.is_success, resp.status_code == 403 and codes == ["SENDER_MISMATCH"])


def operator_cannot_send(run: _Run) -> None:
    """The operator sees everything but sends nothing; an anonymous caller does neither."""
    s = run.net.senders[0]
    mt, r = run.net.sendable(s)[0]
    body = encode(build_message(mt, s.id, r.id, run.new_id(), run.new_id("AZF")), "json")
    for caller, path, data, expected in (
        ("operator", "/v1/messages", body, 403),
        ("operator", "/v1/messages/batch", b"[" + body + b"]", 403),
        ("anonymous", "/v1/messages", body, 401),
        ("anonymous", "/v1/messages/batch", b"[" + body + b"]", 401),
    ):
        headers = {"X-API-Key": run.net.operator_key} if caller == "operator" else {}
        resp = run.client.post(path, content=data, headers={**headers, "Content-Type": "application/json"})
        what = {"via": "submit", "caller": caller, "path": path, "status": resp.status_code}
        _check_refused(run, what, resp.is_success, resp.status_code == expected)


def operator_endpoints(run: _Run, callers: list[Caller], seq: int, dead: dict[str, list[int]]) -> None:
    """Every operator-only endpoint, with every party's key and with none: 403 (401 without credentials). A party
    may not even re-drive its own dead letter."""
    jobs = [(c, e) for c in callers if not c.operator for e in OPERATOR_ONLY]
    statuses = run.map(lambda job: _operator_request(run, job[0], job[1], seq, _deadletter_for(dead, job)), jobs)
    for (caller, endpoint), status in zip(jobs, statuses, strict=True):
        expected = 401 if caller.party is None else 403
        what = {"via": endpoint, "caller": caller.name, "status": status}
        _check_refused(run, what, 200 <= status < 300, status == expected)


def _deadletter_for(dead: dict[str, list[int]], job: tuple[Caller, str]) -> int:
    """The caller's own dead letter for ``redrive_own``, someone else's for ``redrive_other``."""
    caller, endpoint = job
    own = endpoint != "redrive_other"
    for party, ids in dead.items():
        if (party == caller.party) == own:
            return ids[0]
    return 1


def _operator_request(run: _Run, caller: Caller, endpoint: str, seq: int, dl_id: int) -> int:
    c = run.client
    if endpoint.startswith("redrive"):
        return c.post(f"/v1/deadletters/{dl_id}/redrive", headers=caller.headers).status_code
    if endpoint == "dashboard_stream":  # a stream that was let through would never end: read the status only
        with c.stream("GET", "/dashboard/api/stream", headers=caller.headers) as resp:
            return resp.status_code
    path = {
        "dashboard_overview": "/dashboard/api/overview",
        "dashboard_search": "/dashboard/api/search?q=AZ",
        "dashboard_message": f"/dashboard/api/messages/{seq}",
    }[endpoint]
    return c.get(path, headers=caller.headers).status_code


def redrive_keeps_rules(run: _Run, dead: dict[str, list[int]]) -> None:
    """The operator re-drives one refused message per party: it vouches for the sender, not for the rules, so the
    message must be refused NOT_AUTHORIZED again."""
    op = {"X-API-Key": run.net.operator_key}
    for party, ids in dead.items():
        resp = run.client.post(f"/v1/deadletters/{ids[0]}/redrive", headers=op)
        result = _json(resp).get("result") or {}
        codes = [e.get("code") for e in result.get("errors", [])]
        what = {
            "via": "operator_redrive",
            "sender": party,
            "deadletter": ids[0],
            "status": resp.status_code,
            "codes": codes,
        }
        delivered = result.get("status") in ("delivered", "duplicate")
        _check_refused(run, what, delivered, result.get("status") == "rejected" and codes == ["NOT_AUTHORIZED"])
