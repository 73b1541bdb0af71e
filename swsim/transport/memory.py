"""In-memory transport for unit tests: same protocol, one partition per topic, group offsets kept here."""

from __future__ import annotations

import threading
import time

from swsim.transport.base import Headers, Record


class MemoryTransport:
    def __init__(self) -> None:
        self.topics: dict[str, list[Record]] = {}
        self.committed: dict[tuple[str, str], int] = {}
        self._lock = threading.Condition()

    def send(self, topic: str, value: bytes, key: bytes | None = None, headers: Headers | None = None) -> None:
        with self._lock:
            log = self.topics.setdefault(topic, [])
            log.append(Record(topic, value, key, list(headers or []), 0, len(log), int(time.time() * 1000)))
            self._lock.notify_all()

    def flush(self, timeout_s: float = 30.0) -> None:
        return None

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        for topic, value, key, headers in records:
            self.send(topic, value, key, headers)

    def ensure_topics(self, topics: dict[str, int], replication: int = 1) -> None:
        with self._lock:
            for name in topics:
                self.topics.setdefault(name, [])

    def consumer(
        self, topics: list[str], group: str, from_beginning: bool = True, assign: bool = False, fetch_wait_ms: int = 0
    ) -> _MemoryConsumer:
        return _MemoryConsumer(self, topics, group)

    def close(self) -> None:
        return None


class _MemoryConsumer:
    def __init__(self, transport: MemoryTransport, topics: list[str], group: str) -> None:
        self.t = transport
        self.topics = topics
        self.group = group
        self.position = {tp: transport.committed.get((group, tp), 0) for tp in topics}

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        deadline = time.monotonic() + timeout_s
        with self.t._lock:
            while True:
                out: list[Record] = []
                for tp in self.topics:
                    log = self.t.topics.get(tp, [])
                    pos = self.position[tp]
                    take = log[pos : pos + max_records - len(out)]
                    out.extend(take)
                    self.position[tp] = pos + len(take)
                if out or time.monotonic() >= deadline:
                    return out
                self.t._lock.wait(max(0.0, deadline - time.monotonic()))

    def commit(self) -> None:
        with self.t._lock:
            for tp, pos in self.position.items():
                self.t.committed[(self.group, tp)] = pos

    def rewind(self) -> None:
        self.position = dict.fromkeys(self.topics, 0)

    def close(self) -> None:
        return None
