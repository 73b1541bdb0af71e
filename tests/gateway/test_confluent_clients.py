"""The optional librdkafka clients behind the same transport seam: the producer (SWSIM_KAFKA_PRODUCER=confluent)
and the routers' group consumer (SWSIM_KAFKA_CONSUMER=confluent), over the embedded broker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.service import Gateway, build_gateway, gateway_transport
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim.broker import EmbeddedBroker
from swsim.settings import Settings
from swsim.transport.base import Record
from swsim.transport.kafka import KafkaTransport
from swsim.transport.rdkafka import ConfluentTailReader

from .conftest import Net
from .helpers import CHENGDU, SEED, TRADER, body, collect, message, unique_prefix


@pytest.fixture(params=["kafka-python", "confluent"], ids=["producer", "producer-and-consumer"])
def confluent_gateway(broker: EmbeddedBroker, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Gateway]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix=unique_prefix(), data_dir=tmp_path,
                        network_seed=SEED, kafka_producer="confluent", kafka_consumer=request.param)  # fmt: skip
    gw = build_gateway(settings, gateway_transport(settings, "gw"))
    gw.ensure_topics()
    gw.start_router(gateway_transport(settings, "router"))
    yield gw
    gw.stop()


def test_router_with_the_confluent_clients_routes_and_receipts(confluent_gateway: Gateway) -> None:
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


def test_confluent_group_consumer_commits_what_it_handed_out(broker: EmbeddedBroker) -> None:
    """Nothing is committed by itself; what was committed is not handed out again to the group; a rewind reads the
    partitions again from their beginning. Header values come as bytes, as from kafka-python."""
    t = KafkaTransport(broker.bootstrap, "c", consumer="confluent")
    topic, group = unique_prefix(), "g-" + unique_prefix()
    t.ensure_topics({topic: 2})
    t.deliver([(topic, f"r{i}".encode(), f"k{i}".encode(), [("h", b"v")]) for i in range(6)])

    def values(rs: list[Record]) -> list[bytes]:
        return sorted(r.value for r in rs)

    c = t.consumer([topic], group)
    first = collect(c, lambda rs: len(rs) >= 6)
    assert values(first) == [f"r{i}".encode() for i in range(6)]
    assert all(r.headers == [("h", b"v")] and r.key is not None for r in first)
    c.close()  # closed without a commit: the group gets everything again
    c = t.consumer([topic], group)
    assert len(collect(c, lambda rs: len(rs) >= 6)) == 6
    c.commit()
    c.close()
    t.deliver([(topic, b"later", None, [])])
    c = t.consumer([topic], group)
    assert values(collect(c, lambda rs: len(rs) >= 1)) == [b"later"]
    c.rewind()
    assert len(collect(c, lambda rs: len(rs) >= 7)) == 7
    c.close()
    t.close()


@pytest.mark.parametrize("kind", ["producer", "consumer"])
def test_unknown_client_refused(kind: str) -> None:
    with pytest.raises(ValueError, match=f"unknown {kind}"):
        KafkaTransport("127.0.0.1:1", **{kind: "nope"})


def test_confluent_tail_reader_reads_from_the_end(broker: EmbeddedBroker) -> None:
    """The benchmark's receipt reader: it sees what is written after it was made (on every partition), not what was
    there before."""
    t = KafkaTransport(broker.bootstrap, "c")
    topic = unique_prefix()
    t.ensure_topics({topic: 3})
    for i in range(3):  # one record per produce, so the broker reports the end exactly (see ENGINEERING.md)
        t.deliver([(topic, f"old{i}".encode(), f"k{i}".encode(), [])])
    reader = ConfluentTailReader(broker.bootstrap, "tail-" + unique_prefix(), topic, 15)
    try:
        for i in range(6):
            t.deliver([(topic, f"new{i}".encode(), f"k{i}".encode(), [("sw-reference-id", b"x")])])
        got = collect(reader, lambda rs: len(rs) >= 6, 20)
        more = reader.poll(0.5, 100)
    finally:
        reader.close()
        t.close()
    assert sorted(r.value for r in got + more) == [f"new{i}".encode() for i in range(6)]
    assert len({r.partition for r in got}) > 1  # the keys k0..k5 spread over the partitions
    assert all(r.headers == [("sw-reference-id", b"x")] for r in got)


def test_confluent_tail_reader_refuses_a_missing_topic(broker: EmbeddedBroker) -> None:
    with pytest.raises(Exception, match="topic"):
        ConfluentTailReader(broker.bootstrap, "tail-" + unique_prefix(), unique_prefix(), 15, timeout_s=5)
