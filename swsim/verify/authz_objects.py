"""The objects the authorization matrix reads: messages each party sends (its own, a shared consignment, a
broadcast), two senders' messages sharing a MessageID, and a sender's refused and conflicting attempts with the
MessageID of a stored message (with the receipts each attempt gets).
"""

from __future__ import annotations

import hashlib

from gateway.receipts import receipt_id
from gateway.registry import BROADCAST_KINDS
from schemas.codec import Format, encode
from schemas.message_types import TYPE_INFO, MessageType
from swsim.network import PartyInfo
from swsim.verify.authz_model import Stored, _codes, _Run, build_message, expected_receivers, may_send

# ----------------------------------------------------------------------------------------------------------- objects


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
