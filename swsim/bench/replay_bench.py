"""``swsim bench replay``: replay timing fidelity, max-rate replay against a bare producer, and the highest steady
rate the whole exchange sustains; each against a baseline or target measured in the same run (README)."""

from __future__ import annotations

import itertools
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from gateway.topics import Topics
from simulators.generator import Generator, entries
from simulators.load import LoadConfig
from simulators.load import run as load_run
from simulators.publisher import Publisher
from simulators.recording import Entry, Writer, read
from simulators.replay import ReplayStats, replay
from swsim.bench.steal import StealMeter
from swsim.broker import EmbeddedBroker
from swsim.proc import stack_process
from swsim.transport.kafka import KafkaTransport

Progress = Callable[[str], None]
SEED = "swsim-demo-network"
ORIGINAL_RATE = 100.0
"""Messages per second in the recorded exchange (so 100,000 messages span 1,000 s; 10x replays them in 100 s)."""
P99_LIMIT_MS = 100.0


def write_recording(path: Path, n: int, say: Progress) -> None:
    """``n`` generated messages at ORIGINAL_RATE, in the recording format (what `swsim generate --out` writes)."""
    ingress = Topics("rec").ingress
    with Writer(path, "swsim bench replay") as w:
        for e in entries(Generator(3, SEED), ORIGINAL_RATE, n / ORIGINAL_RATE, ingress, time.time()):
            w.write(e)
            if w.count % 20_000 == 0:
                say(f"writing the recording: {w.count:,}/{n:,}")


def _replay(bootstrap: str, path: Path, speed: float | None, limit: int | None, producer: str) -> ReplayStats:
    """What `swsim replay` does (re-signed, ids rewritten), into a fresh topic prefix on ``bootstrap``."""
    topics = Topics("rb" + uuid.uuid4().hex[:8])
    t = KafkaTransport(bootstrap, "bench-replay", producer=producer)
    t.ensure_topics({topics.ingress: 6})
    pub = Publisher(t, topics, SEED)

    def send(e: Entry, body: bytes, mid: str | None, _intended: float) -> None:
        pub.publish(e.header("sw-sender") or "", body, e.key.decode() if e.key else None, mid)

    try:
        source = read(path) if limit is None else itertools.islice(read(path), limit)
        stats = replay(source, send, speed, uuid.uuid4().hex[:6], lambda _t: True)
        pub.flush()
        if speed is None:  # flat out: the rate counts until the broker has acknowledged everything
            stats.duration_s = time.perf_counter() - stats.started
    finally:
        t.close()
    return stats


def bare_producer_rate(bootstrap: str, path: Path, limit: int) -> float:
    """A bare kafka-python producer (idempotent, acks=all) sending the same recorded records, already in memory."""
    records = [(e.key, e.headers, e.body) for e in itertools.islice(read(path), limit)]
    topic = f"rb{uuid.uuid4().hex[:8]}.ingress"
    KafkaTransport(bootstrap, "bench-bare-admin").ensure_topics({topic: 6})
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0)
    try:
        p.send(topic, b"warm-up").get(30)
        start = time.perf_counter()
        for key, headers, body in records:
            p.send(topic, value=body, key=key, headers=headers)
        p.flush()
        return len(records) / (time.perf_counter() - start)
    finally:
        p.close()


Exchange = Callable[[], AbstractContextManager[Topics]]
"""Starts a fresh exchange for one step of the sustained-rate search and yields its topics."""


@contextmanager
def fresh_exchange(tmp: Path, bootstrap: str, env: dict[str, str], say: Progress, warm_s: float) -> Iterator[Topics]:
    """The whole exchange (``swsim up``) as a child process on topics and a data folder of its own, warmed up by an
    unmeasured run of 5 msg/s for ``warm_s``. Each step of the search gets one: the embedded broker fetches more
    slowly from partitions that hold more record batches (see :mod:`swsim.bench.gateway_bench`), so steps sharing
    one exchange would each run on topics the earlier steps filled."""
    topics = Topics("ss" + uuid.uuid4().hex[:8])
    say("starting a fresh exchange (swsim up) for the next step")
    with stack_process(tmp / topics.prefix, bootstrap, {**env, "SWSIM_TOPIC_PREFIX": topics.prefix}):
        say("warming the exchange up (not measured)")
        load_run(bootstrap, topics, SEED, LoadConfig(5, warm_s, seed=10, tag=f"w{uuid.uuid4().hex[:4]}", drain_s=30))
        yield topics


