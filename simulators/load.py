"""Open-model load against a running exchange, timed end to end per message type (simulated parties).

Sends follow a fixed schedule (the traffic generator at RATE, or a recording's own timing divided by a speed
factor, or a recording flat out) and never wait for replies. Each message's latency
runs from its *intended* send time, not from when it actually left (a late sender would otherwise hide the delay:
coordinated omission; flat out there is no schedule, so from the send), to the moment this process sees it in the
receiver's inbox topic. The gateway's receipt
(MT9999 in the sender's inbox) is timed the same way. Counts: sent, delivered (seen in a receiver's inbox),
receipted (delivery receipt seen), rejected (rejection receipt seen) and lost (neither delivered nor rejected by the
end of the drain period).
"""

from __future__ import annotations

import re
import threading
import time
from array import array
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from gateway.topics import Topics
from simulators.generator import Generator, entries
from simulators.publisher import Publisher
from simulators.recording import Entry, read
from simulators.replay import ReplayStats, ingress_topic, replay
from swsim.network import GATEWAY_ID, default_parties
from swsim.percentile import nearest_rank
from swsim.transport.base import Record
from swsim.transport.kafka import KafkaGroupConsumer, KafkaTransport

_TYPE = re.compile(rb'"MessageType":"([A-Z0-9]{2,10})"|<MessageType>([A-Z0-9]{2,10})</MessageType>')
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
READER_FETCH_WAIT_MS = 10
WARMUP = 20
"""Messages sent and waited for before the measured run: the gateway's consumer group must have joined."""


def _hist() -> HdrHistogram:
    return HdrHistogram(1, 600_000_000, 3)  # microseconds, up to 10 minutes


def latency_figures(h: HdrHistogram) -> dict[str, float | None]:
    """p50/p90/p99/p99.9/max in ms (None when nothing was recorded: no measurement, not 0 ms)."""
    if h.get_total_count() == 0:
        return {"p50": None, "p90": None, "p99": None, "p999": None, "max": None}
    out = {name: h.get_value_at_percentile(p) / 1000 for name, p in PERCENTILES.items()}
    out["max"] = h.get_max_value() / 1000
    return {k: round(v, 3) for k, v in out.items()}


@dataclass(slots=True)
class _Msg:
    intended: float
    mtype: str
    delivered: float | None = None
    receipted: float | None = None
    rejected: bool = False


