"""The librdkafka clients (confluent-kafka), behind the same seam as kafka-python's: an idempotent producer, a
group consumer for the gateway's routers, and a tail reader for the benchmark's receipts. Measured here, librdkafka
costs a tenth of kafka-python's CPU per acknowledged produce round trip (0.21 ms against 1.9 ms), and consumed 6,000
records of 2.8 KiB in 0.05 s of CPU. Settings ``SWSIM_KAFKA_PRODUCER`` / ``SWSIM_KAFKA_CONSUMER``; kafka-python is
the default of both."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from swsim.transport.base import BrokerError, Headers, Record


class _Fatal:
    """The first fatal error librdkafka reported for one producer. Kept apart from the producer: a callback given to
    librdkafka must not reference it, or the cycle keeps the instance (and its connections) until the garbage
    collector runs."""

    def __init__(self) -> None:
        self.error: str | None = None

    def note(self, err: Any) -> None:
        """An error from librdkafka (error callback, delivery report, or a raised KafkaException)."""
        from confluent_kafka import KafkaError

        if err.fatal() or err.code() == KafkaError._FATAL:
            self.error = self.error or str(err)


class _Acks:
    """Counts the delivery reports of one group of records (:meth:`add` counts one more)."""

    def __init__(self, n: int, fatal: _Fatal) -> None:
        self.left = n
        self.errors: list[str] = []
        self.done = threading.Event()
        self._fatal = fatal
        self._lock = threading.Lock()
        if n == 0:
            self.done.set()

    def add(self) -> None:
        with self._lock:
            self.left += 1

    def report(self, err: Any, _msg: Any) -> None:
        with self._lock:
            if err is not None:
                self.errors.append(str(err))
            self.left -= 1
            if self.left <= 0:
                self.done.set()
        if err is not None:
            self._fatal.note(err)


class ConfluentProducer:
    """An idempotent librdkafka producer (acks=all), waiting on exactly the records of each call.

    After a fatal error (e.g. OUT_OF_ORDER_SEQUENCE_NUMBER once the broker lost its state: an idempotent session
    cannot recover) librdkafka refuses every later produce: :attr:`fatal` is then set, and the owner replaces the
    instance (:meth:`abandon`)."""

    def __init__(self, bootstrap: str, client_id: str, linger_ms: int) -> None:
        from confluent_kafka import Producer

        self._fatal = _Fatal()
        self.p = Producer(
            {
                "bootstrap.servers": bootstrap,
                "client.id": client_id,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": linger_ms,
                "message.max.bytes": 8 * 1024 * 1024,
                "error_cb": self._fatal.note,
            }
        )
        self._lock = threading.Lock()
        self._sends = _Acks(0, self._fatal)  # the records of send() since the last flush()

    @property
    def fatal(self) -> str | None:
        """The fatal error this producer hit, if any: it then refuses every produce, for good."""
        return self._fatal.error

    def _failed(self, e: Exception) -> None:
        """A call into librdkafka raised: a fatal error shows as a KafkaException from poll(), flush() or produce()
        (not a BufferError: queue full)."""
        err = e.args[0] if e.args else None
        if hasattr(err, "fatal"):
            self._fatal.note(err)

    def _produce(self, topic: str, value: bytes, key: bytes | None, headers: Headers | None, on_delivery: Any) -> None:
        try:
            self.p.produce(topic, value=value, key=key, headers=_hdrs(headers), on_delivery=on_delivery)
        except Exception as e:
            self._failed(e)
            raise

    def _poll(self, timeout_s: float) -> None:
        try:
            self.p.poll(timeout_s)
        except Exception as e:
            self._failed(e)
            raise

    def send(self, topic: str, value: bytes, key: bytes | None, headers: Headers | None) -> None:
        sends = self._sends
        self._produce(topic, value, key, headers, sends.report)
        sends.add()  # after produce(): a refused record is not counted (send() raised for it)
        self._poll(0)

    def flush(self, timeout_s: float) -> None:
        with self._lock:
            sends, self._sends = self._sends, _Acks(0, self._fatal)
        try:
            left = self.p.flush(timeout_s)
        except Exception as e:
            self._failed(e)
            raise
        if left or sends.left > 0 or sends.errors:
            why = f": {sends.errors[:3]}" if sends.errors else f" within {timeout_s:g} s (is it reachable?)"
            raise BrokerError(f"broker did not acknowledge {max(left, sends.left)} record(s){why}")

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float) -> None:
        acks = _Acks(len(records), self._fatal)
        for t, v, k, h in records:
            self._produce(t, v, k, h, acks.report)
        deadline = time.monotonic() + timeout_s
        while not acks.done.is_set():
            if time.monotonic() > deadline:
                raise BrokerError(f"broker did not acknowledge {acks.left} record(s) within {timeout_s} s")
            self._poll(0.001)  # serves delivery reports (of any caller; each counts its own)
        if acks.errors:
            raise BrokerError(f"broker refused record(s): {acks.errors[:3]}")

    def abandon(self) -> int:
        """Stop using this producer without waiting for the broker: purge what it still holds (a deliver() waiting
        on it raises) and return how many records queued by :meth:`send` since the last flush were not
        acknowledged. The librdkafka instance is destroyed when its last reference goes."""
        with contextlib.suppress(Exception):
            self.p.purge(in_queue=True, in_flight=True, blocking=False)
            self.p.poll(0)  # serves the delivery reports of the purged records
        with self._lock:
            sends, self._sends = self._sends, _Acks(0, self._fatal)
        return max(0, sends.left) + len(sends.errors)


def _hdrs(headers: Headers | None) -> list[tuple[str, str | bytes | None]]:
    return list(headers or [])


class ConfluentGroupConsumer:
    """A librdkafka consumer-group member with the same behaviour as
    :class:`swsim.transport.kafka.KafkaGroupConsumer`: no automatic commits (:meth:`commit` commits what
    :meth:`poll` handed out), the same session timing, and the same fetch wait. Group members only: the transport's
    readers that assign partitions stay on kafka-python."""

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        topics: list[str],
        group: str,
        from_beginning: bool,
        fetch_wait_ms: int,
        session_timeout_ms: int,
    ) -> None:
        from confluent_kafka import Consumer

        self.c = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "client.id": client_id,
                "group.id": group,
                "enable.auto.commit": False,  # commit only after the work is done
                "auto.offset.reset": "earliest" if from_beginning else "latest",
                "session.timeout.ms": session_timeout_ms,
                "heartbeat.interval.ms": max(300, session_timeout_ms // 6),
                "fetch.wait.max.ms": fetch_wait_ms,
                "max.partition.fetch.bytes": 8 * 1024 * 1024,
            }
        )
        self.c.subscribe(topics)

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        return _poll(self.c, timeout_s, max_records)

    def commit(self) -> None:
        from confluent_kafka import KafkaError, KafkaException

        try:
            self.c.commit(asynchronous=False)
        except KafkaException as e:
            if e.args[0].code() != KafkaError._NO_OFFSET:  # nothing handed out since the last commit
                raise

    @property
    def ready(self) -> bool:
        """Whether partitions are assigned (a group member has completed its join)."""
        return bool(self.c.assignment())

    def rewind(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        for tp in self.c.assignment():
            with contextlib.suppress(Exception):  # a partition just revoked: it restarts from its committed offset
                self.c.seek(TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING))

    def close(self) -> None:
        self.c.close()


class ConfluentTailReader:
    """A librdkafka reader of every partition of one topic from its current end, with no consumer group (for the
    benchmark's receipt reader, whose own CPU must not be taken from the gateway it measures). The end offsets are
    read before it returns, so nothing written after the constructor is missed. On the embedded broker an end offset
    can be reported short (ENGINEERING.md, Tansu quirks): the reader then also sees some older records, which its
    caller ignores."""

    def __init__(self, bootstrap: str, client_id: str, topic: str, fetch_wait_ms: int, timeout_s: float = 15.0) -> None:
        from confluent_kafka import Consumer, TopicPartition

        self.c = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "client.id": client_id,
                "group.id": client_id,  # required by the client; never joined (assign) nor committed
                "enable.auto.commit": False,
                "fetch.wait.max.ms": fetch_wait_ms,
            }
        )
        try:
            meta = self.c.list_topics(topic, timeout=timeout_s).topics[topic]
            if meta.error is not None:
                raise BrokerError(f"topic {topic}: {meta.error}")
            ends = []
            for p in sorted(meta.partitions):
                _low, high = self.c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)
                ends.append(TopicPartition(topic, p, high))
            self.c.assign(ends)
        except BaseException:
            self.c.close()
            raise

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        return _poll(self.c, timeout_s, max_records)

    def close(self) -> None:
        self.c.close()


def _poll(c: Any, timeout_s: float, max_records: int) -> list[Record]:
    """Up to ``max_records`` records: librdkafka's consume() waits for max_records or the timeout, so wait for the
    first record only, then take what is already fetched. A consumer error raises."""
    first = c.poll(timeout_s)
    if first is None:
        return []
    messages: list[Any] = [first, *c.consume(max_records - 1, 0)] if max_records > 1 else [first]
    for m in messages:
        err = m.error()
        if err is not None:
            raise BrokerError(f"consumer error on {m.topic()}[{m.partition()}]: {err}")
    return [_record(m) for m in messages]


def _record(m: Any) -> Record:
    """A consumed message (not an error) in the transport's terms: header values as bytes."""
    headers: Headers = [(k, v if isinstance(v, bytes) else (v or "").encode()) for k, v in (m.headers() or [])]
    return Record(m.topic(), m.value() or b"", m.key(), headers, m.partition(), m.offset(), m.timestamp()[1])
