"""The router commits its consumer offsets after the work, but not after every batch: at most every
COMMIT_EVERY_S while records keep coming, at once when the ingress goes idle, and when it stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import gateway.router
from gateway.router import COMMIT_EVERY_S, Router
from gateway.service import build_gateway
from schemas.message_types import MessageType
from swsim.client import signed_headers
from swsim.network import private_key
from swsim.settings import Settings
from swsim.transport.base import Record
from swsim.transport.memory import MemoryTransport, _MemoryConsumer

from .helpers import CHENGDU, SEED, TRADER, body, message


class CountingConsumer(_MemoryConsumer):
    commits = 0

    def commit(self) -> None:
        CountingConsumer.commits += 1
        super().commit()


class Transport(MemoryTransport):
    def consumer(self, topics: list[str], group: str, *_a: object, **_k: object) -> CountingConsumer:
        return CountingConsumer(self, topics, group)


def _publish(t: MemoryTransport, topic: str, n: int) -> None:
    key = private_key(SEED, TRADER)
    for _ in range(n):
        data = body(message(MessageType.MT2301, TRADER, CHENGDU))
        t.send(topic, data, None, signed_headers(key, TRADER, data))


def _wait(pred: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not pred() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_offsets_committed_when_idle_and_not_after_every_batch(tmp_path: Path) -> None:
    t = Transport()
    gw = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), t)
    gw.ensure_topics()
    router = Router(t, gw.pipeline, gw.topics, "g", gw.metrics, max_records=1)  # one record per batch
    CountingConsumer.commits = 0
    stop = threading.Event()
    thread = threading.Thread(target=router.run, args=(stop,), daemon=True)
    _publish(t, gw.topics.ingress, 40)
    started = time.monotonic()
    thread.start()
    try:
        _wait(lambda: router.committed == 40)
        took = time.monotonic() - started
        assert router.committed == 40
        assert t.committed[("g", gw.topics.ingress)] == 40  # idle after the last: committed at once
        assert CountingConsumer.commits <= took / COMMIT_EVERY_S + 2, (CountingConsumer.commits, took)
        assert CountingConsumer.commits < 40
        _publish(t, gw.topics.ingress, 1)
        _wait(lambda: router.committed == 41)
        assert t.committed[("g", gw.topics.ingress)] == 41
    finally:
        stop.set()
        thread.join(10)
        gw.stop()


def test_stopping_commits_what_was_handled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A router stopped while records keep coming commits what it handled, so the next member of its group does not
    read it again (no periodic commit can happen here: the period is a minute and the ingress is never idle)."""
    monkeypatch.setattr(gateway.router, "COMMIT_EVERY_S", 60.0)
    stop = threading.Event()

    class StoppingConsumer(CountingConsumer):
        handed = 0

        def poll(self, timeout_s: float, max_records: int) -> list[Record]:
            records = super().poll(timeout_s, max_records)
            StoppingConsumer.handed += len(records)
            if StoppingConsumer.handed >= 5:
                stop.set()  # the router handles this batch, then leaves its loop
            return records

    class StoppingTransport(MemoryTransport):
        def consumer(self, topics: list[str], group: str, *_a: object, **_k: object) -> StoppingConsumer:
            return StoppingConsumer(self, topics, group)

    t = StoppingTransport()
    gw = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), t)
    gw.ensure_topics()
    router = Router(t, gw.pipeline, gw.topics, "g", gw.metrics, max_records=1)
    CountingConsumer.commits = 0
    _publish(t, gw.topics.ingress, 10)
    try:
        router.run(stop)  # returns once stopped
    finally:
        gw.stop()
    assert router.processed == 5
    assert CountingConsumer.commits == 1
    assert t.committed[("g", gw.topics.ingress)] == 5
    assert router.committed == 5
