"""Several routers share the ingress partitions as one consumer group; every message is applied once."""

from __future__ import annotations

import time

from gateway.service import Gateway
from schemas.message_types import MessageType
from swsim.transport.kafka import KafkaTransport

from .conftest import Net
from .helpers import CHENGDU, TRADER, body, message


def test_two_routers_share_the_load(gateway: Gateway, net: Net) -> None:
    second = KafkaTransport(gateway.settings.kafka_bootstrap or "", "second-router")
    net.closers.append(second.close)
    other = gateway.start_router(second)
    first = gateway.routers[0]
    before = first.processed
    trader = net.client(TRADER)
    ids = []
    # keys spread over the 3 ingress partitions; keep sending until both members have work (rebalance settles)
    deadline = time.monotonic() + 60
    while (other.processed == 0 or first.processed == before) and time.monotonic() < deadline:
        for i in range(30):
            m = message(MessageType.MT2301, TRADER, CHENGDU, correlation=f"GRP{time.time_ns()}{i}")
            ids.append(m.head.message_id)
            trader.publish(body(m), key=m.head.correlation_id)
        trader.flush()
        time.sleep(0.5)
    assert other.processed > 0
    assert first.processed > before
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [gateway.ledger.find_visible(i, None) for i in ids]
        if all(len(f) == 1 and f[0].status == "delivered" for f in found):
            break
        time.sleep(0.2)
    assert all(len(gateway.ledger.find_visible(i, None)) == 1 for i in ids)  # each once, none lost
