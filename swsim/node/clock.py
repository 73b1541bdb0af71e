"""Simulated time: faster than real time for demos, or moved exactly by hand for tests."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """``now() = start + (real time elapsed) * speed + manual advances``. ``speed=0`` freezes it (tests)."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        self._start = start or datetime.now(UTC)
        self._real0 = time.monotonic()
        self.speed = speed
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._real0) * self.speed
            t = self._start + timedelta(seconds=elapsed) + self._offset
        return t.replace(microsecond=t.microsecond - t.microsecond % 1000)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta
