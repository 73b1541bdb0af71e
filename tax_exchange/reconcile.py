"""Reconciliation of the dual channel: did every record each bureau sent arrive on both channels, in time, intact?

For each direction (sender bureau -> receiver bureau), every record version in the sender's ``dc_sent`` book is
looked up in the receiver's ``dc_arrival`` book, per channel:

- ``missing``: not arrived on that channel although sent more than ``threshold_s`` ago;
- ``late``: arrived, but more than ``threshold_s`` after it was sent (a channel that was down and caught up);
- ``mismatch``: arrived with a content digest other than the one sent (tampering or a bug);
- ``unexpected``: arrived although the sender has no record of sending it;
- ``applied``: the number of times the receiver applied it is not exactly 1.

A report is clean when nothing is missing, mismatched, unexpected or applied other than once. Late arrivals are
listed but do not make it unclean: they arrived, and say how long a channel was down. Records sent less than
``threshold_s`` ago and not yet on a channel are counted as in flight.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from swsim.node.store import StoreRef
from tax_exchange.books import CHANNELS, Arrival, Sent

SEVERE = frozenset({"missing", "mismatch", "unexpected", "applied"})


@dataclass(frozen=True)
class Finding:
    kind: str
    direction: str
    record_id: str
    version: int
    channel: str
    detail: str


@dataclass
class Direction:
    sender: str
    receiver: str
    sent: int = 0
    arrived: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    in_flight: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    applied_once: int = 0
    delay_max_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0.0))


@dataclass
class Report:
    generated_at: float
    threshold_s: float
    directions: list[Direction]
    findings: list[Finding]

    @property
    def clean(self) -> bool:
        return not any(f.kind in SEVERE for f in self.findings)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "generated_at": self.generated_at,
            "threshold_s": self.threshold_s,
            "counts": {k: self.count(k) for k in ("missing", "late", "mismatch", "unexpected", "applied")},
            "directions": [asdict(d) for d in self.directions],
            "findings": [asdict(f) for f in self.findings],
        }


@dataclass(frozen=True)
class BookView:
    """What one bureau's store says: what it sent, what arrived, and how often each record version was applied."""

    party: str
    sent: list[Sent]
    arrivals: list[Arrival]
    applications: dict[tuple[str, int], int]


def reconcile(a: BookView, b: BookView, threshold_s: float = 30.0, now: float | None = None) -> Report:
    now = time.time() if now is None else now
    directions, findings = [], []
    for sender, receiver in ((a, b), (b, a)):
        d, f = _direction(sender, receiver, threshold_s, now)
        directions.append(d)
        findings.extend(f)
    return Report(now, threshold_s, directions, findings)


def _direction(s: BookView, r: BookView, threshold_s: float, now: float) -> tuple[Direction, list[Finding]]:
    name = f"{s.party}->{r.party}"
    d = Direction(s.party, r.party)
    findings: list[Finding] = []
    arrivals = {(x.record_id, x.version, x.channel): x for x in r.arrivals if x.sender == s.party}
    sent = {(x.record_id, x.version): x for x in s.sent if x.receiver == r.party}
    d.sent = len(sent)
    for (rid, ver), x in sent.items():
        for ch in CHANNELS:
            got = arrivals.get((rid, ver, ch))
            if got is None:
                age = now - x.sent_at
                if age > threshold_s:
                    findings.append(Finding("missing", name, rid, ver, ch, f"sent {age:.1f} s ago, not arrived"))
                else:
                    d.in_flight[ch] += 1
                continue
            d.arrived[ch] += 1
            delay = max(0.0, got.at - x.sent_at)
            d.delay_max_s[ch] = round(max(d.delay_max_s[ch], delay), 3)
            if delay > threshold_s:
                findings.append(Finding("late", name, rid, ver, ch, f"arrived {delay:.1f} s after it was sent"))
            if got.digest != x.digest:
                findings.append(
                    Finding("mismatch", name, rid, ver, ch, f"digest {got.digest[:12]}... but sent {x.digest[:12]}...")
                )
        times = r.applications.get((rid, ver), 0)
        if times == 1:
            d.applied_once += 1
        elif times > 1 or any((rid, ver, ch) in arrivals for ch in CHANNELS):
            findings.append(Finding("applied", name, rid, ver, "", f"applied {times} times (expected once)"))
    for rid, ver, ch in arrivals:
        if (rid, ver) not in sent:
            findings.append(Finding("unexpected", name, rid, ver, ch, f"{s.party} has no record of sending it"))
    return d, findings


BOOK_QUERIES = (
    "SELECT * FROM dc_sent",
    "SELECT * FROM dc_arrival",
    "SELECT record_id, version, applications FROM dc_applied",
)


def view_of(party: str, results: Sequence[Sequence[tuple[Any, ...]]] | None) -> BookView:
    """A tax node's books from the results of :data:`BOOK_QUERIES` (None: the node has no books yet)."""
    if results is None:
        return BookView(party, [], [], {})
    sent, arrivals, applied = results
    return BookView(
        party,
        [Sent(*row) for row in sent],
        [Arrival(*row) for row in arrivals],
        {(r[0], int(r[1])): int(r[2]) for r in applied},
    )


def read_view(party: str, store: StoreRef) -> BookView:
    """Read a tax node's books from its store (read-only; the node may be running)."""
    return view_of(party, store.read(BOOK_QUERIES))
