"""Replay a recording: re-send each ingress record at its original time divided by a speed factor, or flat out.

Message ids are rewritten so the gateway's de-duplication does not swallow a replay: every MessageID, and every
field that refers to one (CausationID, ReferenceMessageID, CausedByMessageID), gets the same run tag, so the
references stay consistent. JSON (any spacing, as ``json.dumps`` or ``swsim samples`` write it) and XML (any
namespace prefix, spacing and attributes) are rewritten. A body whose MessageID cannot be rewritten is never sent
as if it had been: one the gateway could read (a valid message written in a way the rewriting does not know) stops
the replay (ReplayError); one that is no message at all (the gateway refuses it again) is sent unchanged and
counted in ``ReplayStats.unrewritten``. Bodies are re-signed by the simulated sender (keys derived from the network
seed).

Records are sent in time order: a recording slightly out of order is put back in order, one further out is refused
(:func:`simulators.timeorder.in_time_order`); time zero is the earliest record's time. Timing fidelity is measured
on every send: actual minus intended send time.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from schemas.codec import decode
from schemas.errors import MessageError
from simulators.recording import Entry, RecordingError
from simulators.timeorder import in_time_order

_NAMES = rb"MessageID|CausationID|ReferenceMessageID|CausedByMessageID"
_JSON_ID = re.compile(rb'"(' + _NAMES + rb')"(\s*:\s*")([^"\\]+)"')
_XML_ID = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(" + _NAMES + rb"))(\s[^>]*)?>(\s*)([^<\s]+)(\s*)</\1\s*>")
SPIN_S = 0.002
"""The last stretch before a send is waited by spinning, not sleeping: sleep wakes up late by up to ~1 ms."""
_DIGEST = 40
"""Hex digits of the digest that stands for an original id too long to take the tag."""
TAG_MAX = 64 - _DIGEST - 1
"""The longest run tag that keeps every rewritten id within the 64 characters of a MessageID, and distinct."""
_TAG = re.compile(rf"[A-Za-z0-9_:-]{{1,{TAG_MAX}}}")


class ReplayError(ValueError):
    """The recording cannot be replayed as it claims (says which line and why)."""


def check_tag(tag: str) -> None:
    """ValueError unless ``tag`` is a valid run tag: 1 to TAG_MAX letters, digits, '_', ':' or '-' (a MessageID's
    characters but '.', the separator before the tag), so every rewritten id is a valid MessageID and two tags
    never give the same id."""
    if not _TAG.fullmatch(tag):
        raise ValueError(
            f"the tag {tag!r} must be 1 to {TAG_MAX} letters, digits, '_', ':' or '-': it is added to every message "
            "id after a '.', and a message id is at most 64 such characters"
        )


def new_id(original: str, tag: str) -> str:
    """The replayed id: ``<original>.<tag>``, or ``<digest of original>.<tag>`` when that would exceed 64
    characters (``tag``: see :func:`check_tag`)."""
    candidate = f"{original}.{tag}"
    if len(candidate) <= 64:
        return candidate
    return f"{hashlib.sha256(original.encode()).hexdigest()[:_DIGEST]}.{tag}"


def rewrite(body: bytes, tag: str) -> tuple[bytes, str | None]:
    """The body with every message id (and reference to one) rewritten; and the new MessageID (None: the body has
    no MessageID that could be rewritten)."""
    found: list[str] = []

    def sub(m: re.Match[bytes], value_group: int) -> bytes:
        replaced = new_id(m.group(value_group).decode(), tag)
        name = m.group(2 if value_group == 5 else 1)
        if name == b"MessageID":
            found.append(replaced)
        whole, at = m.group(0), m.start(0)
        return whole[: m.start(value_group) - at] + replaced.encode() + whole[m.end(value_group) - at :]

    if body.lstrip()[:1] == b"<":
        out = _XML_ID.sub(lambda m: sub(m, 5), body)
    else:
        out = _JSON_ID.sub(lambda m: sub(m, 3), body)
    return out, (found[0] if found else None)


def readable(body: bytes) -> bool:
    """Whether the gateway could read a message (and so its MessageID) from ``body``."""
    try:
        decode(body, rules=False)
    except MessageError:
        return False
    return True


@dataclass
class ReplayStats:
    sent: int = 0
    skipped: int = 0
    unrewritten: int = 0
    """Bodies sent unchanged: they hold no MessageID to rewrite (they are no messages: the gateway refuses them)."""
    started: float = 0.0
    """``time.perf_counter()`` when the replay began."""
    duration_s: float = 0.0
    """How long the sends took, as N intervals between sends for N messages: flat out, from the start to the end of
    the last send; on a schedule, from the first scheduled send to the last send plus one mean interval (N messages
    at R a second are N/R seconds of traffic, though the last is sent (N-1)/R after the first)."""
    errors_us: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 60_000_000, 3))

    @property
    def rate(self) -> float:
        """Messages per second: ``sent / duration_s`` (a replay on schedule of traffic at R a second gives R)."""
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
    if tag is not None:
        check_tag(tag)
    stats = ReplayStats()
    start = stats.started = time.perf_counter()
    shown = now = start
    origin: float | None = None  # the perf_counter time of the first scheduled send
    t0 = 0.0  # and its recorded time: the earliest record's
    try:
        for n, e in enumerate(in_time_order(entries), start=1):
            if not is_ingress(e.topic):
                stats.skipped += 1
                continue
            body, mid = body_to_send(e, tag, n, stats)
            if speed is not None:
                if origin is None:
                    origin, t0 = time.perf_counter(), e.t
                intended = origin + (e.t - t0) / speed
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
    except RecordingError as e:
        raise RecordingError(f"{e}; {f'stopped after {stats.sent} sent' if stats.sent else 'nothing sent'}") from None
    if speed is not None and origin is not None and stats.sent > 1:
        stats.duration_s = (now - origin) * stats.sent / (stats.sent - 1)
    else:
        stats.duration_s = time.perf_counter() - start
    return stats


def body_to_send(e: Entry, tag: str | None, n: int, stats: ReplayStats) -> tuple[bytes, str | None]:
    """What to send for ``e`` (the ``n``-th record), and its MessageID (see the module's docstring)."""
    if tag is None:
        return e.body, e.header("sw-message-id")
    body, mid = rewrite(e.body, tag)
    if mid is not None:
        return body, mid
    if readable(e.body):
        where = f"line {e.line}" if e.line else f"record {n}"
        raise ReplayError(
            f"{where}: the replay cannot rewrite the MessageID of this message (sw-message-id "
            f"{e.header('sw-message-id') or 'absent'}), so the gateway would take it for a duplicate; "
            + (f"stopped after {stats.sent} sent" if stats.sent else "nothing sent")
        )
    stats.unrewritten += 1
    return e.body, None


def ingress_topic(topic: str) -> bool:
    """Whether a recorded record's topic is an ingress topic (of any prefix): what a replay sends."""
    return topic.endswith(".ingress")


def check_start(entries: Iterable[Entry], is_ingress: Callable[[str], bool]) -> None:
    """Read ``entries`` up to their first ingress record and check that a replay can send it (RecordingError or
    ReplayError naming the line otherwise; ReplayError if no record is on an ingress topic), so that a caller can
    refuse a recording before starting anything for it."""
    skipped = 0
    for e in entries:
        if is_ingress(e.topic):
            body_to_send(e, "check", skipped + 1, ReplayStats())
            return
        skipped += 1
    raise ReplayError(f"nothing to replay: none of its {skipped} records is on an ingress topic")
