"""Authorization, counted, over the gateway's HTTP API: the full callers x objects x read endpoints matrix (a party
sees only what it sent or received, the operator everything, an anonymous caller nothing; with a message, a receiver
sees only its own receipt, never the sender's rejections of other attempts with the MessageID), and function-level
checks (every party x message type x receiver against the registry's sending rules, and every operator-only
endpoint tried with a party's key).

The expectations come from the registry's rules (:data:`gateway.registry.SEND_RULES`), never from the gateway's
answers: who sent and who received each object is known from how it was made.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from gateway.receipts import receipt_id
from gateway.registry import BROADCAST_KINDS, SEND_RULES
from schemas.codec import Format, encode
from schemas.envelope import Message
from schemas.message_types import TYPE_INFO, MessageType
from schemas.samples import all_samples
from swsim import signing
from swsim.network import GATEWAY_ID, PartyInfo, Role, api_key, default_parties, operator_key, private_key
from swsim.verify.target import Target

MAX_FAILURES = 50
BATCH_ITEMS = 250
OBJECT_ENDPOINTS = (
    "status", "status_body", "status_by_sender", "trace", "trace_body", "dashboard_search", "dashboard_message",
)  # fmt: skip
"""The read endpoints tried for every object by every caller."""
DASHBOARD_ENDPOINTS = frozenset({"dashboard_search", "dashboard_message"})
"""Of those, the operator-only ones (no party may use them, not even for its own messages)."""
COLLISION_ENDPOINTS = ("status", "status_body")
"""Read by message ID alone, tried on two messages of different senders that share a MessageID."""
RECEIPT_ENDPOINTS = frozenset({"status", "status_body", "status_by_sender", "trace", "trace_body"})
"""Of those, the ones whose records carry the message's receipts (a receiver may read only the message's own)."""
OPERATOR_ONLY = (
    "dashboard_overview", "dashboard_search", "dashboard_message", "dashboard_stream", "redrive_own", "redrive_other",
)  # fmt: skip
"""Tried by every caller but the operator."""


# ------------------------------------------------------------------------------------------------------------ result


@dataclass
class AuthzResult:
    """What the matrix found. ``cross_party_reads`` and ``function_violations`` must be 0."""

    reads: int
    """Cells of the read matrix: (caller, object, endpoint)."""
    cross_party_reads: int
    """Reads that returned an object (or any record) the caller neither sent nor received, or a receipt of the
    sender's that the caller may not read (a rejection of another attempt with the MessageID)."""
    function_checks: int
    """Attempts to do what the caller's role may not (send a type it may not send, use an operator endpoint)."""
    function_violations: int
    """Of those, how many were allowed."""
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The first few problems of any kind, each with what was tried and what came back."""
    allowed_reads: int = 0
    """Cells whose caller is entitled to the object (sender, receiver, operator)."""
    allowed_reads_ok: int = 0
    """Of those, how many returned it: the matrix is not vacuous."""
    allowed_sends: int = 0
    """Sends the rules allow (the other half of the function matrix)."""
    allowed_sends_ok: int = 0
    misrouted: int = 0
    """Messages delivered to receivers other than the rules say (a cross-party leak on the way in)."""
    problems: int = 0
    """Every failure counted, including the ones past the first few kept in ``failures``."""
    matrix: dict[str, Any] = field(default_factory=dict)
    """The dimensions: callers, objects (with sender and receivers), endpoints."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "cross_party_reads": self.cross_party_reads,
            "allowed_reads": self.allowed_reads,
            "allowed_reads_ok": self.allowed_reads_ok,
            "function_checks": self.function_checks,
            "function_violations": self.function_violations,
            "allowed_sends": self.allowed_sends,
            "allowed_sends_ok": self.allowed_sends_ok,
            "misrouted": self.misrouted,
            "problems": self.problems,
            "failures": self.failures,
            "matrix": self.matrix,
        }

    def fail(self, kind: str, **detail: Any) -> None:
        self.problems += 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append({"kind": kind, **detail})


# ----------------------------------------------------------------------------------------------------------- network


