"""``swsim bench gateway``: the router, the HTTP API and end-to-end latency, each against a baseline measured in
the same run on the same broker (see README for the figures and how to read them)."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from gateway.service import Gateway, build_gateway, gateway_transport
from schemas.benchdata import bench_manifest
from schemas.codec import encode
from swsim.bench.steal import StealMeter
from swsim.broker import EmbeddedBroker, free_port
from swsim.client import signed_headers
from swsim.network import Role, api_key, default_parties, private_key
from swsim.proc import served
from swsim.settings import Settings
from swsim.transport.base import Consumer
from swsim.transport.kafka import LEAN, KafkaTransport
from swsim.transport.rdkafka import ConfluentTailReader

Progress = Callable[[str], None]

HTTP_CONNECTIONS = 16
"""Keep-alive connections of every HTTP load: single submits, batches (100 messages each) and the bare endpoint."""


def _parties(seed: str) -> tuple[str, str]:
    trader = next(p.id for p in default_parties(seed) if p.role == Role.TRADER)
    return trader, "7900"


def make_bodies(n: int, sender: str, receiver: str, tag: str) -> list[bytes]:
    """``n`` JSON manifests (the 4-5 KiB bench manifest) that differ only in their MessageID."""
    m = bench_manifest()
    m = m.model_copy(update={"head": m.head.model_copy(update={"sender_id": sender, "receiver_id": receiver})})
    base = encode(m, "json")
    old = m.head.message_id.encode()
    return [base.replace(old, f"B{tag}-{i:07d}".encode(), 1) for i in range(n)]


def _wait(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


def passthrough_rate(bootstrap: str, records: list[tuple[bytes, list[tuple[str, bytes]]]], partitions: int) -> float:
    """Bare kafka-python consume -> produce of the same records, with the router's delivery discipline
    (flush, then commit, per poll batch) but no processing."""
    tag = uuid.uuid4().hex[:8]
    src, dst = f"bench{tag}.src", f"bench{tag}.dst"
    t = KafkaTransport(bootstrap, "bench-pt")
    t.ensure_topics({src: partitions, dst: 1}, Settings().replication_factor)  # as the gateway's (on a cluster)
    for value, headers in records:
        t.send(src, value, None, headers)
    t.flush()
    t.close()
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id="bench-pt-" + tag,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 << 20,
        **LEAN,
    )
    _wait(lambda: bool(consumer.partitions_for_topic(src)), 15, "topic metadata")
    consumer.assign([TopicPartition(src, p) for p in sorted(consumer.partitions_for_topic(src) or [])])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2, **LEAN)
    seen = 0
    first = None
    try:
        while seen < len(records):
            batch = consumer.poll(timeout_ms=500, max_records=500)
            if not batch:
                continue
            if first is None:
                first = time.perf_counter()
            for recs in batch.values():
                for r in recs:
                    producer.send(dst, value=r.value, key=r.key, headers=r.headers)
                    seen += 1
            producer.flush()
            consumer.commit()
        assert first is not None
        return len(records) / (time.perf_counter() - first)
    finally:
        producer.close()
        consumer.close()


def _bench_gateway(
    bootstrap: str, seed: str, tmp: Path, producer: str, consumer: str, prepare_workers: int = 0
) -> Gateway:
    """A gateway on topics and a consumer group of its own, its topics created (and its prepare workers ready), no
    router started."""
    settings = Settings(
        kafka_bootstrap=bootstrap,
        topic_prefix="bench" + uuid.uuid4().hex[:8],
        data_dir=tmp,
        network_seed=seed,
        gateway_group="bench-gw-" + uuid.uuid4().hex[:6],
        kafka_producer=producer,  # type: ignore[arg-type]
        kafka_consumer=consumer,  # type: ignore[arg-type]
        prepare_workers=prepare_workers,
    )
    gw = build_gateway(settings, gateway_transport(settings, "bench-gw"))
    gw.ensure_topics()
    if gw.pipeline.workers is not None and not gw.pipeline.workers.wait_ready(60.0):
        gw.stop()
        raise RuntimeError("the prepare workers did not start")
    return gw


def _publish(bootstrap: str, topic: str, records: list[tuple[bytes, list[tuple[str, bytes]]]]) -> None:
    t = KafkaTransport(bootstrap, "bench-load")
    for value, headers in records:
        t.send(topic, value, None, headers)
    t.flush()
    t.close()


def router_rate(
    bootstrap: str,
    records: list[tuple[bytes, list[tuple[str, bytes]]]],
    seed: str,
    tmp: Path,
    producer: str,
    processes: int = 0,
    consumer: str = "kafka-python",
    prepare_workers: int = 0,
) -> float:
    """The gateway router on the same records: decode, validate, authenticate, authorize, de-duplicate, ledger,
    route, receipt, event; flush, then commit. ``processes``: that many router processes
    (:mod:`gateway.workers`) instead of one router thread in this process; ``prepare_workers``: prepare worker
    processes for the router thread (:mod:`gateway.prepare_workers`; router processes have none)."""
    if processes:
        return _router_processes_rate(bootstrap, records, seed, tmp, producer, processes, consumer)
    gw = _bench_gateway(bootstrap, seed, tmp, producer, consumer, prepare_workers)
    _publish(bootstrap, gw.topics.ingress, records)
    try:
        router = gw.start_router()
        _wait(lambda: router.committed >= len(records), 300, "the router")
        assert router.first_poll_at is not None
        assert router.last_commit_at is not None
        counts = gw.ledger.counts()
        if counts["delivered"] != len(records):
            raise RuntimeError(f"router delivered {counts['delivered']} of {len(records)}: {counts}")
        return len(records) / (router.last_commit_at - router.first_poll_at)
    finally:
        gw.stop()


def _router_processes_rate(
    bootstrap: str,
    records: list[tuple[bytes, list[tuple[str, bytes]]]],
    seed: str,
    tmp: Path,
    producer: str,
    processes: int,
    consumer: str,
) -> float:
    """Router processes that have joined their group before the records are published (a member joining
    mid-run would pause the group for a rebalance); the rate runs from the first record the ledger received to
    the last one delivered."""
    from gateway.workers import RouterWorkers

    gw = _bench_gateway(bootstrap, seed, tmp, producer, consumer)
    tmp.mkdir(parents=True, exist_ok=True)
    workers = RouterWorkers(gw.settings, processes, tmp).start()
    try:
        _publish(bootstrap, gw.topics.ingress, records)
        _wait(lambda: gw.ledger.counts()["delivered"] >= len(records), 300, "the router processes")
        first = min(r.received_at for r in gw.ledger.iter_messages(0, 1))
        last = max(r.delivered_at or 0.0 for r in gw.ledger.recent_messages(len(records)))
        return len(records) / (last - first)
    finally:
        workers.stop()
        gw.stop()


def _e2e(
    bootstrap: str, prefix: str, seed: str, rate: float, seconds: float, client: str = "confluent"
) -> dict[str, Any]:
    """Open-model load at a steady ``rate``: each message's latency runs from its *scheduled* send time to the
    arrival of its receipt, so a stalled sender cannot hide delays (no coordinated omission).

    ``client``: the load generator's producer and receipt reader. They share the machine with what they measure, so
    librdkafka by default: measured at 500 msg/s against one router thread with both librdkafka clients, p50/p99
    49-51 / 100-111 ms with librdkafka load clients, 111-220 / 242-490 ms with kafka-python's."""
    from gateway.topics import Topics

    sender, receiver = _parties(seed)
    topics = Topics(prefix)
    n = int(rate * seconds)
    bodies = make_bodies(n + 50, sender, receiver, "E" + uuid.uuid4().hex[:6])
    key = private_key(seed, sender)
    intended: dict[bytes, float] = {}
    arrived: dict[bytes, float] = {}
    stop = threading.Event()
    # the reader's fetch wait: with kafka-python, measured at 500 msg/s with two router processes, 5 ms p50/p99
    # 141-473/273-949 ms (its polling takes CPU from what it measures), 15 ms 93-101/233-237, 50 ms 116-130/223-325;
    # with librdkafka (one router thread, librdkafka gateway clients) p99 63-98 ms at 15 ms, 68-96 at 5, 212-343 at 2
    consumer: Consumer | ConfluentTailReader
    if client == "confluent":
        consumer = ConfluentTailReader(bootstrap, "bench-e2e-in-" + uuid.uuid4().hex[:8], topics.inbox(sender), 15)
    else:
        consumer = KafkaTransport(bootstrap, "bench-e2e-in").consumer(
            [topics.inbox(sender)], "e2e-" + uuid.uuid4().hex, from_beginning=False, assign=True, fetch_wait_ms=15
        )

    polled = threading.Event()  # the reader starts at the end of its topic (kafka-python's finds it by its first poll)

    def collect() -> None:
        while not stop.is_set():
            records = consumer.poll(0.05, 1000)
            polled.set()
            for r in records:
                ref = dict(r.headers).get("sw-reference-id")
                if ref is not None and ref not in arrived:
                    arrived[ref] = time.perf_counter()

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    polled.wait(15)  # else receipts written before the reader knew where the end was would be missed
    # a 3 ms linger lets the load generator send a few records per request: kafka-python costs about 1.5 ms of CPU
    # per request, which at one request per message took 60% of a core from what it measures (500 msg/s, two router
    # processes: p50/p99 88-106/200-255 ms with no linger, 69/153 ms with 3 ms, the linger included)
    producer = KafkaTransport(bootstrap, "bench-e2e-out", linger_ms=3, producer=client)
    try:
        warm = bodies[:50]
        for b in warm:  # warm up: the router's group must be joined before measuring
            producer.send(topics.ingress, b, None, signed_headers(key, sender, b))
        producer.flush()
        warm_ids = [json.loads(b)["Head"]["MessageID"].encode() for b in warm]
        _wait(lambda: all(i in arrived for i in warm_ids), 60, "warm-up receipts")
        # signed and indexed beforehand, so the sender's own CPU work does not distort the schedule
        timed = [(b, signed_headers(key, sender, b), json.loads(b)["Head"]["MessageID"].encode()) for b in bodies[50:]]
        start = time.perf_counter() + 0.05
        for i, (b, headers, mid) in enumerate(timed):
            t = start + i / rate
            while (delay := t - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.002))
            intended[mid] = t
            producer.send(topics.ingress, b, None, headers)
        producer.flush()
        deadline = time.monotonic() + 30
        while len([m for m in intended if m in arrived]) < len(intended) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(5)
        consumer.close()
        producer.close()
    latencies = [(arrived[mid] - t) for mid, t in intended.items() if mid in arrived]  # in send order
    n = len(latencies)
    thirds = [latencies[n * k // 3 : n * (k + 1) // 3] for k in range(3)]
    return {
        "rate": rate,
        "sent": len(intended),
        "receipted": n,
        **_percentiles(latencies),
        "thirds": [{"n": len(part), **_percentiles(part)} for part in thirds if part],
    }


def _percentiles(latencies_s: list[float]) -> dict[str, float]:
    """p50, p99 and max in ms, through an HdrHistogram (1 us to 120 s, 3 significant digits)."""
    hist = HdrHistogram(1, 120_000_000, 3)
    for s in latencies_s:
        hist.record_value(max(1, int(s * 1e6)))
    return {
        "p50_ms": hist.get_value_at_percentile(50) / 1000,
        "p99_ms": hist.get_value_at_percentile(99) / 1000,
        "max_ms": hist.get_max_value() / 1000,
    }


def run(
    quick: bool = False,
    progress: Progress | None = None,
    producer: str = "kafka-python",
    router_processes: int = 0,
    consumer: str = "kafka-python",
    load_client: str = "confluent",
    prepare_workers: int = 0,
    rounds: int | None = None,
    bootstrap: str | None = None,
) -> dict[str, Any]:
    """``router_processes``: run the routers as that many processes (the router figure, and the gateway of the HTTP
    and end-to-end figures with no router thread of its own), instead of one router thread. ``producer`` and
    ``consumer``: the gateway's producer and its routers' consumer clients. ``load_client``: the end-to-end load
    generator's and receipt reader's client (see :func:`_e2e`). ``prepare_workers``: the gateway's prepare worker
    processes (:mod:`gateway.prepare_workers`). ``bootstrap``: measure on that Kafka instead of starting the
    embedded broker.

    ``rounds`` (default 2, 1 with ``quick``): each throughput figure and its baseline are measured one after the
    other that many times, so that each ratio compares runs made moments apart on a shared machine whose speed
    drifts; the rates reported are the medians of the rounds, each ratio the median of the rounds' ratios. The
    end-to-end latency is measured once, before the HTTP rounds, on a gateway and topics of its own (see
    :func:`_served_gateway`)."""
    say = progress or (lambda _s: None)
    rounds = rounds or (1 if quick else 2)
    broker_embedded = bootstrap is None
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    seed = "swsim-bench-network"
    n = 1500 if quick else 6000
    http_s = 1.5 if quick else 6.0
    e2e_s = 3.0 if quick else 15.0
    sender, receiver = _parties(seed)
    key = private_key(seed, sender)
    detail: list[dict[str, float]] = [{} for _ in range(rounds)]
    e2e: dict[str, Any] = {}
    whole = StealMeter().start()
    with tempfile.TemporaryDirectory(prefix="swsim-bench-") as tmpdir, ExitStack() as stack:
        if bootstrap is None:  # else a Kafka of the caller's: every figure on topics and groups of its own
            bootstrap = stack.enter_context(EmbeddedBroker()).bootstrap
        tmp = Path(tmpdir)
        bodies = make_bodies(n, sender, receiver, uuid.uuid4().hex[:6])
        records = [(b, signed_headers(key, sender, b)) for b in bodies]
        for i, d in enumerate(detail):
            say(f"{_round(i, rounds)}pass-through baseline: {n} records")
            d["passthrough_msgs_per_s"] = passthrough_rate(bootstrap, records, 6)
            say(f"{_round(i, rounds)}router: {n} records")
            d["router_msgs_per_s"] = router_rate(
                bootstrap, records, seed, tmp / f"router{i}", producer, router_processes, consumer,
                prepare_workers,
            )  # fmt: skip
        say(f"end-to-end latency at a steady 500 msg/s for {e2e_s:.0f} s (a gateway on topics of its own)")
        with _served_gateway(bootstrap, seed, tmp / "e2e", producer, consumer, router_processes,
                             prepare_workers) as prefix:  # fmt: skip
            during_e2e = StealMeter().start()
            e2e = _e2e(bootstrap, prefix, seed, 500.0, e2e_s, load_client)
            e2e["steal_pct"] = during_e2e.percent()
        headers = {"X-API-Key": api_key(seed, sender), "Content-Type": "application/json"}
        conc = HTTP_CONNECTIONS
        bare_port = free_port()
        bare_args = [sys.executable, "-m", "swsim.bench.bare_app", str(bare_port)]
        with served(bare_args, {}, f"http://127.0.0.1:{bare_port}/health"):  # idle while the gateway is measured
            for i, d in enumerate(detail):
                gw_port = free_port()
                with _served_gateway(bootstrap, seed, tmp / f"http{i}", producer, consumer, router_processes,
                                     prepare_workers, gw_port):  # fmt: skip
                    say(f"{_round(i, rounds)}HTTP single-message submits")
                    single_bodies = make_bodies(int(3000 * http_s), sender, receiver, "H" + uuid.uuid4().hex[:6])
                    single, s_status = _load(gw_port, "/v1/messages", headers, single_bodies, http_s, conc)
                    say(f"{_round(i, rounds)}HTTP batch submits (100 messages per request)")
                    batch_msgs = make_bodies(int(8000 * http_s), sender, receiver, "K" + uuid.uuid4().hex[:6])
                    batches = [b"[" + b",".join(batch_msgs[j : j + 100]) + b"]" for j in range(0, len(batch_msgs), 100)]
                    batch_req, b_status = _load(gw_port, "/v1/messages/batch", headers, batches, http_s, conc)
                    if set(s_status) != {202} or set(b_status) != {200}:
                        raise RuntimeError(f"unexpected HTTP statuses: single {s_status}, batch {b_status}")
                    d["http_single_per_s"], d["http_batch_msgs_per_s"] = single, batch_req * 100
                say(f"{_round(i, rounds)}bare FastAPI endpoint baseline")
                bare_bodies = make_bodies(int(6000 * http_s), sender, receiver, "Z" + uuid.uuid4().hex[:6])
                d["http_bare_per_s"], _ = _load(bare_port, "/bare", headers, bare_bodies, http_s, conc)
    return {
        "messages": n,
        "message_bytes": len(bodies[0]),
        **summarize(detail),
        **{f"e2e_{k}": e2e[k] for k in ("rate", "sent", "receipted", "p50_ms", "p99_ms", "max_ms", "steal_pct")},
        "e2e_thirds": [{k: t[k] for k in ("n", "p50_ms", "p99_ms")} for t in e2e["thirds"]],
        "steal_pct": whole.percent(),
        "broker": "embedded" if broker_embedded else "external",
        "quick": quick,
        "gateway_producer": producer,
        "gateway_consumer": consumer,
        "router_processes": router_processes,
        "prepare_workers": prepare_workers,
        "http_connections": HTTP_CONNECTIONS,
        "e2e_load_client": load_client,
        "targets": {
            "router_vs_passthrough_min": 0.5,
            "http_vs_bare_min": 0.7,
            "http_batch_vs_single_min": 5.0,
            "e2e_p99_ms_max": 50,
        },
    }


@contextmanager
def _served_gateway(
    bootstrap: str, seed: str, data_dir: Path, producer: str, consumer: str, router_processes: int,
    prepare_workers: int, port: int | None = None,
) -> Iterator[str]:  # fmt: skip
    """``swsim gateway`` as a process of its own, on topics of its own (a fresh prefix, yielded): Tansu's memory
    storage gets slower to fetch from a partition the more record batches it holds (measured: a tail reader at 500
    msg/s cost it 33% of a core on a fresh topic and 97% on one holding 10,000 batches of two records, and it never
    deletes any), so each measurement starts on topics no earlier load has filled."""
    prefix = "benchh" + uuid.uuid4().hex[:6]
    port = port or free_port()
    env = {
        "SWSIM_TOPIC_PREFIX": prefix,
        "SWSIM_NETWORK_SEED": seed,
        "SWSIM_DATA_DIR": str(data_dir),
        "SWSIM_KAFKA_PRODUCER": producer,
        "SWSIM_KAFKA_CONSUMER": consumer,
        "SWSIM_PREPARE_WORKERS": str(prepare_workers),
    }
    args = [sys.executable, "-m", "swsim", "gateway", "--bootstrap", bootstrap, "--http-port", str(port)]
    if router_processes:
        args += ["--routers", "0", "--router-processes", str(router_processes)]
    with served(args, env, f"http://127.0.0.1:{port}/health"):
        yield prefix


def summarize(detail: list[dict[str, float]]) -> dict[str, Any]:
    """The reported figures of the rounds' measurements: the median of each rate and of each ratio, the ratios
    taken within each round (a rate and its baseline measured moments apart)."""
    for d in detail:
        d["router_vs_passthrough"] = d["router_msgs_per_s"] / d["passthrough_msgs_per_s"]
        d["http_vs_bare"] = d["http_single_per_s"] / d["http_bare_per_s"]
        d["http_batch_vs_single"] = d["http_batch_msgs_per_s"] / d["http_single_per_s"]

    def med(k: str, digits: int) -> float:
        return round(statistics.median(d[k] for d in detail), digits)

    return {
        "router_msgs_per_s": med("router_msgs_per_s", 1),
        "passthrough_msgs_per_s": med("passthrough_msgs_per_s", 1),
        "router_vs_passthrough": med("router_vs_passthrough", 3),
        "http_single_per_s": med("http_single_per_s", 1),
        "http_bare_per_s": med("http_bare_per_s", 1),
        "http_vs_bare": med("http_vs_bare", 3),
        "http_batch_msgs_per_s": med("http_batch_msgs_per_s", 1),
        "http_batch_vs_single": med("http_batch_vs_single", 2),
        "rounds": len(detail),
        "rounds_detail": [{k: round(v, 3) for k, v in d.items()} for d in detail],
    }


def _round(i: int, rounds: int) -> str:
    return f"round {i + 1}/{rounds}: " if rounds > 1 else ""


def _load(
    port: int, path: str, headers: dict[str, str], bodies: list[bytes], seconds: float, concurrency: int
) -> tuple[float, dict[int, int]]:
    from swsim.bench.httpload import run_load

    return run_load("127.0.0.1", port, path, headers, bodies, seconds, concurrency)
