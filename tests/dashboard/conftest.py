"""The dashboard's tests serve the HTTP app of the in-memory gateway ``gw`` (tests/conftest.py: no broker, its
ledger in a temporary folder) on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.http import create_app
from gateway.service import Gateway
from swsim.broker import free_port
from swsim.serve import BackgroundServer


@pytest.fixture
def url(gw: Gateway) -> Iterator[str]:
    server = BackgroundServer(create_app(gw), "127.0.0.1", free_port())
    assert server.start()
    yield server.url
    server.stop()
