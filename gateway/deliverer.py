"""Group commit for the HTTP path: concurrent requests share one broker round trip.

Each request's records go to the same few partitions (the events topic, the sender's inbox), so acknowledging
requests one by one would queue them behind each other. The deliverer thread takes everything queued, delivers
it at once, marks it delivered in the ledger, and wakes every waiting request.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from gateway.pipeline import Outcome, Pipeline
from swsim.transport.base import Transport


class Deliverer:
    def __init__(self, transport: Transport, pipeline: Pipeline, timeout_s: float = 30.0) -> None:
        self.transport = transport
        self.pipeline = pipeline
        self.timeout_s = timeout_s
        self._queue: queue.Queue[tuple[list[Outcome], Future[None]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="deliverer", daemon=True)
        self._thread.start()

    def deliver(self, outcomes: list[Outcome]) -> None:
        """Block until the outputs of ``outcomes`` are acknowledged by the broker (raise if they were not)."""
        done: Future[None] = Future()
        self._queue.put((outcomes, done))
        done.result(timeout=self.timeout_s + 5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            items = [first]
            while True:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                items.append(nxt)
            group: list[Outcome] = [o for outcomes, _ in items for o in outcomes]
            try:
                self.pipeline.produce(self.transport, group, self.timeout_s)
            except Exception as exc:
                for _, fut in items:
                    fut.set_exception(exc)
                continue
            for _, fut in items:
                fut.set_result(None)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