def sustained_rate(
    bootstrap: str, exchange: Exchange, seconds: float, min_messages: int, say: Progress, bisect: int,
    max_steps: int = 20,
) -> tuple[float, list[dict[str, Any]]]:  # fmt: skip
    """The highest offered rate (msg/s of generated traffic) at which the exchange delivers everything with p99
    end-to-end latency <= P99_LIMIT_MS: from 10 msg/s, doubling until a step fails (or halving until one passes),
    then halving the gap between the last pass and the first failure; at most ``max_steps`` steps (the best rate
    passed by then). Each step runs on an exchange of its own from ``exchange``."""
    steps: list[dict[str, Any]] = []

    def budget() -> bool:
        return len(steps) < max_steps

    def ok(rate: float) -> bool:
        duration = max(seconds, min_messages / rate)  # enough messages for a p99 that is not just the maximum
        with exchange() as topics:
            say(f"sustained rate: {rate:g} msg/s for {duration:g} s")
            cfg = LoadConfig(rate, duration, seed=len(steps) + 11, tag=f"s{len(steps)}{uuid.uuid4().hex[:4]}",
                             drain_s=30)  # fmt: skip
            s = load_run(bootstrap, topics, SEED, cfg).summary()
        p99 = s["latency_ms"]["p99"]  # None: nothing delivered (every message refused), so not sustained either
        passed = bool(s["lost"] == 0 and p99 is not None and p99 <= P99_LIMIT_MS)
        steps.append({"rate": rate, "sent": s["sent"], "lost": s["lost"], "p50_ms": s["latency_ms"]["p50"],
                      "p99_ms": s["latency_ms"]["p99"], "passed": passed})  # fmt: skip
        return passed

    good, bad = 0.0, None
    rate = 10.0
    if ok(rate):
        good = rate
        while bad is None and rate < 5000 and budget():
            rate *= 2
            if ok(rate):
                good = rate
            else:
                bad = rate
    else:
        bad = rate
        while good == 0 and rate > 1.5 and budget():
            rate /= 2
            if ok(rate):
                good = rate
            else:
                bad = rate
    for _ in range(bisect if bad is not None else 0):
        mid = round((good + bad) / 2, 1) if bad is not None else good
        if good == 0 or mid in (good, bad) or not budget():
            break
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good, steps


def exchange_clients(clients: str | None) -> tuple[dict[str, str], str, str]:
    """The environment that gives the exchange (``swsim up``) ``clients`` for its gateway's producer and routers'
    consumer (None: the settings in effect, ``SWSIM_KAFKA_PRODUCER`` / ``SWSIM_KAFKA_CONSUMER`` or their
    kafka-python default), and the producer and consumer it will then use."""
    if clients is None:
        from swsim.settings import load_settings

        settings = load_settings()
        return {}, settings.kafka_producer, settings.kafka_consumer
    return {"SWSIM_KAFKA_PRODUCER": clients, "SWSIM_KAFKA_CONSUMER": clients}, clients, clients


def run(
    quick: bool = False, progress: Progress | None = None, producer: str = "confluent", clients: str | None = None
) -> dict[str, Any]:
    """``producer``: the replay's producer client. ``clients``: the Kafka clients of the exchange whose sustained
    rate is searched (see :func:`exchange_clients`)."""
    say = progress or (lambda _s: None)
    env, gw_producer, gw_consumer = exchange_clients(clients)
    n = 5_000 if quick else 100_000
    n_rate = 5_000 if quick else 30_000
    whole = StealMeter().start()
    with tempfile.TemporaryDirectory(prefix="swsim-bench-replay-") as tmpdir, EmbeddedBroker() as broker:
        tmp = Path(tmpdir)
        recording = tmp / "exchange.jsonl.gz"
        write_recording(recording, n, say)
        say(f"replaying {n:,} messages at 10x ({n / ORIGINAL_RATE / 10:.0f} s)")
        during_timed = StealMeter().start()
        timed = _replay(broker.bootstrap, recording, 10.0, None, producer)
        timed_steal = during_timed.percent()
        bare: list[float] = []
        flat: list[float] = []
        for i in range(2):  # interleaved, best of two each: the machine is shared and noisy
            say(f"max rate, round {i + 1}/2: bare kafka-python producer, {n_rate:,} messages")
            bare.append(bare_producer_rate(broker.bootstrap, recording, n_rate))
            say(f"max rate, round {i + 1}/2: swsim replay --max-rate, {n_rate:,} messages")
            flat.append(_replay(broker.bootstrap, recording, None, n_rate, producer).rate)
        say("sustained-rate search: each step on a fresh exchange (swsim up)")
        warm_s = 2.0 if quick else 4.0
        sustained, steps = sustained_rate(
            broker.bootstrap, lambda: fresh_exchange(tmp, broker.bootstrap, env, say, warm_s),
            3.0 if quick else 10.0, 30 if quick else 300, say, 0 if quick else 3, 2 if quick else 20,
        )  # fmt: skip
    timing = timed.timing()
    return {
        "recording_messages": n,
        "recording_rate": ORIGINAL_RATE,
        "timing_error_p50_ms": round(timing["p50_ms"], 3),
        "timing_error_p99_ms": round(timing["p99_ms"], 3),
        "timing_error_max_ms": round(timing["max_ms"], 3),
        "timing_steal_pct": timed_steal,
        "replay_10x_msgs_per_s": round(timed.rate, 1),
        "max_rate_msgs_per_s": round(max(flat), 1),
        "producer_msgs_per_s": round(max(bare), 1),
        "max_rate_vs_producer": round(max(flat) / max(bare), 3),
        "sustained_rate": sustained,
        "sustained_p99_limit_ms": P99_LIMIT_MS,
        "sustained_steps": steps,
        "steal_pct": whole.percent(),
        "replay_producer": producer,
        "exchange_producer": gw_producer,
        "exchange_consumer": gw_consumer,
        "quick": quick,
        "targets": {"timing_error_p99_ms_max": 5.0, "max_rate_vs_producer_min": 0.7},
    }
