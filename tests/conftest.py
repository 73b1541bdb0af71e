"""Shared fixtures: one embedded broker per test session (each test uses its own topic prefix and group)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from swsim.broker import EmbeddedBroker

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
