"""Fault scenarios, counted: a sender node streams N messages through the gateway to a receiver node while a fault
strikes, then everything is counted.

- sent: messages the sender's outbox accepted;
- acknowledged: of those, how many the gateway's delivery receipt settled;
- applied: messages the receiver applied (its handler counts each application in the same transaction);
- lost: acknowledged but never applied; duplicated: applied more than once;
- redelivered: messages that reached the receiver again after it had applied them (its de-duplication absorbed
  them): shows that a fault really made the exchange deliver twice, which ``duplicated`` alone cannot.

A scenario may judge more than these counts (``judged``: each requirement by name, met or not).

The broker (embedded Tansu), the gateway (``swsim gateway``) and the receiver (``python -m swsim.verify.receiver``)
are processes of their own, so that a fault is a real SIGKILL. The sender is a node in this process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.topics import Topics
from schemas.envelope import Message
from swsim.background import Background
from swsim.bench.gateway_bench import make_bodies
from swsim.broker import EmbeddedBroker, free_port
from swsim.network import Role, default_parties, private_key
from swsim.node.clock import SimClock
from swsim.node.runtime import Context, Node
from swsim.node.store import NodeStore, OutboxEntry, StoreRef
from swsim.proc import wait_healthy
from swsim.transport.generation import GenerationWatch
from swsim.transport.kafka import KafkaTransport
from swsim.verify.receiver import APPLIED_SQL, REDELIVERED_SQL
from swsim.verify.target import SEED, rss_mb

RECEIVER = "7900"
Progress = Callable[[str], None]


@dataclass
class FaultResult:
    scenario: str
    sent: int
    acknowledged: int
    applied: int
    lost: int
    duplicated: int
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)
    judged: dict[str, bool] = field(default_factory=dict)
    """The scenario's own requirements beyond the counts, by name: met or not. Every one must be met."""
    redelivered: int | None = None
    """Messages the receiver got again after applying them (None: the scenario does not count them)."""

    @property
    def ok(self) -> bool:
        counts = self.lost == 0 and self.duplicated == 0 and self.acknowledged == self.sent
        return counts and all(self.judged.values())

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class _Quiet:
    """The sender's handler: it only sends (receipts are settled by the node runtime itself)."""

    def handle(self, message: Message, ctx: Context) -> None:
        return None

    def tick(self, ctx: Context) -> None:
        return None