def may_send(sender: Role, mt: MessageType, receiver: Role) -> bool:
    """The registry's rule: may a ``sender`` role send ``mt`` to a ``receiver`` role?"""
    return receiver in SEND_RULES.get(sender, {}).get(TYPE_INFO[mt].kind, frozenset())


def expected_receivers(
    sender: PartyInfo, mt: MessageType, receiver: PartyInfo, parties: Iterable[PartyInfo]
) -> set[str]:
    """Where the rules say the message goes: its receiver, or every other domestic customs office for a broadcast."""
    if TYPE_INFO[mt].kind in BROADCAST_KINDS:
        return {p.id for p in parties if p.role == Role.CUSTOMS and p.id != sender.id}
    return {receiver.id}


@dataclass(frozen=True)
class Caller:
    """Who reads: a party (by its API key), the operator, or nobody in particular."""

    name: str
    headers: dict[str, str]
    party: str | None = None
    operator: bool = False


@dataclass(frozen=True)
class Network:
    """The registry's parties and the credentials to act as each."""

    seed: str
    parties: tuple[PartyInfo, ...]
    operator_key: str

    @classmethod
    def of(cls, seed: str, operator: str | None = None) -> Network:
        return cls(seed, tuple(default_parties(seed)), operator or operator_key(seed))

    @property
    def senders(self) -> list[PartyInfo]:
        """Every party with credentials (all but the gateway itself)."""
        return [p for p in self.parties if p.id != GATEWAY_ID]

    def key(self, party: str) -> dict[str, str]:
        return {"X-API-Key": api_key(self.seed, party)}

    def callers(self) -> list[Caller]:
        parties = [Caller(p.id, self.key(p.id), party=p.id) for p in self.senders]
        return [Caller("operator", {"X-API-Key": self.operator_key}, operator=True), *parties, Caller("anonymous", {})]

    def by_id(self, party: str) -> PartyInfo:
        return next(p for p in self.parties if p.id == party)

    def sendable(self, sender: PartyInfo) -> list[tuple[MessageType, PartyInfo]]:
        """Every (type, receiver other than itself) the rules let ``sender`` send, receipts aside."""
        return [
            (mt, r)
            for mt in MessageType
            for r in self.senders
            if r.id != sender.id and TYPE_INFO[mt].kind != "receipt" and may_send(sender.role, mt, r.role)
        ]


@functools.cache
def _samples() -> dict[MessageType, Message]:
    return all_samples()


def _now_ms() -> datetime:
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def build_message(mt: MessageType, sender: str, receiver: str, message_id: str, correlation: str) -> Message:
    """The type's valid sample, sent by ``sender`` to ``receiver`` now, with the given IDs."""
    sample = _samples()[mt]
    head = sample.head.model_copy(
        update={
            "message_id": message_id,
            "sender_id": sender,
            "receiver_id": receiver,
            "send_time": _now_ms(),
            "correlation_id": correlation,
        }
    )
    return sample.model_copy(update={"head": head})


CONTENT_TYPE = {"json": "application/json", "xml": "application/xml"}


# ----------------------------------------------------------------------------------------------------------- objects


@dataclass
class Stored:
    """A message the gateway holds, and who may see it."""

    group: str
    sender: str
    receiver: str
    """Head/ReceiverID."""
    message_id: str
    message_type: str
    correlation_id: str
    receivers: frozenset[str]
    """Where the rules say it went (several offices for a broadcast)."""
    seq: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.sender, self.message_id

    def entitled(self, caller: Caller) -> bool:
        return caller.operator or caller.party == self.sender or caller.party in self.receivers

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "sender": self.sender,
            "receiver": self.receiver,
            "message_id": self.message_id,
            "message_type": self.message_type,
            "receivers": sorted(self.receivers),
        }


