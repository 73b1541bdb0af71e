"""Kafka transport (kafka-python with crc32c): idempotent producer, acks=all, manual commits."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from swsim.transport.base import Consumer, Headers, Record
from swsim.transport.rdkafka import ConfluentGroupConsumer, ConfluentProducer

log = logging.getLogger(__name__)


FETCH_MAX_WAIT_MS = 50

LEAN = {"metrics_enabled": False}
"""Options for every long-lived kafka-python client: its own metrics (never read here) cost about 10% of the CPU
of each acknowledged produce round trip (measured: 1.92 -> 1.72 ms). The benchmark baselines use them too."""


class KafkaTransport:
    """kafka-python clients by default. ``producer="confluent"`` makes the producer librdkafka (confluent-kafka):
    measured here, 7 us per produce and 0.3 ms per acknowledged round trip against 85 us and 2 ms for kafka-python
    (both idempotent, acks=all). ``consumer="confluent"`` does the same for consumer-group members; readers that
    assign partitions stay on kafka-python (see :mod:`swsim.transport.rdkafka`)."""

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
        self._producer_lock = threading.Lock()

    def _drop_producer(self, failed: KafkaProducer) -> None:
        """Forget a producer that failed, so the next send starts a new one. An idempotent producer's session
        does not survive a broker that lost its state (the embedded broker restarted): it fails for good with
        UnknownProducerId, and only a new producer (a new producer id) can send again."""
        with self._producer_lock:
            if self._producer is failed:
                self._producer = None
                self._pending = []
        with contextlib.suppress(Exception):
            failed.close(timeout=0)

    def reset_producer(self) -> None:
        """Drop the producer now (the broker lost its state: its idempotent session cannot recover, and kafka-python
        would retry its UnknownProducerId until each send times out); in-flight sends fail, and are retried."""
        failed = self._producer
        if failed is not None:
            self._drop_producer(failed)

    @property
    def producer(self) -> KafkaProducer:
        with self._producer_lock:
            return self._producer or self._new_producer()

    def _new_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                acks="all",  # set explicitly: a conflicting option would silently disable idempotence
                enable_idempotence=True,
                linger_ms=self.linger_ms,
                max_in_flight_requests_per_connection=5,
                retries=2147483647,
                request_timeout_ms=15000,
                max_request_size=8 * 1024 * 1024,
                **LEAN,
            )
        return self._producer

    @property
    def confluent(self) -> ConfluentProducer:
        if self._confluent is None:
            self._confluent = ConfluentProducer(self.bootstrap, self.client_id, self.linger_ms)
        return self._confluent

    def send(self, topic: str, value: bytes, key: bytes | None = None, headers: Headers | None = None) -> None:
        if self.producer_kind == "confluent":
            self.confluent.send(topic, value, key, headers)
            return
        producer = self.producer
        try:
            self._pending.append(producer.send(topic, value=value, key=key, headers=headers or []))
        except KafkaError:
            self._drop_producer(producer)
            raise

    def flush(self, timeout_s: float = 30.0) -> None:
        if self._confluent is not None:
            self._confluent.flush(timeout_s)
        producer = self._producer
        if producer is None:
            return
        try:
            producer.flush(timeout=timeout_s)
            pending, self._pending = self._pending, []
            for future in pending:
                # raises the delivery error, if any: the caller must not commit its input then
                future.get(timeout=0)
        except KafkaError:
            self._drop_producer(producer)
            raise

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        if self.producer_kind == "confluent":
            self.confluent.deliver(records, timeout_s)
            return
        producer = self.producer
        try:
            futures = [producer.send(t, value=v, key=k, headers=h or []) for t, v, k, h in records]
            # wait on exactly these records (no flush(): concurrent callers then share the producer's batches)
            deadline = time.monotonic() + timeout_s
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
        if self._confluent is not None:
            self._confluent.flush(10)
            self._confluent = None
        if self._producer is not None:
            self._producer.flush(timeout=10)
            self._producer.close(timeout=10)
            self._producer = None


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
