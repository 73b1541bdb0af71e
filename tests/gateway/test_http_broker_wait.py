"""A submit answers 503 BROKER_UNAVAILABLE (retry with the same MessageID) when the broker refuses its records,
and when its group is not done within the deliverer's broker timeout plus a margin; in-memory transport."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import gateway.http.routes_messages as routes
from gateway.http import create_app
from gateway.prepare import Inbound, Prepared
from gateway.service import Gateway, build_gateway
from schemas.message_types import MessageType
from swsim.network import api_key
from swsim.settings import Settings
from swsim.transport.base import Headers
from swsim.transport.memory import MemoryTransport

from .helpers import CHENGDU, SEED, TRADER, body, message

HEADERS = {"Content-Type": "application/json", "X-API-Key": api_key(SEED, TRADER)}


class RefusingTransport(MemoryTransport):
    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        raise RuntimeError("the broker is gone")


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    g = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), RefusingTransport())
    yield g
    g.stop()


def test_refused_records_answer_503(gw: Gateway) -> None:
    with TestClient(create_app(gw), raise_server_exceptions=False) as http:
        r = http.post("/v1/messages", content=body(message(MessageType.MT2301, TRADER, CHENGDU)), headers=HEADERS)
    assert (r.status_code, r.json()["error"]["code"]) == (503, "BROKER_UNAVAILABLE")
    assert gw.ledger.counts()["delivered"] == 0


def test_a_group_stuck_past_the_broker_timeout_answers_503(gw: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes, "_DELIVER_MARGIN_S", 0.2)
    gw.submitter.deliverer.timeout_s = 0.1  # the wait is derived from it: 0.3 s in all
    release = threading.Event()
    real = gw.pipeline.prepare

    def stuck(inbound: Inbound, now: float | None = None) -> Prepared:
        release.wait(10)
        return real(inbound, now)

    gw.pipeline.prepare = stuck  # type: ignore[method-assign]
    try:
        with TestClient(create_app(gw), raise_server_exceptions=False) as http:
            started = time.monotonic()
            data = body(message(MessageType.MT2301, TRADER, CHENGDU))
            r = http.post("/v1/messages", content=data, headers=HEADERS)
            took = time.monotonic() - started
    finally:
        release.set()
    assert (r.status_code, r.json()["error"]["code"]) == (503, "BROKER_UNAVAILABLE")
    assert 0.25 < took < 5, took
