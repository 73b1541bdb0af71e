"""Shared fixtures: one embedded broker per test session (each test uses its own topic prefix and group)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swsim.broker import EmbeddedBroker


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as b:
        yield b
