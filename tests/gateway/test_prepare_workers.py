"""Prepare worker processes: what a worker finds is what the gateway process finds itself, for every kind of
message (delivered, refused at each step, XML and JSON, Kafka-signed and HTTP-authenticated); a caller never waits
for a busy worker; a dead worker is replaced and its call answered all the same; the HTTP path and a router use
them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

from gateway.prepare import Inbound, Prepared
from gateway.router import inbound_from_record
from gateway.service import Gateway, build_gateway
from schemas.message_types import MessageType
from swsim.client import signed_headers
from swsim.network import private_key
from swsim.settings import Settings
from swsim.transport.base import Record
from swsim.transport.memory import MemoryTransport

from .helpers import CHENGDU, CHONGQING, SEED, TRADER, body, message


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("prep"), network_seed=SEED, prepare_workers=1)
    g = build_gateway(settings, MemoryTransport())
    assert g.pipeline.workers is not None
    assert g.pipeline.workers.wait_ready(60)
    yield g
    g.stop()


def _signed(data: bytes, sender: str = TRADER, signer: str = TRADER) -> Inbound:
    headers = signed_headers(private_key(SEED, signer), sender, data)
    return inbound_from_record(Record("ingress", data, None, headers, 0, 0, int(time.time() * 1000)))


def _http(gw: Gateway, data: bytes, party: str = TRADER) -> Inbound:
    return Inbound(body=data, channel="http", claimed_sender=party, authenticated=gw.registry.get(party))


def _cases(gw: Gateway) -> list[Inbound]:
    ok = message(MessageType.MT2301, TRADER, CHENGDU)
    return [
        _http(gw, body(ok)),
        _http(gw, body(ok, "xml")),
        _signed(body(message(MessageType.MT2301, TRADER, CHONGQING))),
        _signed(body(ok), signer=CHENGDU),  # signature does not verify
        _http(gw, b'{"Head": {"MessageType": "MT2301"}}'),  # invalid
        _http(gw, b"\xff\xfe not a message"),
        _http(gw, body(message(MessageType.MT2301, CHENGDU, CHONGQING))),  # sender mismatch
        _http(gw, body(message(MessageType.MT2301, TRADER, "9999"))),  # unknown receiver
        _http(gw, body(message(MessageType.CD101, TRADER, CHENGDU))),  # a trader may not send a clearance
        Inbound(body=body(ok), channel="kafka"),  # unsigned
    ]


def _view(p: Prepared) -> dict[str, object]:
    d = asdict(p)
    d["inbound"] = id(p.inbound)  # the very inbound given, not a copy
    return d


def test_a_worker_finds_what_the_gateway_finds(gw: Gateway) -> None:
    workers = gw.pipeline.workers
    assert workers is not None
    items = _cases(gw)
    now = time.time()
    before = workers.remote
    remote = workers.prepare(items, now)
    assert workers.remote == before + len(items)  # the worker did it, not the fallback
    local = [gw.pipeline.preparer.prepare(i, now) for i in items]
    assert [_view(p) for p in remote] == [_view(p) for p in local]
    assert [bool(p.issues) for p in remote] == [False, False, False] + [True] * 7
    assert remote[0].sender is gw.registry.get(TRADER)  # the gateway's own party objects


def test_a_caller_never_waits_for_a_busy_worker(gw: Gateway) -> None:
    workers = gw.pipeline.workers
    assert workers is not None
    busy = workers._idle.get(timeout=10)  # as if another caller were using the only worker
    try:
        before = workers.remote
        [p] = workers.prepare([_http(gw, body(message(MessageType.MT2301, TRADER, CHENGDU)))])
        assert not p.issues
        assert p.receivers == [CHENGDU]
        assert workers.remote == before  # prepared by the caller
    finally:
        workers._idle.put(busy)


def test_a_dead_worker_is_replaced_and_its_call_answered(gw: Gateway) -> None:
    workers = gw.pipeline.workers
    assert workers is not None
    [worker] = workers._all
    worker.proc.kill()
    worker.proc.wait(10)
    items = _cases(gw)[:3]
    replaced = workers.replaced
    prepared = workers.prepare(items)
    assert [bool(p.issues) for p in prepared] == [False, False, False]
    assert workers.replaced == replaced + 1
    assert workers.wait_ready(60)
    [fresh] = workers._all
    assert fresh is not worker
    assert fresh.proc.poll() is None
    before = workers.remote
    workers.prepare(items)
    assert workers.remote == before + 3


@pytest.mark.parametrize("big", [False, True], ids=["small-call", "call-larger-than-the-socket-buffer"])
def test_a_stuck_worker_is_replaced(gw: Gateway, monkeypatch: pytest.MonkeyPatch, big: bool) -> None:
    """A stopped worker holds its caller no longer than the timeout, also when the call is too large for the
    socket's buffer (the caller's write used to wait for ever for the worker to read)."""
    workers = gw.pipeline.workers
    assert workers is not None
    assert workers.wait_ready(60)
    monkeypatch.setattr("gateway.prepare_workers.CALL_TIMEOUT_S", 0.5)
    [worker] = workers._all
    os.kill(worker.proc.pid, signal.SIGSTOP)
    replaced, remote = workers.replaced, workers.remote
    items = _cases(gw)[:1] + ([Inbound(body=b"x" * (1 << 20), channel="kafka")] * 2 if big else [])
    t0 = time.monotonic()
    [p, *rest] = workers.prepare(items)
    assert time.monotonic() - t0 < 10
    assert p.receivers == [CHENGDU]
    assert len(rest) == (2 if big else 0)
    assert all(r.issues for r in rest)  # refused: not signed, not a message
    assert workers.remote == remote  # answered by the caller
    assert workers.replaced == replaced + 1
    assert worker.proc.poll() is not None  # killed
    assert workers.wait_ready(60)


def test_http_path_and_router_use_the_workers(gw: Gateway) -> None:
    workers = gw.pipeline.workers
    assert workers is not None
    before = workers.remote
    [o] = gw.submitter.submit([_http(gw, body(message(MessageType.MT2301, TRADER, CHENGDU)))]).result(30)
    assert o.status == "delivered"
    assert workers.remote == before + 1
    gw.start_router()
    try:
        data = body(message(MessageType.MT2301, TRADER, CHENGDU))
        gw.transport.send(gw.topics.ingress, data, None, signed_headers(private_key(SEED, TRADER), TRADER, data))
        deadline = time.monotonic() + 30
        while workers.remote < before + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert workers.remote == before + 2
        deadline = time.monotonic() + 30
        while gw.ledger.counts()["delivered"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gw.ledger.counts()["delivered"] == 2
    finally:
        gw.stop_routers(join_wait_s=0)


def test_router_processes_start_no_workers_of_their_own(tmp_path: Path) -> None:
    from gateway.workers import RouterWorkers

    env = RouterWorkers(Settings(data_dir=tmp_path, prepare_workers=2), 1).child_env()
    assert env["SWSIM_PREPARE_WORKERS"] == "0"
    assert env["SWSIM_DATA_DIR"] == str(tmp_path)


def test_workers_start_whatever_the_parents_main_module(tmp_path: Path) -> None:
    """A worker is a fresh interpreter: a parent run from ``-c`` (no main module file to import again) has ready
    workers, and the parent's main code does not run again in them."""
    code = (
        "import sys, tempfile\n"
        "from gateway.service import build_gateway\n"
        "from swsim.settings import Settings\n"
        "from swsim.transport.memory import MemoryTransport\n"
        f"gw = build_gateway(Settings(data_dir={str(tmp_path)!r}, prepare_workers=1), MemoryTransport())\n"
        "print('main ran', flush=True)\n"
        "ok = gw.pipeline.workers.wait_ready(60)\n"
        "gw.stop()\n"
        "sys.exit(0 if ok else 1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("main ran") == 1


def test_no_worker_starts_after_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replacement started while the workers are being closed (a call failed just then) does not outlive them."""
    import gateway.prepare_workers as pw

    gw = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED, prepare_workers=1), MemoryTransport())
    workers = gw.pipeline.workers
    assert workers is not None
    gw.stop()
    started: list[pw._Worker] = []

    class Spy(pw._Worker):
        def __init__(self, settings: Settings, name: str) -> None:
            super().__init__(settings, name)
            started.append(self)

    monkeypatch.setattr(pw, "_Worker", Spy)
    workers._start("late")
    [late] = started
    assert late.proc.wait(10) is not None  # told to stop at once
    assert workers._all == []
