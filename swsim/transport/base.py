"""What every transport offers: send records, consume them in a group, commit after the work is done."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

Headers = list[tuple[str, bytes]]


class BrokerError(RuntimeError):
    """The broker did not take records (unreachable, or it refused them), from a transport whose client has no error
    type of its own that callers catch (kafka-python's are :class:`kafka.errors.KafkaError`)."""


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    value: bytes
    key: bytes | None = None
    headers: Headers = field(default_factory=list)
    partition: int = 0
    offset: int = -1
    timestamp_ms: int = 0


def header(headers: Headers, name: str) -> bytes | None:
    """The last value of header ``name`` (None if absent)."""
    found = None
    for k, v in headers:
        if k == name:
            found = v
    return found


class Consumer(Protocol):
    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        """Records not yet handed out to this consumer (may be empty)."""
        ...

    def commit(self) -> None:
        """Commit everything handed out so far (call only after the work is done)."""
        ...

    def rewind(self) -> None:
        """Read every partition again from its beginning (after the broker lost its state: see
        swsim/transport/generation.py). Call from the thread that polls."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    def send(self, topic: str, value: bytes, key: bytes | None = None, headers: Headers | None = None) -> None:
        """Queue a record; delivery is confirmed by :meth:`flush`."""
        ...

    def flush(self, timeout_s: float = 30.0) -> None:
        """Block until every queued record is acknowledged by the broker; raise if any failed."""
        ...

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        """Send ``(topic, value, key, headers)`` records and wait until the broker acknowledged exactly these
        (safe to call from several threads at once); raise if any failed."""
        ...

    def ensure_topics(self, topics: dict[str, int], replication: int = 1) -> None:
        """Create the topics (name -> partitions) that do not exist yet, with ``replication`` copies each."""
        ...

    def consumer(
        self, topics: list[str], group: str, from_beginning: bool = True, assign: bool = False, fetch_wait_ms: int = 0
    ) -> Consumer:
        """A consumer in ``group``. ``assign=True``: take every partition of the topics directly (no group
        membership, no join wait; offsets are still committed under ``group``) for a single reader per topic.
        ``fetch_wait_ms``: how long a broker may hold an empty fetch (0: the transport's default)."""
        ...

    def close(self) -> None: ...