class Exchange:
    """Broker, gateway and receiver processes, and the sender node, for one scenario."""

    def __init__(self, workdir: Path, receiver_args: list[str] | None = None) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.prefix = "vf" + uuid.uuid4().hex[:8]
        self.topics = Topics(self.prefix)
        self.broker = EmbeddedBroker()
        self.http_port = free_port()
        self.receiver_args = receiver_args or []
        self.gateway: subprocess.Popen[bytes] | None = None
        self.receiver: subprocess.Popen[bytes] | None = None
        self.receiver_store = workdir / "receiver.db"
        self.sender_id = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)
        self.sender: Node | None = None
        self.watch: GenerationWatch | None = None
        self.transport: KafkaTransport | None = None
        self._log = open(workdir / "processes.log", "ab")  # noqa: SIM115 (closed in stop)

    # ------------------------------------------------------------------ processes
    def start(self) -> Exchange:
        self.broker.start()
        self.start_gateway()
        self.start_receiver(self.receiver_args)
        self.transport = KafkaTransport(self.broker.bootstrap, "verify-sender")
        store = NodeStore(self.workdir / "sender.db")
        self.sender = Node(self.sender_id, private_key(SEED, self.sender_id), self.transport, self.topics, store,
                           _Quiet(), SimClock())  # fmt: skip
        self.sender.start()
        self.watch = GenerationWatch(self.broker.bootstrap, self.topics.generation)
        self.watch.listeners.append(lambda _g: self.sender.request_rewind() if self.sender else None)
        self.watch.start()
        return self

    def start_gateway(self) -> None:
        env = {**os.environ, "SWSIM_TOPIC_PREFIX": self.prefix, "SWSIM_NETWORK_SEED": SEED,
               "SWSIM_SESSION_TIMEOUT_MS": "3000"}  # fmt: skip
        args = [sys.executable, "-m", "swsim", "gateway", "--bootstrap", self.broker.bootstrap, "--http-port",
                str(self.http_port), "--data-dir", str(self.workdir)]  # fmt: skip
        self.gateway = subprocess.Popen(args, env=env, stdout=self._log, stderr=self._log)
        health = f"http://127.0.0.1:{self.http_port}/health"
        wait_healthy(self.gateway, "the gateway", health, self.workdir / "processes.log")

    def start_receiver(self, extra: list[str]) -> None:
        args = [sys.executable, "-m", "swsim.verify.receiver", "--bootstrap", self.broker.bootstrap,
                "--prefix", self.prefix, "--party", RECEIVER, "--seed", SEED, "--store", str(self.receiver_store),
                *extra]  # fmt: skip
        self.receiver = subprocess.Popen(args, stdout=self._log, stderr=self._log)

    def kill_gateway(self) -> None:
        assert self.gateway is not None
        self.gateway.kill()
        self.gateway.wait()

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        if self.sender is not None:
            self.sender.stop()
            self.sender.store.close()
        if self.transport is not None:
            self.transport.close()
        for p in (self.receiver, self.gateway):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.broker.stop()
        self._log.close()

    # ------------------------------------------------------------------ traffic and counting
    def feed(self, n: int, rate: float, fault_at: float, fault: Callable[[], None], progress: Progress) -> None:
        """Queue ``n`` messages in the sender's outbox at ``rate`` per second; run ``fault`` once ``fault_at`` (a
        fraction of n) are queued."""
        assert self.sender is not None
        bodies = make_bodies(n, self.sender_id, RECEIVER, self.prefix[-6:])
        t0, chunk, faulted = time.monotonic(), 20, False
        for start in range(0, n, chunk):
            with self.sender.store.transaction():
                for i in range(start, min(n, start + chunk)):
                    self.sender.store.enqueue(self._entry(i, bodies[i]))
            if not faulted and start + chunk >= fault_at * n:
                faulted = True
                self.wait_flowing(int(fault_at * n / 2))
                acked, applied, _ = self.counts()
                progress(f"fault: {start + chunk} of {n} queued, {len(acked)} acknowledged, {len(applied)} applied")
                fault()
            lag = (start + chunk) / rate - (time.monotonic() - t0)
            if lag > 0:
                time.sleep(lag)

    def wait_flowing(self, acknowledged: int, timeout_s: float = 60) -> None:
        """Until ``acknowledged`` messages are acknowledged and applied: a fault should strike a stream in full
        flow, with messages at every stage."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            acked, applied, _ = self.counts()
            if len(acked) >= acknowledged and len(applied) >= acknowledged:
                return
            time.sleep(0.1)

    def _entry(self, i: int, body: bytes) -> OutboxEntry:
        mid = f"B{self.prefix[-6:]}-{i:07d}"
        created = datetime.now(UTC).isoformat()
        return OutboxEntry(mid, RECEIVER, "MT2301", f"k{i}", body, "pending", 0, 0.0, created, [])

    def counts(self) -> tuple[set[str], dict[str, int], int]:
        """Acknowledged message ids, applications per message id, and outbox entries the gateway rejected."""
        assert self.sender is not None
        rows = self.sender.store.rows("SELECT message_id, status FROM outbox")
        acked = {r[0] for r in rows if r[1] == "delivered"}
        rejected = sum(1 for r in rows if r[1] in ("rejected", "failed"))
        applied: dict[str, int] = {}
        if self.receiver_store.exists():
            got = StoreRef(RECEIVER, self.receiver_store).read([APPLIED_SQL])
            for sender, mid, times in (got or [[]])[0]:
                if sender == self.sender_id:
                    applied[mid] = int(times)
        return acked, applied, rejected

    def redelivered(self) -> int:
        """Messages of the sender that reached the receiver again after it had applied them."""
        got = StoreRef(RECEIVER, self.receiver_store).read([REDELIVERED_SQL]) if self.receiver_store.exists() else []
        return sum(1 for sender, _mid, _n in (got or [[]])[0] if sender == self.sender_id)

    def settle(self, n: int, timeout_s: float, progress: Progress) -> tuple[set[str], dict[str, int], int]:
        """Wait until every message is acknowledged and applied (or the time is up), then count."""
        deadline, last = time.monotonic() + timeout_s, 0.0
        while True:
            acked, applied, rejected = self.counts()
            if (len(acked) + rejected >= n and acked <= set(applied)) or time.monotonic() > deadline:
                return acked, applied, rejected
            if time.monotonic() - last > 5:
                last = time.monotonic()
                progress(f"acknowledged {len(acked)}/{n}, applied {len(applied)}")
            time.sleep(0.5)


def _result(name: str, n: int, t0: float, counted: tuple[set[str], dict[str, int], int],
            redelivered: int | None = None, judged: dict[str, bool] | None = None,
            **detail: Any) -> FaultResult:  # fmt: skip
    acked, applied, rejected = counted
    return FaultResult(
        scenario=name,
        sent=n,
        acknowledged=len(acked),
        applied=len(applied),
        lost=len(acked - set(applied)),
        duplicated=sum(1 for times in applied.values() if times > 1),
        seconds=round(time.monotonic() - t0, 1),
        detail={"rejected": rejected, **detail},
        judged=judged or {},
        redelivered=redelivered,
    )


def run_stream(name: str, workdir: Path, n: int, rate: float, fault: Callable[[Exchange], dict[str, Any]],
               receiver_args: list[str] | None = None, progress: Progress = lambda _s: None,
               settle_s: float = 240,
               judge: Callable[[int], dict[str, bool]] | None = None) -> FaultResult:  # fmt: skip
    """One scenario: start the exchange, stream ``n`` messages with ``fault`` at 40 %, settle, count. ``judge``:
    the scenario's own requirements, from the messages redelivered (see :func:`redelivered_after_the_kill`)."""
    ex = Exchange(workdir, receiver_args).start()
    detail: dict[str, Any] = {}
    t0 = time.monotonic()
    try:
        ex.feed(n, rate, 0.4, lambda: detail.update(fault(ex)), progress)
        counted = ex.settle(n, settle_s, progress)
        redelivered = ex.redelivered()
    finally:
        ex.stop()
    return _result(name, n, t0, counted, redelivered, judge(redelivered) if judge else {}, **detail)


