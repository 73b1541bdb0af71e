"""Several gateway processes as one consumer group on the embedded broker, sharing one ledger: the load is shared,
and when one is killed (SIGKILL) mid-stream the others take over its partitions: nothing lost (every message
reaches its receiver and is receipted), nothing applied twice (one ledger row per message)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from gateway.topics import Topics
from swsim.bench.gateway_bench import make_bodies
from swsim.broker import EmbeddedBroker, free_port
from swsim.client import signed_headers
from swsim.network import Role, default_parties, private_key
from swsim.transport.kafka import KafkaTransport

SEED = "swsim-demo-network"
N = 1500


def _processed(port: int) -> float:
    """Messages this gateway process delivered (its Prometheus counter)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    m = re.search(r'swsim_gateway_messages_total\{channel="kafka",outcome="delivered"\} ([0-9.e+]+)', text)
    return float(m.group(1)) if m else 0.0


def _wait(pred: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_kill_one_gateway_mid_stream(broker: EmbeddedBroker, tmp_path: Path) -> None:
    prefix = "fo" + uuid.uuid4().hex[:8]
    env = {**os.environ, "SWSIM_TOPIC_PREFIX": prefix, "SWSIM_DATA_DIR": str(tmp_path), "SWSIM_NETWORK_SEED": SEED,
           "SWSIM_SESSION_TIMEOUT_MS": "3000"}  # fmt: skip
    ports = [free_port() for _ in range(3)]
    args = [sys.executable, "-m", "swsim", "gateway", "--bootstrap", broker.bootstrap, "--http-port"]
    procs = [subprocess.Popen([*args, str(p)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for p in ports]  # fmt: skip
    trader = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)
    key = private_key(SEED, trader)
    topics = Topics(prefix)
    t = KafkaTransport(broker.bootstrap, "failover-test")
    try:
        for p in ports:
            _wait(lambda p=p: _health(p), 60, "the gateways")
        inbox = t.consumer([topics.inbox("7900")], f"fo-{prefix}", from_beginning=True, assign=True)
        bodies = make_bodies(N, trader, "7900", prefix[-6:])
        # warm-up: every gateway has joined the group and holds partitions once each has delivered something
        sent = 0
        deadline = time.monotonic() + 90
        while not all(_processed(p) > 0 for p in ports):
            assert time.monotonic() < deadline, "the gateways never shared the load"
            assert sent < 600, "the gateways never shared the load"
            for i in range(sent, sent + 30):
                t.send(topics.ingress, bodies[i], f"k{i}".encode(), signed_headers(key, trader, bodies[i]))
            sent += 30
            t.flush()
            time.sleep(1)
        kill_at = sent + 400
        for i, b in enumerate(bodies[sent:], start=sent):
            t.send(topics.ingress, b, f"k{i}".encode(), signed_headers(key, trader, b))
            if i == kill_at:
                t.flush()
                procs[0].send_signal(signal.SIGKILL)  # mid-stream, without any goodbye
            if i % 100 == 0:
                time.sleep(0.05)  # a stream, not one burst
        t.flush()
        seen: dict[bytes, int] = {}
        deadline = time.monotonic() + 120
        while len(seen) < N and time.monotonic() < deadline:
            for r in inbox.poll(0.5, 2000):
                mid = dict(r.headers).get("sw-message-id", b"")
                seen[mid] = seen.get(mid, 0) + 1
        inbox.close()
        assert len(seen) == N, f"lost: {N - len(seen)}"  # every message reached its receiver
        # the ledger marks a batch delivered once its receipts are out too: one round trip after the messages
        _wait(lambda: _ledger(tmp_path)[1] == N, 30, "the ledger to mark every message delivered")
        rows, delivered = _ledger(tmp_path)
        assert rows == (N, N)  # applied once each, despite the redelivery after the kill
        assert delivered == N
        assert procs[0].wait(5) == -signal.SIGKILL
        assert all(_processed(p) > 0 for p in ports[1:])
    finally:
        t.close()
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def _ledger(folder: Path) -> tuple[tuple[int, int], int]:
    """(messages, distinct message ids) and how many are marked delivered."""
    db = sqlite3.connect(folder / "ledger.db")
    try:
        rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM messages").fetchone()
        delivered = db.execute("SELECT COUNT(*) FROM messages WHERE status = 'delivered'").fetchone()[0]
    finally:
        db.close()
    return (int(rows[0]), int(rows[1])), int(delivered)


def _health(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
