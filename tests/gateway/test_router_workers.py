"""Router processes (gateway/workers.py): several routers as processes of their own share the ingress over the real
embedded broker and one SQLite ledger; `swsim gateway --router-processes` stops them on SIGTERM, and a worker does
not outlive a gateway that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from gateway.service import build_gateway
from gateway.workers import RouterWorkers, settings_env
from swsim.bench.gateway_bench import make_bodies
from swsim.broker import EmbeddedBroker, free_port
from swsim.client import signed_headers
from swsim.network import Role, default_parties, private_key
from swsim.proc import wait_healthy
from swsim.settings import Settings
from swsim.transport.kafka import KafkaTransport

SEED = "swsim-demo-network"


def _settings(broker: EmbeddedBroker, tmp_path: Path) -> Settings:
    return Settings(
        kafka_bootstrap=broker.bootstrap,
        topic_prefix="rw" + uuid.uuid4().hex[:8],
        data_dir=tmp_path,
        network_seed=SEED,
        ingress_partitions=4,
    )


def _workers_alive() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "gateway.workers"], capture_output=True, text=True).stdout
    return {int(x) for x in out.split()}


def test_settings_reach_a_worker_unchanged(tmp_path: Path) -> None:
    s = Settings(
        kafka_bootstrap="h:1",
        topic_prefix="x1",
        data_dir=tmp_path,
        ledger_path=tmp_path / "l.db",
        network_seed="seed",
        ingress_partitions=3,
        redeliver_window_s=12.5,
    )
    env = settings_env(s)
    old = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SWSIM_")}
    try:
        os.environ.update(env)
        assert Settings() == s
    finally:
        for k in env:
            os.environ.pop(k, None)
        os.environ.update(old)


def test_two_router_processes_deliver_everything_once(broker: EmbeddedBroker, tmp_path: Path) -> None:
    settings = _settings(broker, tmp_path)
    gw = build_gateway(settings, KafkaTransport(broker.bootstrap, "rw-test"))
    gw.ensure_topics()
    workers = RouterWorkers(settings, 2, tmp_path).start()
    try:
        trader = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)
        key = private_key(SEED, trader)
        bodies = make_bodies(300, trader, "7900", uuid.uuid4().hex[:6])
        t = KafkaTransport(broker.bootstrap, "rw-load")
        for i, b in enumerate(bodies):
            t.send(gw.topics.ingress, b, f"k{i}".encode(), signed_headers(key, trader, b))
        t.send(gw.topics.ingress, bodies[0], b"k0", signed_headers(key, trader, bodies[0]))  # a duplicate
        t.flush()
        t.close()
        deadline = time.monotonic() + 90
        while gw.ledger.counts()["delivered"] < len(bodies) and time.monotonic() < deadline:
            time.sleep(0.1)
        counts = gw.ledger.counts()
        assert counts["messages"] == len(bodies), counts  # the duplicate recorded once
        assert counts["delivered"] == len(bodies), counts
        assert counts["deadletters"] == 0, counts
    finally:
        workers.stop()
        gw.stop()
    assert all(p.returncode is not None for p in workers.procs)


def test_the_gateway_stops_its_router_processes(broker: EmbeddedBroker, tmp_path: Path) -> None:
    before = _workers_alive()
    args = [sys.executable, "-m", "swsim", "gateway", "--routers", "0", "--router-processes", "2"]
    for how in (signal.SIGTERM, signal.SIGKILL):
        port = free_port()  # and a prefix (so a consumer group) of its own each time
        env = {**os.environ, **settings_env(_settings(broker, tmp_path / how.name)), "SWSIM_HTTP_PORT": str(port)}
        p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthy(p, "gateway", f"http://127.0.0.1:{port}/health", timeout_s=150)
            deadline = time.monotonic() + 60
            while len(_workers_alive() - before) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(_workers_alive() - before) == 2
            p.send_signal(how)
            code = p.wait(60)
            if how == signal.SIGTERM:
                assert code == 0  # a clean stop, router processes included
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        deadline = time.monotonic() + 30  # killed: the workers notice they lost their gateway
        while _workers_alive() - before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _workers_alive() - before
