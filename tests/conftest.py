"""Shared fixtures: one embedded broker per test session (each test uses its own topic prefix and group), and a
gateway on the in-memory transport for tests that need no broker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from gateway.service import Gateway, build_gateway
from swsim.broker import EmbeddedBroker
from swsim.settings import Settings
from swsim.transport.memory import MemoryTransport
from tests.gateway.helpers import SEED

# CI runs are reproducible (the same examples every time); local runs stay random and keep hunting for new cases
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as b:
        yield b


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server (Debian's `postgresql`, installed by `make`) on a free loopback port; yields
    the URL of its `postgres` database. Each test creates a database of its own."""
    from tests.pgserver import running_server

    with running_server() as url:
        yield url


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway on the in-memory transport (no broker), its ledger in ``tmp_path``. A test module that needs another
    kind defines a ``gw`` of its own."""
    g = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), MemoryTransport())
    yield g
    g.stop()
