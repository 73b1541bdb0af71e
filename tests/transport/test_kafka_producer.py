"""The Kafka transport's producers over the real embedded broker, when they fail: nothing is reported delivered that
the broker did not acknowledge, a dropped producer is gone for good (no thread left, nothing landed later), a call
raises within about its timeout while the broker is away, and the librdkafka producer is replaced when the broker
lost its state."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from kafka.errors import KafkaError

from swsim.broker import EmbeddedBroker
from swsim.transport import kafka as kafka_mod
from swsim.transport.base import BrokerError, Record
from swsim.transport.kafka import KafkaTransport


def _name() -> str:
    return "tp" + uuid.uuid4().hex[:10]


def _read(bootstrap: str, topic: str, until: bytes, timeout_s: float = 15.0) -> list[bytes]:
    """The values of ``topic`` from its beginning, up to the record ``until``."""
    reader = KafkaTransport(bootstrap, _name())
    c = reader.consumer([topic], _name(), assign=True)
    got: list[Record] = []
    try:
        deadline = time.monotonic() + timeout_s
        while until not in [r.value for r in got] and time.monotonic() < deadline:
            got.extend(c.poll(0.2, 100))
    finally:
        c.close()
    return [r.value for r in got]


@pytest.mark.parametrize("kind", ["kafka-python", "confluent"])
def test_flush_raises_for_sends_lost_with_a_dropped_producer(broker: EmbeddedBroker, kind: str) -> None:
    """reset_producer() (another thread, when the broker lost its state) drops what send() queued: the next flush()
    raises for it, once; the flush after that has nothing lost to report."""
    topic = _name()
    # the linger keeps the record in the producer until the reset
    t = KafkaTransport(broker.bootstrap, _name(), linger_ms=5000, producer=kind)
    try:
        t.ensure_topics({topic: 1})
        t.send(topic, b"queued")
        t.reset_producer()
        with pytest.raises(Exception, match="acknowledge"):
            t.flush(5)
        t.flush(5)
    finally:
        t.close()


def test_a_dropped_producer_stops_at_once_and_lands_nothing_later(broker: EmbeddedBroker) -> None:
    """A dropped kafka-python producer is closed for real, without waiting: its I/O thread ends, and the record it
    still held (reported failed by flush) is not sent afterwards."""
    topic, client = _name(), _name()
    linger_s = 2.0
    t = KafkaTransport(broker.bootstrap, client, linger_ms=int(linger_s * 1000))
    t.ensure_topics({topic: 1})
    t.send(topic, b"reported-failed")
    started = time.monotonic()
    t.reset_producer()
    assert time.monotonic() - started < kafka_mod.CLOSE_WAIT_S + 0.5
    assert f"{client}-network-thread" not in {th.name for th in threading.enumerate()}
    with pytest.raises(Exception, match="acknowledge"):
        t.flush(5)
    time.sleep(linger_s + 0.5)  # past the linger: a producer still running would have sent the record by now
    marker = KafkaTransport(broker.bootstrap, _name())
    marker.deliver([(topic, b"marker", None, [])], 10)
    marker.close()
    t.close()
    assert _read(broker.bootstrap, topic, b"marker") == [b"marker"]


def test_deliver_and_send_raise_within_their_timeout_while_the_broker_is_away(monkeypatch: pytest.MonkeyPatch) -> None:
    """No metadata for the topic (the broker is down): kafka-python would block each send for max_block_ms (60 s
    by default); deliver() raises within about its own timeout, send() within SEND_TIMEOUT_S, and so does starting a
    new producer (after the failed one was dropped)."""
    monkeypatch.setattr(kafka_mod, "SEND_TIMEOUT_S", 1.0, raising=False)
    with EmbeddedBroker() as b:
        t = KafkaTransport(b.bootstrap, _name())
        t.ensure_topics({"known": 1})
        t.deliver([("known", b"warm", None, [])], 15)
        b.kill()
        for attempt in range(2):  # the producer, then (it was dropped) a new one that cannot bootstrap
            started = time.monotonic()
            with pytest.raises(Exception):  # noqa: B017 - any failure, in time
                t.deliver([("not-cached", b"x", None, [])], 1.5)
            assert time.monotonic() - started < 3.0, attempt
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017
            t.send("not-cached-either", b"x")
        assert time.monotonic() - started < 3.0


def _restart_empty(b: EmbeddedBroker) -> EmbeddedBroker:
    """Kill ``b``: the same address, empty, to start with ``with``."""
    b.kill()
    return EmbeddedBroker(b.port)


def test_reset_producer_replaces_the_librdkafka_producer() -> None:
    """After the broker restarted empty, the old librdkafka idempotent session never delivers again;
    reset_producer() (what the generation watch calls) starts a new one, which delivers."""
    with EmbeddedBroker() as first:
        t = KafkaTransport(first.bootstrap, _name(), producer="confluent")
        t.ensure_topics({"t": 1})
        for i in range(3):
            t.deliver([("t", b"before%d" % i, None, [])], 10)
        with _restart_empty(first) as b:
            t.ensure_topics({"t": 1})
            t.reset_producer()
            t.deliver([("t", b"after", None, [])], 8)
            assert _read(b.bootstrap, "t", b"after") == [b"after"]
            t.close()


def test_a_librdkafka_producer_that_hit_a_fatal_error_is_replaced_on_next_use() -> None:
    """Another producer of the restarted broker takes the old session's producer id: librdkafka fails for good
    (OUT_OF_ORDER_SEQUENCE_NUMBER). The record that hit it fails; the next one goes through a new producer."""
    with EmbeddedBroker() as first:
        t = KafkaTransport(first.bootstrap, _name(), producer="confluent")
        t.ensure_topics({"t": 1})
        for i in range(3):
            t.deliver([("t", b"before%d" % i, None, [])], 10)
        with _restart_empty(first) as b:
            t.ensure_topics({"t": 1})
            other = KafkaTransport(b.bootstrap, _name(), producer="confluent")
            other.deliver([("t", b"other", None, [])], 10)  # the new broker's first producer id
            with pytest.raises(Exception, match=r"(?i)fatal|sequence"):
                t.deliver([("t", b"hit", None, [])], 10)
            t.deliver([("t", b"after", None, [])], 8)
            assert _read(b.bootstrap, "t", b"after")[-1] == b"after"
            other.close()
            t.close()


@pytest.mark.parametrize("kind", ["kafka-python", "confluent"])
def test_close_stops_the_producer_even_when_the_broker_never_acknowledges(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """close() with a record queued and the broker gone: it raises (the record was not acknowledged) within about its
    flush wait, and the producer is stopped all the same: no kafka-python I/O thread is left running, and the
    transport holds no producer."""
    monkeypatch.setattr(kafka_mod, "CLOSE_FLUSH_S", 1.0)
    client = _name()
    with EmbeddedBroker() as b:
        t = KafkaTransport(b.bootstrap, client, producer=kind)
        t.ensure_topics({"t": 1})
        t.deliver([("t", b"warm", None, [])], 15)
        b.kill()
        t.send("t", b"never-acknowledged")
        librdkafka = t._confluent
        started = time.monotonic()
        with pytest.raises((KafkaError, BrokerError)):  # raised, not swallowed
            t.close()
        assert time.monotonic() - started < 1.0 + kafka_mod.CLOSE_WAIT_S + 1.5
        assert t._producer is None
        assert t._confluent is None
        assert f"{client}-network-thread" not in {th.name for th in threading.enumerate()}
        if librdkafka is not None:
            assert len(librdkafka.p) == 0  # purged: it will not go on retrying the record in the background
