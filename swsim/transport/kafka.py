"""Kafka transport (kafka-python with crc32c): idempotent producer, acks=all, manual commits."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from swsim.transport.base import Consumer, Headers, Record
from swsim.transport.rdkafka import ConfluentGroupConsumer, ConfluentProducer

log = logging.getLogger(__name__)


FETCH_MAX_WAIT_MS = 50

LEAN = {"metrics_enabled": False}
"""Options for every long-lived kafka-python client: its own metrics (never read here) cost about 10% of the CPU
of each acknowledged produce round trip (measured: 1.92 -> 1.72 ms). The benchmark baselines use them too."""

BLOCK_MS = 1000
"""How long one kafka-python ``send()`` may block for a topic's metadata (its ``max_block_ms``: 60 s by default,
whatever the caller's timeout). A send is tried again until its call's deadline, so the caller's timeout bounds the
wait, within about this much."""

SEND_TIMEOUT_S = 30.0
"""The longest :meth:`KafkaTransport.send` (which takes no timeout) blocks, for a topic's metadata or to start a
producer: the default timeout of ``flush()`` and ``deliver()``."""

CLOSE_WAIT_S = 1.0
"""How long dropping a kafka-python producer waits for its I/O thread to end (it fails what it held, then closes its
sockets: measured, a few ms)."""

CLOSE_FLUSH_S = 10.0
"""How long :meth:`KafkaTransport.close` waits for the broker to acknowledge what is still queued."""


class Unacknowledged(KafkaError):  # type: ignore[misc]  # kafka-python is untyped
    """Records queued by ``send()`` were lost unacknowledged when their producer was dropped."""


class KafkaTransport:
    """kafka-python clients by default. ``producer="confluent"`` makes the producer librdkafka (confluent-kafka):
    measured here, 7 us per produce and 0.3 ms per acknowledged round trip against 85 us and 2 ms for kafka-python
    (both idempotent, acks=all). ``consumer="confluent"`` does the same for consumer-group members; readers that
    assign partitions stay on kafka-python (see :mod:`swsim.transport.rdkafka`).

    A producer that failed is dropped and a new one started on next use (see :meth:`reset_producer`). What a dropped
    producer still held fails: a ``deliver()`` waiting on it raises, and the next ``flush()`` raises for records
    queued by ``send()`` that were not acknowledged."""

    def __init__(
        self,
        bootstrap: str,
        client_id: str = "swsim",
        session_timeout_ms: int = 6000,
        linger_ms: int = 0,
        producer: str = "kafka-python",
        consumer: str = "kafka-python",
    ) -> None:
        for what, kind in (("producer", producer), ("consumer", consumer)):
            if kind not in ("kafka-python", "confluent"):
                raise ValueError(f"unknown {what} {kind!r}: kafka-python or confluent")
        self.producer_kind = producer
        self.consumer_kind = consumer
        self._confluent: ConfluentProducer | None = None
        self.bootstrap = bootstrap
        # linger 0: measured here, a 2 ms linger adds ~3 ms to every acknowledged round trip; records queued
        # while a request is in flight are batched anyway
        self.linger_ms = linger_ms
        self.client_id = client_id
        self.session_timeout_ms = session_timeout_ms
        self._producer: KafkaProducer | None = None
        self._pending: list[Any] = []
        self._dropped = 0
        """Records queued by send() and lost unacknowledged with a dropped producer: the next flush() raises."""
        self._producer_lock = threading.Lock()

    def _drop_producer(self, failed: KafkaProducer) -> None:
        """Forget a producer that failed, so the next send starts a new one, and close it. An idempotent producer's
        session does not survive a broker that lost its state (the embedded broker restarted): it fails for good
        with UnknownProducerId, and only a new producer (a new producer id) can send again."""
        with self._producer_lock:
            if self._producer is failed:
                self._producer = None
                pending, self._pending = self._pending, []
                self._dropped += sum(1 for future in pending if not future.succeeded())
        _close_now(failed)

    def _drop_confluent(self, failed: ConfluentProducer) -> None:
        lost = failed.abandon()
        with self._producer_lock:
            self._dropped += lost

    def reset_producer(self) -> None:
        """Drop the producers now (the broker lost its state: an idempotent session cannot recover; kafka-python
        would retry its UnknownProducerId until each send times out, librdkafka fails for good). What they still
        held fails (see the class docstring), and is retried by the callers."""
        failed = self._producer
        if failed is not None:
            self._drop_producer(failed)
        with self._producer_lock:
            confluent, self._confluent = self._confluent, None
        if confluent is not None:
            self._drop_confluent(confluent)

    @property
    def producer(self) -> KafkaProducer:
        return self._kafka_producer(time.monotonic() + SEND_TIMEOUT_S)

    def _kafka_producer(self, deadline: float) -> KafkaProducer:
        with self._producer_lock:
            if self._producer is None:
                self._producer = self._new_producer(deadline)
            return self._producer

    def _new_producer(self, deadline: float) -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",  # set explicitly: a conflicting option would silently disable idempotence
            enable_idempotence=True,
            linger_ms=self.linger_ms,
            max_in_flight_requests_per_connection=5,
            retries=2147483647,
            request_timeout_ms=15000,
            max_request_size=8 * 1024 * 1024,
            # bounded by the caller's deadline (see BLOCK_MS): the constructor waits for the broker up to this
            bootstrap_timeout_ms=max(BLOCK_MS, int((deadline - time.monotonic()) * 1000)),
            max_block_ms=BLOCK_MS,
            **LEAN,
        )

    @property
    def confluent(self) -> ConfluentProducer:
        """The librdkafka producer. One that hit a fatal error (after the broker lost its state: librdkafka then
        refuses every later produce) is replaced here, on next use; the record that hit the error failed already."""
        current = self._confluent
        if current is not None and current.fatal is None:
            return current
        with self._producer_lock:
            current = self._confluent
            if current is not None and current.fatal is None:
                return current
            self._confluent = fresh = ConfluentProducer(self.bootstrap, self.client_id, self.linger_ms)
        if current is not None:
            log.warning("replacing the librdkafka producer after a fatal error: %s", current.fatal)
            self._drop_confluent(current)
        return fresh

    def send(self, topic: str, value: bytes, key: bytes | None = None, headers: Headers | None = None) -> None:
        if self.producer_kind == "confluent":
            self.confluent.send(topic, value, key, headers)
            return
        deadline = time.monotonic() + SEND_TIMEOUT_S
        producer = self._kafka_producer(deadline)
        try:
            future = _send(producer, deadline, topic, value, key, headers)
        except KafkaError:
            self._drop_producer(producer)
            raise
        with self._producer_lock:
            if self._producer is producer:
                self._pending.append(future)
            elif not future.succeeded():  # dropped meanwhile (reset_producer() from another thread)
                self._dropped += 1

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait for every record queued by :meth:`send` since the last flush; raise if any was not acknowledged
        (then none of them counts as delivered)."""
        with self._producer_lock:
            producer, confluent = self._producer, self._confluent
            pending, self._pending = self._pending, []
            dropped, self._dropped = self._dropped, 0
        if confluent is not None:
            confluent.flush(timeout_s)
        try:
            if producer is not None:
                producer.flush(timeout=timeout_s)
            for future in pending:
                # raises the delivery error, if any: the caller must not commit its input then
                future.get(timeout=0)
        except KafkaError:
            if producer is not None:
                self._drop_producer(producer)
            raise
        if dropped:
            raise Unacknowledged(
                f"{dropped} record(s) queued by send() were lost unacknowledged with a dropped producer"
            )

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        if self.producer_kind == "confluent":
            self.confluent.deliver(records, timeout_s)
            return
        deadline = time.monotonic() + timeout_s
        producer = self._kafka_producer(deadline)
        try:
            futures = [_send(producer, deadline, t, v, k, h) for t, v, k, h in records]
            # wait on exactly these records (no flush(): concurrent callers then share the producer's batches)
            for future in futures:
                future.get(timeout=max(0.0, deadline - time.monotonic()))
        except KafkaError:
            self._drop_producer(producer)
            raise

    def ensure_topics(self, topics: dict[str, int], replication: int = 1) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=self.client_id + "-admin")
        try:
            existing = set(admin.list_topics())
            new = [NewTopic(name, parts, replication) for name, parts in topics.items() if name not in existing]
            if new:
                with contextlib.suppress(TopicAlreadyExistsError):  # another process created it meanwhile
                    admin.create_topics(new)
        finally:
            admin.close()

    def topic_names(self) -> set[str]:
        """The topics the cluster has now (asked at once: a consumer waits a while for a just-created one)."""
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=self.client_id + "-admin")
        try:
            return set(admin.list_topics())
        finally:
            admin.close()

    def consumer(
        self, topics: list[str], group: str, from_beginning: bool = True, assign: bool = False, fetch_wait_ms: int = 0
    ) -> Consumer:
        """``fetch_wait_ms``: how long the broker may hold a fetch (0: FETCH_MAX_WAIT_MS). A group member uses the
        transport's consumer client; a reader that assigns partitions (``assign``) always uses kafka-python."""
        wait = fetch_wait_ms or FETCH_MAX_WAIT_MS
        if self.consumer_kind == "confluent" and not assign:
            return ConfluentGroupConsumer(
                self.bootstrap, self.client_id, topics, group, from_beginning, wait, self.session_timeout_ms
            )
        return KafkaGroupConsumer(self, topics, group, from_beginning, assign, wait)

    def close(self) -> None:
        """Flush what was sent, then stop the producer. If the flush fails (the broker did not acknowledge within
        :data:`CLOSE_FLUSH_S`), the producer is stopped all the same, its thread and sockets not outliving the
        transport, and the flush's error is raised."""
        with self._producer_lock:
            confluent, self._confluent = self._confluent, None
            producer, self._producer = self._producer, None
        try:
            if confluent is not None:
                try:
                    confluent.flush(CLOSE_FLUSH_S)
                except Exception:
                    confluent.abandon()
                    raise
        finally:
            if producer is not None:
                try:
                    producer.flush(timeout=CLOSE_FLUSH_S)
                    producer.close(timeout=CLOSE_FLUSH_S)
                except Exception:
                    _close_now(producer)
                    raise


