"""A gateway on the real embedded broker, shared by a test module (its group join costs seconds); and the HTTP app
(``http``) of the in-memory gateway ``gw`` (tests/conftest.py), for tests that need no broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.http import create_app
from gateway.service import Gateway, build_gateway
from swsim.broker import EmbeddedBroker
from swsim.client import PartyClient
from swsim.network import private_key
from swsim.settings import Settings
from swsim.transport.base import Consumer
from swsim.transport.kafka import KafkaTransport

from .helpers import SEED, unique_prefix


@pytest.fixture(scope="module")
def gateway(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = Settings(
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=unique_prefix(),
        data_dir=tmp_path_factory.mktemp("gw"),
        gateway_group="gw-" + unique_prefix(),
        ingress_partitions=3,
        network_seed=SEED,
    )
    gw = build_gateway(settings, KafkaTransport(broker.bootstrap))
    gw.ensure_topics()
    gw.start_router()
    yield gw
    gw.stop()


class Net:
    """Creates party clients and consumers for one test and closes them all afterwards."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.closers: list[Callable[[], None]] = []

    def transport(self) -> KafkaTransport:
        t = KafkaTransport(self.gw.settings.kafka_bootstrap or "")
        self.closers.append(t.close)
        return t

    def client(self, party: str) -> PartyClient:
        return PartyClient(self.transport(), self.gw.topics, party, private_key(SEED, party))

    def inbox(self, party: str) -> Consumer:
        return self.topic(self.gw.topics.inbox(party))

    def topic(self, topic: str) -> Consumer:
        c = self.transport().consumer([topic], "c-" + unique_prefix(), assign=True)
        self.closers.append(c.close)
        return c

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


@pytest.fixture
def net(gateway: Gateway) -> Iterator[Net]:
    n = Net(gateway)
    yield n
    n.close()


@pytest.fixture
def http(gw: Gateway) -> Iterator[TestClient]:
    with TestClient(create_app(gw), raise_server_exceptions=False) as c:
        yield c