# ---------------------------------------------------------------------- the faults
def broker_killed(ex: Exchange) -> dict[str, Any]:
    """SIGKILL the embedded broker and start it again, empty, on the same port."""
    ex.broker.kill()
    time.sleep(1)
    ex.broker.start()
    return {"broker_restarts": 1}


def gateway_killed(ex: Exchange) -> dict[str, Any]:
    """SIGKILL the gateway process and start it again on the same ledger."""
    ex.kill_gateway()
    time.sleep(1)
    ex.start_gateway()
    return {"gateway_restarts": 1}


def node_killed_watch(ex: Exchange) -> dict[str, Any]:
    """The receiver kills itself (``--kill-after``) between applying a message and committing its offset: start it
    again when it has died."""
    assert ex.receiver is not None
    ex.receiver.wait(120)
    ex.start_receiver([])
    return {"receiver_restarts": 1}


def redelivered_after_the_kill(redelivered: int) -> dict[str, bool]:
    """The kill always leaves one applied message without a committed offset, so the restarted receiver must get it
    again: none redelivered means the kill did not strike where it should (and de-duplication went untested)."""
    return {"redelivered >= 1": redelivered >= 1}


class RssSampler(Background):
    """Peak resident memory of a process, sampled every half second."""

    def __init__(self, pid: Callable[[], int | None]) -> None:
        super().__init__("rss-sampler")
        self.pid = pid
        self.samples: list[float] = []

    def _sample(self) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(OSError, RuntimeError):  # between a kill and a restart
                self.samples.append(rss_mb(pid))

    def run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def start(self) -> None:
        """The first sample now (the baseline), then every half second."""
        self._sample()
        self.start_thread()

    def stop(self) -> None:
        self.stop_thread(5)


