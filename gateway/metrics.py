"""Prometheus metrics of one gateway (own registry, so several gateways can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "swsim_gateway_messages", "Messages processed, by outcome and channel", ["outcome", "channel"],
            registry=self.registry,
        )  # fmt: skip
        self.process_seconds = Histogram(
            "swsim_gateway_process_seconds", "Pipeline time per message", ["channel"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0),
        )  # fmt: skip
        self.batches = Counter("swsim_gateway_batches", "Router batches committed", registry=self.registry)
        self.errors = Counter("swsim_gateway_router_errors", "Router loop errors (retried)", registry=self.registry)
