"""Replay a recording: re-send each ingress record at its original time divided by a speed factor, or flat out.

Message ids are rewritten so the gateway's de-duplication does not swallow a replay: every MessageID, and every
field that refers to one (CausationID, ReferenceMessageID, CausedByMessageID), gets the same run tag, so the
references stay consistent. Bodies are re-signed by the simulated sender (keys derived from the network seed).
Timing fidelity is measured on every send: actual minus intended send time.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from simulators.recording import Entry

_JSON_ID = re.compile(rb'"(MessageID|CausationID|ReferenceMessageID|CausedByMessageID)":"([^"]+)"')
_XML_ID = re.compile(rb"<(MessageID|CausationID|ReferenceMessageID|CausedByMessageID)>([^<]+)</")
SPIN_S = 0.002
"""The last stretch before a send is waited by spinning, not sleeping: sleep wakes up late by up to ~1 ms."""


def new_id(original: str, tag: str) -> str:
    """The replayed id: ``<original>.<tag>``, or a digest-based id of the same shape when that would exceed 64."""
    candidate = f"{original}.{tag}"
    if len(candidate) <= 64:
        return candidate
    return f"{hashlib.sha256(original.encode()).hexdigest()[:40]}.{tag}"[:64]


def rewrite(body: bytes, tag: str) -> tuple[bytes, str | None]:
    """The body with every message id (and reference to one) rewritten; and the new MessageID."""
    found: list[str] = []

    def sub(m: re.Match[bytes], xml: bool) -> bytes:
        name, value = m.group(1), m.group(2).decode()
        replaced = new_id(value, tag)
        if name == b"MessageID":
            found.append(replaced)
        if xml:
            return b"<" + name + b">" + replaced.encode() + b"</"
        return b'"' + name + b'":"' + replaced.encode() + b'"'

    if body.lstrip()[:1] == b"<":
        out = _XML_ID.sub(lambda m: sub(m, True), body)
    else:
        out = _JSON_ID.sub(lambda m: sub(m, False), body)
    return out, (found[0] if found else None)


@dataclass
class ReplayStats:
    sent: int = 0
    skipped: int = 0
    started: float = 0.0
    """``time.perf_counter()`` when the replay began."""
    duration_s: float = 0.0
    errors_us: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 60_000_000, 3))

    @property
    def rate(self) -> float:
        return self.sent / self.duration_s if self.duration_s > 0 else 0.0

    def timing(self) -> dict[str, float]:
        """Actual minus intended send time, in ms (all zeros for a max-rate replay, which has no schedule)."""
        h = self.errors_us
        if h.get_total_count() == 0:
            return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
        return {
            "p50_ms": h.get_value_at_percentile(50) / 1000,
            "p99_ms": h.get_value_at_percentile(99) / 1000,
            "max_ms": h.get_max_value() / 1000,
        }


def wait_until(t: float) -> None:
    while True:
        left = t - time.perf_counter()
        if left <= 0:
            return
        if left > SPIN_S:
            time.sleep(left - SPIN_S)


def replay(
    entries: Iterable[Entry],
    send: Callable[[Entry, bytes, str | None, float], None],
    speed: float | None,
    tag: str | None,
    is_ingress: Callable[[str], bool],
    progress: Callable[[int], None] | None = None,
) -> ReplayStats:
    """Send every ingress entry (``speed`` None: as fast as possible). ``send(entry, body, message_id, intended)``:
    ``intended`` is the scheduled send time on the ``time.perf_counter`` clock (flat out: the moment of sending), so
    a caller can measure latency from the schedule rather than from a late send (no coordinated omission).

    ``tag`` None sends the bodies unchanged, with the MessageID of their ``sw-message-id`` header.
    ``progress(sent)`` is called about five times a second."""
    stats = ReplayStats()
    start = stats.started = time.perf_counter()
    shown = start
    t0: float | None = None
    for e in entries:
        if not is_ingress(e.topic):
            stats.skipped += 1
            continue
        body, mid = rewrite(e.body, tag) if tag is not None else (e.body, e.header("sw-message-id"))
        if speed is not None:
            t0 = e.t if t0 is None else t0
            intended = start + (e.t - t0) / speed
            wait_until(intended)
            now = time.perf_counter()
            stats.errors_us.record_value(max(1, int((now - intended) * 1_000_000)))
        else:
            intended = now = time.perf_counter()
        send(e, body, mid, intended)
        stats.sent += 1
        if progress is not None and now - shown >= 0.2:
            shown = now
            progress(stats.sent)
    stats.duration_s = time.perf_counter() - start
    return stats