RECEIVER_GROWTH_BOUND_MB = 64.0
"""The judged bound on the slow consumer's memory growth (peak resident memory against the first sample). Where it
comes from: a correct receiver grew +26.2 MB over 10,000 messages (README, ``swsim verify`` on commit 35dae49), and
tests/verify/test_faults.py used 64 MB. A decoded message takes about 29 KB here (tracemalloc), so a receiver that
kept the messages it handled would grow about 290 MB over 10,000; one that held only its backlog (about 1,700 at
the end of the stream) decoded could stay under the bound."""


def slow_consumer(workdir: Path, n: int, rate: float, progress: Progress, delay_ms: float = 3.0) -> FaultResult:
    """The receiver takes ``delay_ms`` per message, slower than the stream: the backlog waits in the broker, and
    the receiver's memory must stay bounded (peak resident memory against its size at the start, below
    :data:`RECEIVER_GROWTH_BOUND_MB`)."""
    ex = Exchange(workdir, ["--delay-ms", str(delay_ms)]).start()
    t0 = time.monotonic()
    rss = RssSampler(lambda: ex.receiver.pid if ex.receiver else None)
    try:  # memory is sampled from the first message applied (the process has loaded everything it needs)
        ex.feed(n, rate, 0.02, rss.start, progress)
        counted = ex.settle(n, 240 + n * delay_ms / 1000, progress)
        redelivered = ex.redelivered()
    finally:
        rss.stop()
        ex.stop()
    memory, judged = receiver_memory(rss.samples)
    return _result("slow-consumer", n, t0, counted, redelivered, judged, receiver_delay_ms=delay_ms, **memory)


def receiver_memory(samples: list[float]) -> tuple[dict[str, Any], dict[str, bool]]:
    """The receiver's memory figures from its RSS samples (the first is the baseline), and the judged bound (not
    met without samples: nothing was measured)."""
    start = samples[0] if samples else 0.0
    growth = max(samples, default=0.0) - start
    figures = {"receiver_rss_start_mb": round(start, 1), "receiver_rss_peak_mb": round(start + growth, 1),
               "receiver_rss_growth_mb": round(growth, 1), "receiver_rss_growth_bound_mb": RECEIVER_GROWTH_BOUND_MB,
               "receiver_rss_samples": len(samples)}  # fmt: skip
    met = bool(samples) and growth < RECEIVER_GROWTH_BOUND_MB
    return figures, {"receiver_rss_growth_mb < receiver_rss_growth_bound_mb": met}


RATE = 400.0
"""Messages per second the sender queues: below what the gateway routes here, so a fault is what delays them."""


def stream_scenarios(n: int, rate: float = RATE) -> dict[str, Callable[[Path, Progress], FaultResult]]:
    """The fault scenarios on the message stream, by name."""
    return {
        "broker-killed": lambda wd, pr: run_stream("broker-killed", wd, n, rate, broker_killed, progress=pr),
        "gateway-killed": lambda wd, pr: run_stream("gateway-killed", wd, n, rate, gateway_killed, progress=pr),
        "node-killed-before-commit": lambda wd, pr: run_stream(
            "node-killed-before-commit",
            wd,
            n,
            rate,
            node_killed_watch,
            ["--kill-after", str(max(1, n // 4))],
            pr,
            judge=redelivered_after_the_kill,
        ),
        "slow-consumer": lambda wd, pr: slow_consumer(wd, n, rate, pr),
    }