@dataclass
class Tally:
    """What was sent and what was seen where. One thread calls :meth:`sent`, one calls :meth:`seen`."""

    start: float = field(default_factory=time.perf_counter)
    msgs: dict[str, _Msg] = field(default_factory=dict)
    delivered: int = 0
    receipted: int = 0
    rejected: int = 0
    duplicates: int = 0
    """Sends of a message id already sent (a recording's re-sends): sent again, timed from the first only."""
    latency: HdrHistogram = field(default_factory=_hist)
    receipt_latency: HdrHistogram = field(default_factory=_hist)
    by_type: dict[str, HdrHistogram] = field(default_factory=dict)
    sent_by_type: dict[str, int] = field(default_factory=dict)
    sent_per_s: array[int] = field(default_factory=lambda: array("l"))
    delivered_per_s: array[int] = field(default_factory=lambda: array("l"))
    latency_per_s: list[array[float]] = field(default_factory=list)
    """Delivery latencies (ms) of the messages *intended* in each second."""

    def _slot(self, t: float) -> int:
        i = max(0, int(t - self.start))
        while len(self.sent_per_s) <= i:
            self.sent_per_s.append(0)
            self.delivered_per_s.append(0)
            self.latency_per_s.append(array("f"))
        return i

    def sent(self, message_id: str, mtype: str, intended: float) -> None:
        """Call before the message is handed to the producer (so no arrival can precede it)."""
        self.msgs[message_id] = _Msg(intended, mtype)
        self.sent_by_type[mtype] = self.sent_by_type.get(mtype, 0) + 1
        self.sent_per_s[self._slot(intended)] += 1

    def seen(self, r: Record, now: float) -> None:
        """One record read from an inbox topic at ``now`` (records that are not ours are ignored)."""
        h = dict(r.headers)
        if h.get("sw-message-type") == b"MT9999" and h.get("sw-sender") == _GATEWAY:
            ref = h.get("sw-reference-id")
            m = self.msgs.get(ref.decode("utf-8", "replace")) if ref else None
            if m is None or m.receipted is not None or m.rejected:
                return
            if h.get("sw-receipt-status") == b"rejected":
                m.rejected = True
                self.rejected += 1
                return
            m.receipted = now
            self.receipted += 1
            self.receipt_latency.record_value(_us(now - m.intended))
            return
        mid = h.get("sw-message-id")
        m = self.msgs.get(mid.decode("utf-8", "replace")) if mid else None
        if m is None or m.delivered is not None:
            return  # not ours (a node's reply), or a broadcast's second receiver
        m.delivered = now
        self.delivered += 1
        us = _us(now - m.intended)
        self.latency.record_value(us)
        hist = self.by_type.get(m.mtype)
        if hist is None:
            hist = self.by_type[m.mtype] = _hist()
        hist.record_value(us)
        self.delivered_per_s[self._slot(now)] += 1
        self.latency_per_s[self._slot(m.intended)].append(us / 1000)

    @property
    def n_sent(self) -> int:
        return len(self.msgs)

    @property
    def settled(self) -> bool:
        """Every message delivered and receipted, or rejected."""
        return self.receipted + self.rejected >= self.n_sent and self.delivered + self.rejected >= self.n_sent

    @property
    def lost(self) -> int:
        return self.n_sent - self.delivered - self.rejected

    def series(self) -> dict[str, list[float | None]]:
        """Per second of the run: sent, delivered, and p50/p99 delivery latency of the messages intended then
        (None for a second in which no delivered message was intended: no measurement, not 0 ms)."""
        p50 = [nearest_rank(lat, 0.50) if lat else None for lat in self.latency_per_s]
        p99 = [nearest_rank(lat, 0.99) if lat else None for lat in self.latency_per_s]
        return {"t_s": [float(i) for i in range(len(self.sent_per_s))], "sent": [float(x) for x in self.sent_per_s],
                "delivered": [float(x) for x in self.delivered_per_s], "p50_ms": p50, "p99_ms": p99}  # fmt: skip

    def by_type_figures(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for mt in sorted(self.sent_by_type):
            h = self.by_type.get(mt)
            delivered = h.get_total_count() if h else 0
            out[mt] = {"sent": self.sent_by_type[mt], "delivered": delivered,
                       "latency_ms": latency_figures(h) if h else latency_figures(_hist())}  # fmt: skip
        return out


_GATEWAY = GATEWAY_ID.encode()


def _us(seconds: float) -> int:
    return max(1, int(seconds * 1_000_000))


def message_type(body: bytes) -> str:
    m = _TYPE.search(body)
    if m is None:
        return "unknown"
    return (m.group(1) or m.group(2)).decode()


@dataclass(frozen=True)
class Recording:
    """Traffic replayed from a recording file (``swsim record`` / ``swsim generate --out``) instead of generated:
    its ingress records at their recorded timing divided by ``speed``, or flat out (``speed`` None), re-signed, with
    message ids rewritten as ``swsim replay`` does."""

    path: Path
    speed: float | None = 1.0

    @property
    def pace(self) -> str:
        return pace(self.speed)


def pace(speed: float | None) -> str:
    """How a recording is sent at ``speed`` (None: flat out), in words."""
    if speed is None:
        return "flat out"
    return "at its recorded timing" + ("" if speed == 1 else f" / {speed:g}")


@dataclass(frozen=True)
class LoadConfig:
    rate: float
    duration_s: float
    seed: int = 1
    """The generator's seed (its warm-up's too, which a replay also sends)."""
    tag: str = "load"
    drain_s: float = 30.0
    producer: str = "confluent"
    recording: Recording | None = None
    """Replay this instead of generating ``rate * duration_s`` messages (``rate`` and ``duration_s`` then unused)."""


@dataclass
class LoadResult:
    config: LoadConfig
    bootstrap: str
    started_at: str
    tally: Tally
    send: ReplayStats
    drained_s: float

    def summary(self) -> dict[str, Any]:
        """The JSON summary (the same numbers the HTML report shows)."""
        t, c, rec = self.tally, self.config, self.config.recording
        return {
            "tool": "swsim load",
            "simulated": True,
            "started_at": self.started_at,
            "bootstrap": self.bootstrap,
            "traffic": "generated" if rec is None else "recording",
            "recording": None if rec is None else str(rec.path),
            "speed": None if rec is None else rec.speed,
            # a replay's rate and duration are those of its schedule, every record sent (flat out: as sent)
            "rate": c.rate if rec is None else self._replayed(round(self.send.rate, 3)),
            "duration_s": c.duration_s if rec is None else self._replayed(round(self.send.duration_s, 3)),
            "seed": c.seed if rec is None else None,
            "tag": c.tag,
            "producer": c.producer,
            "sent": t.n_sent,
            "delivered": t.delivered,
            "receipted": t.receipted,
            "rejected": t.rejected,
            "lost": t.lost,
            "untracked": self.send.unrewritten,
            "duplicates": t.duplicates,
            "skipped": self.send.skipped,
            "send_rate": self._replayed(round(self.send.rate, 1)),  # null with fewer than 2 sent: no interval
            "timing_error_ms": {k.removesuffix("_ms"): round(v, 3) for k, v in self.send.timing().items()},
            "latency_ms": latency_figures(t.latency),
            "receipt_latency_ms": latency_figures(t.receipt_latency),
            "by_type": t.by_type_figures(),
            "drained_s": round(self.drained_s, 2),
        }

    def _replayed(self, figure: float) -> float | None:
        """A figure of the sends (for a replay, of its schedule), or None when it has no interval to measure (fewer
        than 2 sent)."""
        return figure if self.send.sent >= 2 else None


class _Collector:
    """Reads every party's inbox (partitions assigned, from the current end) and feeds the tally."""

    def __init__(self, transport: KafkaTransport, topics: Topics, network_seed: str) -> None:
        inboxes = [topics.inbox(p.id) for p in default_parties(network_seed)]
        # a 10 ms fetch wait (not the default 50): the embedded broker holds a fetch for the whole wait, which would
        # add up to that much to every measured arrival; one consumer can afford the extra polling
        self.consumer = KafkaGroupConsumer(transport, inboxes, f"swsim-load-{time.time_ns()}", from_beginning=False,
                                           assign=True, fetch_wait_ms=READER_FETCH_WAIT_MS)  # fmt: skip
        self.consumer.settle()
        self.tally = Tally()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="swsim-load-collector", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> _Collector:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                records = self.consumer.poll(0.1, 2000)
                now = time.perf_counter()
                tally = self.tally
                for r in records:
                    tally.seen(r, now)
        except BaseException as e:  # reported by the runner, which stops the run
            self.error = e

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.consumer.close()


def _wait(pred: Callable[[], bool], timeout_s: float, collector: _Collector) -> bool:
    deadline = time.monotonic() + timeout_s
    while not pred():
        if collector.error is not None:
            raise RuntimeError(f"reading the inboxes failed: {collector.error}")
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def run(
    bootstrap: str,
    topics: Topics,
    network_seed: str,
    config: LoadConfig,
    progress: Callable[[Tally, str], None] | None = None,
) -> LoadResult:
    """Warm up, send ``rate * duration`` generated messages on schedule (or the recording's ingress records, see
    :class:`Recording`), drain, and return the tally. A recording that turns out malformed part way raises
    RecordingError or ReplayError (naming the line) after what came before it was sent.

    ``progress(tally, phase)`` is called about five times a second (phase: warm-up, sending, draining)."""
    say = progress or (lambda _t, _p: None)
    transport = KafkaTransport(bootstrap, "swsim-load", producer=config.producer)
    collector = _Collector(KafkaTransport(bootstrap, "swsim-load-in"), topics, network_seed).start()
    pub = Publisher(transport, topics, network_seed)
    try:
        _warm_up(pub, collector, topics, network_seed, config, say)
        tally = collector.tally = Tally()
        send = _sender(pub, tally)
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        rec = config.recording
        if rec is None:
            planned = entries(Generator(config.seed, network_seed), config.rate, config.duration_s, topics.ingress)
            stats = replay(planned, send, 1.0, config.tag, lambda _t: True, lambda _n: say(tally, "sending"))
        else:
            with closing(read(rec.path)) as source:
                stats = replay(source, send, rec.speed, config.tag, ingress_topic, lambda _n: say(tally, "sending"))
        pub.flush()
        t = time.monotonic()
        while not _wait(lambda: tally.settled, 0.2, collector) and time.monotonic() - t < config.drain_s:
            say(tally, "draining")
        drained = time.monotonic() - t
        say(tally, "done")
    finally:
        collector.stop()
        transport.close()
    return LoadResult(config, bootstrap, started_at, tally, stats, drained)


def _sender(pub: Publisher, tally: Tally) -> Callable[[Entry, bytes, str | None, float], None]:
    def send(e: Entry, body: bytes, mid: str | None, intended: float) -> None:
        if mid is None:
            pass  # a recorded body that is no message: sent as it is, not timed ("untracked")
        elif mid in tally.msgs:
            tally.duplicates += 1  # a re-send in the recording: sent again, timed from the first send only
        else:
            tally.sent(mid, message_type(body), intended)  # before the send: no arrival can precede it
        pub.publish(e.header("sw-sender") or "", body, e.key.decode() if e.key else None, mid)

    return send


def _warm_up(
    pub: Publisher,
    collector: _Collector,
    topics: Topics,
    network_seed: str,
    config: LoadConfig,
    say: Callable[[Tally, str], None],
) -> None:
    tally = collector.tally
    planned = entries(Generator(config.seed + 7919, network_seed), WARMUP, 1.0, topics.ingress)
    replay(planned, _sender(pub, tally), None, config.tag + "w", lambda _t: True)
    pub.flush()
    say(tally, "warm-up")
    if not _wait(lambda: tally.settled, 90, collector):
        raise RuntimeError(
            f"warm-up: {tally.delivered}/{WARMUP} delivered, {tally.receipted} receipted within 90 s; "
            "is a gateway running on this broker and topic prefix?"
        )