@dataclass
class _Run:
    """One verification run: the client, the network, the IDs it makes, and the tally."""

    client: httpx.Client
    net: Network
    result: AuthzResult
    workers: int = 1
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    count: int = 0
    known: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """Every message accepted in this run: (sender, MessageID) -> who may see it (sender and receivers)."""
    own_receipt: dict[tuple[str, str], str] = field(default_factory=dict)
    """(sender, MessageID) -> the id of the stored message's own receipt (its receivers may read that one only)."""
    receipts: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(sender, MessageID) -> the ids of every receipt of the sender's attempts (the sender reads them all)."""

    def new_id(self, prefix: str = "AZ") -> str:
        self.count += 1
        return f"{prefix}-{self.tag}-{self.count:05d}"

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``fn`` over ``items``, on ``workers`` threads (the gateway handles concurrent requests)."""
        if self.workers <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(fn, items))

    def submit(self, headers: dict[str, str], body: bytes, fmt: Format = "json") -> httpx.Response:
        return self.client.post("/v1/messages", content=body, headers={**headers, "Content-Type": CONTENT_TYPE[fmt]})


def _make_object(
    run: _Run,
    group: str,
    sender: PartyInfo,
    choice: tuple[MessageType, PartyInfo],
    corr: str,
    fmt: Format,
    message_id: str | None = None,
) -> Stored | None:
    """Submit one valid message as ``sender``; the object it becomes, or None (a failure) if refused."""
    mt, receiver = choice
    mid = message_id or run.new_id()
    body = encode(build_message(mt, sender.id, receiver.id, mid, corr), fmt)
    r = run.submit(run.net.key(sender.id), body, fmt)
    if r.status_code != 202:
        run.result.fail(
            "object_refused",
            sender=sender.id,
            type=mt.value,
            receiver=receiver.id,
            status=r.status_code,
            body=r.text[:300],
        )
        return None
    expected = expected_receivers(sender, mt, receiver, run.net.parties)
    if set(r.json()["receivers"]) != expected:
        run.result.misrouted += 1
        run.result.fail(
            "misrouted", sender=sender.id, type=mt.value, expected=sorted(expected), got=r.json()["receivers"]
        )
    stored = Stored(group, sender.id, receiver.id, mid, mt.value, corr, frozenset(expected))
    run.known[stored.key] = stored.receivers | {stored.sender}
    run.own_receipt[stored.key] = _receipt_of(sender.id, mid, "delivered", body)
    run.receipts[stored.key] = run.receipts.get(stored.key, frozenset()) | {run.own_receipt[stored.key]}
    return stored


def _receipt_of(sender: str, message_id: str, status: str, body: bytes) -> str:
    """The id of the receipt an attempt gets: derived from what was sent (its digest), as the gateway derives it."""
    return receipt_id(sender, message_id, status, hashlib.sha256(body).hexdigest())


def make_objects(run: _Run) -> list[Stored]:
    """Two messages per party: one about its own consignment (JSON), one about a consignment every party's
    second message shares (XML, so a trace holds messages of everyone); plus a broadcast risk alert."""
    shared = run.new_id("AZC")
    objects: list[Stored | None] = []
    for i, sender in enumerate(run.net.senders):
        options = run.net.sendable(sender)
        if not options:
            continue
        own = options[(7 * i) % len(options)]
        other = options[(7 * i + 1 + len(options) // 2) % len(options)]
        objects.append(_make_object(run, "own", sender, own, run.new_id("AZC"), "json"))
        objects.append(_make_object(run, "shared", sender, other, shared, "xml"))
    objects.append(_broadcast(run))
    return [o for o in objects if o is not None]


def _broadcast(run: _Run) -> Stored | None:
    for sender in run.net.senders:
        for mt, receiver in run.net.sendable(sender):
            if TYPE_INFO[mt].kind in BROADCAST_KINDS:
                return _make_object(run, "broadcast", sender, (mt, receiver), run.new_id("AZC"), "json")
    return None


def make_collision(run: _Run) -> list[Stored]:
    """Two senders using the same MessageID, to receivers such that no party may see both."""
    combos = [
        (s, c) for s in run.net.senders for c in run.net.sendable(s) if TYPE_INFO[c[0]].kind not in BROADCAST_KINDS
    ]
    for (s1, c1), (s2, c2) in ((a, b) for a in combos for b in combos):
        if not {s1.id, c1[1].id} & {s2.id, c2[1].id}:
            mid = run.new_id("AZX")
            pair = [
                _make_object(run, "collision", s, c, run.new_id("AZC"), "json", mid) for s, c in ((s1, c1), (s2, c2))
            ]
            return [o for o in pair if o is not None]
    return []


def make_reused_id(run: _Run) -> Stored | None:
    """A sender's attempts that share one MessageID: refused first (to a receiver the rules forbid), then
    delivered, then conflicting with the stored message (other content). Each attempt's receipt goes to the
    sender, who reads them all with the message; its receivers may read only the delivered one."""
    for sender in run.net.senders:
        for mt, receiver in run.net.sendable(sender):
            denied = [r for r in run.net.senders if r.id != sender.id and not may_send(sender.role, mt, r.role)]
            if TYPE_INFO[mt].kind not in BROADCAST_KINDS and denied:
                return _reused_id(run, sender, (mt, receiver), denied[0])
    return None


def _reused_id(run: _Run, sender: PartyInfo, choice: tuple[MessageType, PartyInfo], denied: PartyInfo) -> Stored | None:
    mt, receiver = choice
    mid, corr = run.new_id("AZR"), run.new_id("AZC")
    refused = encode(build_message(mt, sender.id, denied.id, mid, corr), "json")
    rejections = [_refused_attempt(run, sender, mid, refused, 403, "NOT_AUTHORIZED")]
    stored = _make_object(run, "reused_id", sender, choice, corr, "json", mid)
    if stored is None:
        return None
    conflicting = encode(build_message(mt, sender.id, receiver.id, mid, run.new_id("AZC")), "json")
    rejections.append(_refused_attempt(run, sender, mid, conflicting, 409, "MESSAGE_ID_CONFLICT"))
    run.receipts[stored.key] |= {r for r in rejections if r}
    return stored


def _refused_attempt(run: _Run, sender: PartyInfo, mid: str, body: bytes, status: int, code: str) -> str | None:
    """Submit an attempt that must be refused with ``status`` and ``code``: its rejection receipt's id (None, and a
    failure, if it was not refused so)."""
    resp = run.submit(run.net.key(sender.id), body)
    if resp.status_code != status or _codes(resp) != [code]:
        run.result.fail("reused_id_attempt", sender=sender.id, expected=[status, code], status=resp.status_code,
                        codes=_codes(resp))  # fmt: skip
        return None
    return _receipt_of(sender.id, mid, "rejected", body)


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


def _codes(resp: httpx.Response) -> list[str]:
    error = _json(resp).get("error") or {}
    return [str(e.get("code")) for e in error.get("errors", [])] or [str(error.get("code"))]


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        doc = resp.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


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


# ---------------------------------------------------------------------------------------------------------------- run


def check_authz(client: httpx.Client, seed: str, operator: str | None = None, workers: int = 1) -> AuthzResult:
    """The whole check against the gateway behind ``client`` (an :class:`httpx.Client` with its base URL, or a
    Starlette TestClient), whose network was derived from ``seed``."""
    run = _Run(client, Network.of(seed, operator), AuthzResult(0, 0, 0, 0), workers)
    callers = run.net.callers()
    objects = make_objects(run)
    reused = make_reused_id(run)
    objects += [reused] if reused is not None else []
    collision = make_collision(run)
    send_matrix(run)
    dead = single_sends(run)
    impersonation(run)
    operator_cannot_send(run)
    find_seqs(run, objects)
    read_matrix(run, callers, objects, collision)
    deadletter_reads(run, callers, dead)
    operator_endpoints(run, callers, next((o.seq for o in objects if o.seq), 1), dead)
    redrive_keeps_rules(run, dead)
    run.result.matrix = {
        "callers": [c.name for c in callers],
        "objects": [o.to_dict() for o in objects],
        "collision": [o.to_dict() for o in collision],
        "object_endpoints": list(OBJECT_ENDPOINTS),
        "collision_endpoints": list(COLLISION_ENDPOINTS),
        "deadletter_objects": {p: ids[0] for p, ids in dead.items()},
        "operator_only": list(OPERATOR_ONLY),
    }
    return run.result


def run_authz(target: Target, workers: int = 4) -> AuthzResult:
    """:func:`check_authz` against a running gateway process."""
    with httpx.Client(base_url=target.base_url, timeout=60) as client:
        return check_authz(client, target.settings.network_seed, target.settings.operator_api_key, workers)