class KafkaGroupConsumer:
    def __init__(
        self,
        t: KafkaTransport,
        topics: list[str],
        group: str,
        from_beginning: bool,
        assign: bool = False,
        fetch_wait_ms: int = FETCH_MAX_WAIT_MS,
    ) -> None:
        self.consumer = KafkaConsumer(
            *([] if assign else topics),
            bootstrap_servers=t.bootstrap,
            client_id=t.client_id,
            group_id=group,
            enable_auto_commit=False,  # commit only after the work is done
            auto_offset_reset="earliest" if from_beginning else "latest",
            session_timeout_ms=t.session_timeout_ms,
            heartbeat_interval_ms=max(300, t.session_timeout_ms // 6),
            max_partition_fetch_bytes=8 * 1024 * 1024,
            # the embedded broker seems to hold a fetch for the whole wait even when data arrives meanwhile; the
            # 500 ms default doubled end-to-end latency, 10 ms cost kafka-python too much CPU, 50 ms measured best
            fetch_max_wait_ms=fetch_wait_ms,
            **LEAN,
        )
        if assign:
            parts: list[TopicPartition] = []
            deadline = time.monotonic() + 15
            for topic in topics:
                found = self.consumer.partitions_for_topic(topic)
                while not found and time.monotonic() < deadline:
                    time.sleep(0.05)  # metadata for a just-created topic can lag a moment
                    found = self.consumer.partitions_for_topic(topic)
                if not found:
                    self.consumer.close()
                    raise RuntimeError(f"topic {topic} does not exist")
                parts.extend(TopicPartition(topic, p) for p in sorted(found))
            self.consumer.assign(parts)

    def settle(self) -> None:
        """Resolve the start position of every assigned partition now, so that nothing produced after this call
        is skipped by a later "latest" reset."""
        for tp in self.consumer.assignment():
            self.consumer.position(tp)

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        out: list[Record] = []
        for records in batches.values():
            for r in records:
                out.append(Record(r.topic, r.value, r.key, list(r.headers or []), r.partition, r.offset, r.timestamp))
        return out

    def commit(self) -> None:
        self.consumer.commit()

    @property
    def ready(self) -> bool:
        """Whether partitions are assigned (a group member has completed its join)."""
        return bool(self.consumer.assignment())

    def rewind(self) -> None:
        assigned = self.consumer.assignment()
        if assigned:  # none while a group rebalances: partitions then start from the committed offsets (or the start)
            self.consumer.seek_to_beginning(*assigned)

    def close(self) -> None:
        self.consumer.close()


def _send(
    producer: KafkaProducer, deadline: float, topic: str, value: bytes, key: bytes | None, headers: Headers | None
) -> Any:
    """``producer.send()``, waiting for the topic's metadata (BLOCK_MS at a time) until ``deadline`` at most."""
    while True:
        try:
            return producer.send(topic, value=value, key=key, headers=headers or [])
        except KafkaTimeoutError:  # no metadata for the topic within BLOCK_MS (the broker is down, or the topic gone)
            if deadline - time.monotonic() < BLOCK_MS / 2000:  # another try would end past the deadline
                raise


def _close_now(producer: KafkaProducer) -> None:
    """Close a dropped kafka-python producer without waiting for the broker: fail what it still holds and end its
    I/O thread, so that it neither leaks a thread and sockets nor lands, retrying until delivery_timeout_ms, a record
    that the transport already reported failed. KafkaProducer.close(timeout=0) cannot do it alone: it flushes first,
    which raises KafkaTimeoutError while a batch is incomplete, before it stops anything. kafka-python (3.0) has no
    public way to abandon incomplete batches, so the sender's own force_close() (what close() calls when its timeout
    expires) is used first, guarded in case a later kafka-python renames it."""
    sender = getattr(producer, "_sender", None)
    force_close = getattr(sender, "force_close", None)
    if callable(force_close) and isinstance(sender, threading.Thread):
        try:
            force_close()  # fails every incomplete batch (their futures raise), then the thread closes its client
            if sender is not threading.current_thread():
                sender.join(CLOSE_WAIT_S)
        except Exception:
            log.warning("could not force-close a dropped producer", exc_info=True)
    try:
        producer.close(timeout=0)  # nothing incomplete is left: its flush passes, and it marks the producer closed
    except Exception as e:
        log.warning("a dropped producer did not close: %r", e)
