"""The Kafka path: consume the ingress topic as a consumer group, run the pipeline, produce, flush, commit.

Offsets are committed only after every output of the batch is acknowledged by the broker and the ledger knows it,
at most every :data:`COMMIT_EVERY_S` while records keep coming (each commit is a broker round trip that costs
kafka-python about 2 ms of CPU) and at once when the ingress is idle or the router stops. On any error the consumer
is closed without committing and re-created, so the batches since the last commit come again and the ledger's
de-duplication makes the repeat harmless (see :mod:`gateway.pipeline`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from gateway.metrics import Metrics
from gateway.pipeline import Outcome, Pipeline
from gateway.prepare import Inbound, Signature
from gateway.topics import Topics
from swsim import signing
from swsim.transport.base import Consumer, Record, Transport

ROUTER_FETCH_WAIT_MS = 15
COMMIT_EVERY_S = 0.1

log = logging.getLogger(__name__)


HEADER_BYTES = 1024
"""Header values are cut to this many bytes: the headers the gateway reads are far shorter (a signature has 88
characters), and what a record carries goes on into dead letters, receipts and events, which must stay small."""


def inbound_from_record(r: Record) -> Inbound:
    """The pipeline's view of an ingress record: its headers as text (each cut to :data:`HEADER_BYTES`; a null value,
    which Kafka allows, as empty)."""
    h = {k[:HEADER_BYTES]: (v or b"")[:HEADER_BYTES].decode("utf-8", errors="replace") for k, v in r.headers}
    sig = None
    if all(k in h for k in ("sw-sender", "sw-created", "sw-nonce", "sw-signature")):
        well_formed = signing.well_formed_created(h["sw-created"]) and signing.well_formed_nonce(h["sw-nonce"])
        created = int(h["sw-created"]) if well_formed else -1  # as the HTTP side: -1 cannot verify
        sig = Signature(h["sw-sender"], created, h["sw-nonce"], h["sw-signature"])
    return Inbound(
        body=r.value or b"",
        channel="kafka",
        claimed_sender=h.get("sw-sender"),
        signature=sig,
        key=r.key,
        fallback_id=h.get("sw-message-id") or f"ingress:{r.partition}:{r.offset}",
        appended_at=r.timestamp_ms / 1000 if r.timestamp_ms > 0 else None,
        headers={k: v for k, v in h.items() if k != "sw-signature"},
    )


class Router:
    def __init__(
        self,
        transport: Transport,
        pipeline: Pipeline,
        topics: Topics,
        group: str,
        metrics: Metrics,
        max_records: int = 500,
        ensure_topics: Callable[[], None] | None = None,
    ) -> None:
        self.transport = transport
        self.pipeline = pipeline
        self.topics = topics
        self.group = group
        self.metrics = metrics
        self.max_records = max_records
        self.ensure_topics = ensure_topics
        self.processed = 0
        self.committed = 0  # of the records processed, those whose offsets are committed
        self.first_poll_at: float | None = None  # when the first non-empty poll returned (for benchmarks)
        self.last_commit_at: float | None = None
        self._rewind = threading.Event()
        self.joined = threading.Event()
        """Set once the consumer holds partitions (see :meth:`gateway.service.Gateway.stop_routers`)."""

    def request_rewind(self) -> None:
        """Read the ingress again from its beginning (the broker lost its state; the ledger absorbs repeats)."""
        self._rewind.set()

    def handle_batch(self, records: list[Record]) -> list[Outcome]:
        t0 = time.perf_counter()
        prepared = self.pipeline.prepare_many([inbound_from_record(r) for r in records])  # no lock held
        with self.pipeline.ledger.transaction():  # one commit for the batch
            outcomes = [self.pipeline.commit(p) for p in prepared]
        per = (time.perf_counter() - t0) / max(1, len(records))
        for _ in records:
            self.metrics.process_seconds.labels("kafka").observe(per)
        self.pipeline.produce(self.transport, outcomes)
        for o in outcomes:
            self.metrics.messages.labels(o.status, "kafka").inc()
        return outcomes

    def _commit(self, consumer: Consumer) -> None:
        consumer.commit()
        self.committed = self.processed
        self.last_commit_at = time.perf_counter()

    def run(self, stop: threading.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            consumer = None
            try:
                if self.ensure_topics is not None:
                    self.ensure_topics()
                consumer = self.transport.consumer(
                    [self.topics.ingress], self.group, fetch_wait_ms=ROUTER_FETCH_WAIT_MS
                )
                committed_at = time.monotonic()
                pending = False  # batches handled since the last commit
                while not stop.is_set():
                    if self._rewind.is_set():
                        self._rewind.clear()
                        consumer.rewind()
                    records = consumer.poll(0.2, self.max_records)
                    if not self.joined.is_set() and getattr(consumer, "ready", True):
                        self.joined.set()
                    if records:
                        if self.first_poll_at is None:
                            self.first_poll_at = time.perf_counter()
                        self.handle_batch(records)
                        self.metrics.batches.inc()
                        self.processed += len(records)
                        pending = True
                        backoff = 0.2
                    if pending and (not records or time.monotonic() - committed_at >= COMMIT_EVERY_S):
                        self._commit(consumer)
                        pending = False
                        committed_at = time.monotonic()
                if pending:
                    self._commit(consumer)  # stopping: what was handled is not read again by the next member
            except Exception:
                self.metrics.errors.inc()
                log.exception("router loop failed; retrying without committing (the batch will come again)")
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if consumer is not None:
                    try:
                        consumer.close()
                    except Exception:
                        log.debug("consumer close failed", exc_info=True)
