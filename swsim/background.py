"""One daemon thread that runs an object's ``run`` loop until it is asked to stop: the start/stop every long-lived
worker of a process shares (a node's loop, the broker-generation watch, the tax line's sender, a carrier's work
orders). ``run`` should return soon after ``self._stop`` is set."""

from __future__ import annotations

import threading


class Background:
    def __init__(self, thread_name: str) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_name = thread_name

    def run(self) -> None:
        raise NotImplementedError

    def start_thread(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop_thread(self, timeout_s: float = 10.0) -> None:
        """Ask the loop to stop and wait for it (at most ``timeout_s``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        self._thread = None
