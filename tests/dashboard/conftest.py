"""A gateway for the dashboard's tests: an in-memory transport (no broker), its ledger in a temporary folder, its
HTTP app served on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.http import create_app
from gateway.service import Gateway, build_gateway
from swsim.broker import free_port
from swsim.serve import BackgroundServer
from swsim.settings import Settings
from swsim.transport.memory import MemoryTransport

from .helpers import SEED


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    g = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), MemoryTransport())
    yield g
    g.stop()


@pytest.fixture
def url(gw: Gateway) -> Iterator[str]:
    server = BackgroundServer(create_app(gw), "127.0.0.1", free_port())
    assert server.start()
    yield server.url
    server.stop()
