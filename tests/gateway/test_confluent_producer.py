"""The optional librdkafka producer (SWSIM_KAFKA_PRODUCER=confluent) behind the same transport seam."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.service import Gateway, build_gateway
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim.broker import EmbeddedBroker
from swsim.settings import Settings
from swsim.transport.kafka import KafkaTransport

from .conftest import Net
from .helpers import CHENGDU, SEED, TRADER, body, collect, message, unique_prefix


@pytest.fixture
def confluent_gateway(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Gateway]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix=unique_prefix(), data_dir=tmp_path,
                        network_seed=SEED, kafka_producer="confluent")  # fmt: skip
    gw = build_gateway(settings, KafkaTransport(broker.bootstrap, "gw", producer="confluent"))
    gw.ensure_topics()
    gw.start_router(KafkaTransport(broker.bootstrap, "router", producer="confluent"))
    yield gw
    gw.stop()


def test_router_with_the_confluent_producer_routes_and_receipts(confluent_gateway: Gateway) -> None:
    net = Net(confluent_gateway)
    try:
        trader = net.client(TRADER)
        m = message(MessageType.MT2301, TRADER, CHENGDU)
        trader.publish(body(m))
        trader.flush()
        got = collect(net.inbox(CHENGDU), lambda rs: len(rs) >= 1)
        assert decode(got[0].value) == m
        receipts = collect(net.inbox(TRADER), lambda rs: len(rs) >= 1)
        assert decode(receipts[0].value).body.response_type.code == "19020"
        events = collect(net.topic(confluent_gateway.topics.events), lambda rs: len(rs) >= 1)
        assert json.loads(events[0].value)[0]["message_id"] == m.head.message_id
    finally:
        net.close()


def test_confluent_deliver_and_flush(broker: EmbeddedBroker) -> None:
    t = KafkaTransport(broker.bootstrap, "c", producer="confluent")
    topic = unique_prefix()
    t.ensure_topics({topic: 1})
    t.deliver([(topic, b"a", None, [("h", b"1")]), (topic, b"b", b"k", [])])
    t.send(topic, b"c")
    t.flush()
    t.close()
    reader = KafkaTransport(broker.bootstrap, "r")
    c = reader.consumer([topic], "g-" + unique_prefix(), assign=True)
    got = collect(c, lambda rs: len(rs) >= 3)
    assert [r.value for r in got] == [b"a", b"b", b"c"]
    c.close()
    reader.close()


def test_unknown_producer_refused() -> None:
    with pytest.raises(ValueError, match="unknown producer"):
        KafkaTransport("127.0.0.1:1", producer="nope")
