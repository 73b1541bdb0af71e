"""Everything one gateway process needs, wired from the settings: registry, ledger, transport, pipeline, router."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.groupcommit import Deliverer, Submitter
from gateway.ledger import Ledger
from gateway.metrics import Metrics
from gateway.pipeline import Pipeline
from gateway.prepare_workers import PrepareWorkers
from gateway.recovery import redeliver_since
from gateway.registry import Registry, build_registry
from gateway.router import Router
from gateway.sqlite_ledger import SqliteLedger
from gateway.topics import Topics
from swsim.settings import Settings
from swsim.transport.base import Transport
from swsim.transport.generation import GenerationWatch
from swsim.transport.kafka import KafkaTransport


@dataclass
class Gateway:
    settings: Settings
    registry: Registry
    ledger: Ledger
    transport: Transport
    topics: Topics
    pipeline: Pipeline
    metrics: Metrics
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _router_stops: list[threading.Event] = field(default_factory=list)
    routers: list[Router] = field(default_factory=list)
    _deliverer: Deliverer | None = None
    _submitter: Submitter | None = None
    status_providers: dict[str, Callable[[], Any]] = field(default_factory=dict)
    """Extra status for the dashboard from what runs in the same process (e.g. "tax": the bureaus' dual channel)."""
    watch: GenerationWatch | None = None
    redelivered: int = 0
    _lost_since: dict[str, float] = field(default_factory=dict)  # per generation: the start of its re-routing window
    """Messages routed again after the broker lost its state (see :meth:`start_watch`)."""

    def start_watch(self) -> GenerationWatch:
        """Watch the broker's generation (swsim/transport/generation.py): when the broker lost its state, create the
        topics again, rewind the routers, and route again what was delivered in the last
        ``SWSIM_REDELIVER_WINDOW_S``. Other listeners (the nodes of this process) may be added to the watch."""
        assert self.settings.kafka_bootstrap is not None
        self.watch = GenerationWatch(self.settings.kafka_bootstrap, self.topics.generation, self.ensure_topics)
        self.watch.listeners.append(self._broker_lost_state)
        return self.watch.start()

    def _broker_lost_state(self, generation: str) -> None:
        """The watch calls this again while it raises (the broker not yet taking writes): the re-routing then runs
        again over the same window, measured from the first call for this generation."""
        since = self._lost_since.get(generation)
        if since is None:
            for transport in {id(t): t for t in [self.transport, *(r.transport for r in self.routers)]}.values():
                reset = getattr(transport, "reset_producer", None)  # Kafka transports: a new idempotent session
                if reset is not None:
                    reset()
            for router in self.routers:
                router.request_rewind()
            since = self._lost_since[generation] = time.time() - self.settings.redeliver_window_s
        self.redelivered += redeliver_since(self.ledger, self.pipeline, self.transport, since)

    @property
    def submitter(self) -> Submitter:
        """The HTTP path's group commit (:mod:`gateway.groupcommit`; started on first use)."""
        with self.send_lock:
            if self._submitter is None:
                self._deliverer = Deliverer(self.transport, self.pipeline)
                self._submitter = Submitter(self.pipeline, self._deliverer, self.metrics)
            return self._submitter

    def topic_plan(self) -> dict[str, int]:
        return topic_plan(self.settings, self.registry)

    def ensure_topics(self) -> None:
        self.transport.ensure_topics(self.topic_plan(), self.settings.replication_factor)

    def start_router(self, transport: Transport | None = None) -> Router:
        """Start one router thread (a consumer-group member); several share the ingress partitions."""
        router = Router(
            transport or self.transport, self.pipeline, self.topics, self.settings.router_group, self.metrics,
            self.settings.poll_max_records, self.ensure_topics,
        )  # fmt: skip
        stop = threading.Event()
        t = threading.Thread(target=router.run, args=(stop,), name=f"router-{len(self.routers)}", daemon=True)
        t.start()
        self._threads.append(t)
        self._router_stops.append(stop)
        self.routers.append(router)
        return router

    def stop_routers(self, join_wait_s: float = 15.0) -> None:
        """Stop every router (the Kafka path goes down; HTTP stays up). ``start_router`` brings one back.

        A router still joining its consumer group is given ``join_wait_s`` to finish first: measured here, a member
        that leaves the embedded broker's group in the middle of a join leaves the group unable to take new members
        (a router started later never gets partitions)."""
        deadline = time.monotonic() + join_wait_s
        for router in self.routers:
            router.joined.wait(max(0.0, deadline - time.monotonic()))
        for stop in self._router_stops:
            stop.set()
        for t in self._threads:
            t.join(timeout=10)
        self._threads.clear()
        self._router_stops.clear()
        self.routers.clear()

    def broker_ok(self) -> bool:
        """Can the broker be reached (topic metadata round trip)?"""
        try:
            self.transport.ensure_topics({})
        except Exception:
            return False
        return True

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        if self._submitter is not None:
            self._submitter.stop()  # it hands its last group to the deliverer before it stops
        if self._deliverer is not None:
            self._deliverer.stop()
        self.stop_routers(join_wait_s=0)  # no router starts after this: nothing to wait for
        self.transport.close()
        self.ledger.close()
        if self.pipeline.workers is not None:
            self.pipeline.workers.close()


def topic_plan(settings: Settings, registry: Registry) -> dict[str, int]:
    """Every topic the exchange needs: name -> partitions."""
    topics = Topics(settings.topic_prefix)
    plan = {topics.ingress: settings.ingress_partitions, topics.deadletter: 1, topics.events: 1, topics.generation: 1}
    for party in registry.parties:
        plan[topics.inbox(party)] = 1
    return plan


def gateway_transport(settings: Settings, client_id: str) -> KafkaTransport:
    """A Kafka client for a gateway or one of its routers: the producer and the router's consumer clients and the
    session timeout come from the settings."""
    assert settings.kafka_bootstrap is not None
    return KafkaTransport(
        settings.kafka_bootstrap,
        client_id,
        settings.session_timeout_ms,
        producer=settings.kafka_producer,
        consumer=settings.kafka_consumer,
    )


def build_gateway(settings: Settings, transport: Transport) -> Gateway:
    registry = build_registry(settings)
    ledger: Ledger
    if settings.ledger_url:
        from gateway.postgres_ledger import PostgresLedger

        ledger = PostgresLedger(settings.ledger_url)
    else:
        ledger = SqliteLedger(settings.ledger_file)
    topics = Topics(settings.topic_prefix)
    pipeline = Pipeline(registry, ledger, topics, settings.max_body_bytes, settings.signature_window_s)
    if settings.prepare_workers:
        pipeline.workers = PrepareWorkers(settings, registry, pipeline.preparer, settings.prepare_workers)
    return Gateway(settings, registry, ledger, transport, topics, pipeline, Metrics())
