"""Kafka transport (kafka-python with crc32c): idempotent producer, acks=all, manual commits."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from swsim.transport.base import Headers, Record

log = logging.getLogger(__name__)


class KafkaTransport:
    def __init__(
        self, bootstrap: str, client_id: str = "swsim", session_timeout_ms: int = 6000, linger_ms: int = 0
    ) -> None:
        self.bootstrap = bootstrap
        # linger 0: measured here, a 2 ms linger adds ~3 ms to every acknowledged round trip; records queued
        # while a request is in flight are batched anyway
        self.linger_ms = linger_ms
        self.client_id = client_id
        self.session_timeout_ms = session_timeout_ms
        self._producer: KafkaProducer | None = None
        self._pending: list[Any] = []

    @property
    def producer(self) -> KafkaProducer:
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
            )
        return self._producer

    def send(self, topic: str, value: bytes, key: bytes | None = None, headers: Headers | None = None) -> None:
        self._pending.append(self.producer.send(topic, value=value, key=key, headers=headers or []))

    def flush(self, timeout_s: float = 30.0) -> None:
        if self._producer is None:
            return
        self._producer.flush(timeout=timeout_s)
        pending, self._pending = self._pending, []
        for future in pending:
            # raises the delivery error, if any: the caller must not commit its input then
            future.get(timeout=0)

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        producer = self.producer
        futures = [producer.send(t, value=v, key=k, headers=h or []) for t, v, k, h in records]
        # wait on exactly these records (no flush(): concurrent callers then share the producer's batches)
        deadline = time.monotonic() + timeout_s
        for future in futures:
            future.get(timeout=max(0.0, deadline - time.monotonic()))

    def ensure_topics(self, topics: dict[str, int]) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=self.client_id + "-admin")
        try:
            existing = set(admin.list_topics())
            new = [NewTopic(name, parts, 1) for name, parts in topics.items() if name not in existing]
            if new:
                with contextlib.suppress(TopicAlreadyExistsError):  # another process created it meanwhile
                    admin.create_topics(new)
        finally:
            admin.close()

    def consumer(
        self, topics: list[str], group: str, from_beginning: bool = True, assign: bool = False
    ) -> KafkaGroupConsumer:
        return KafkaGroupConsumer(self, topics, group, from_beginning, assign)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=10)
            self._producer.close(timeout=10)
            self._producer = None


class KafkaGroupConsumer:
    def __init__(
        self, t: KafkaTransport, topics: list[str], group: str, from_beginning: bool, assign: bool = False
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

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        out: list[Record] = []
        for records in batches.values():
            for r in records:
                out.append(Record(r.topic, r.value, r.key, list(r.headers or []), r.partition, r.offset, r.timestamp))
        return out

    def commit(self) -> None:
        self.consumer.commit()

    def close(self) -> None:
        self.consumer.close()
