"""Recovery after the broker lost its state is retried until it succeeds: a re-routing that fails (the broker not
yet taking writes) used to be logged once, the new generation taken as known, and the messages delivered shortly
before the loss never reached their receivers again."""

from __future__ import annotations

from pathlib import Path

from gateway.prepare import Inbound
from gateway.service import build_gateway
from schemas.message_types import MessageType
from swsim.settings import Settings
from swsim.transport.base import Headers
from swsim.transport.generation import GenerationWatch
from swsim.transport.memory import MemoryTransport

from .helpers import CHENGDU, SEED, TRADER, body, message


class RefusingTransport(MemoryTransport):
    def __init__(self) -> None:
        super().__init__()
        self.refuse = False

    def deliver(self, records: list[tuple[str, bytes, bytes | None, Headers]], timeout_s: float = 30.0) -> None:
        if self.refuse:
            raise TimeoutError("the broker is not taking writes yet")
        super().deliver(records, timeout_s)


def test_a_failed_re_routing_is_retried_at_the_next_check(tmp_path: Path) -> None:
    t = RefusingTransport()
    gw = build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), t)
    try:
        trader = gw.registry.get(TRADER)
        m = Inbound(body=body(message(MessageType.MT2301, TRADER, CHENGDU)), channel="http", authenticated=trader)
        [o] = gw.submitter.submit([m]).result(10)
        assert o.status == "delivered"
        t.topics.clear()  # the broker restarted empty: the routed copy is gone with it
        watch = GenerationWatch("unused:9092", gw.topics.generation)
        watch.listeners.append(gw._broker_lost_state)
        told: list[str] = []
        watch.listeners.append(told.append)  # another listener (a node's rewind): told once, as it succeeded
        generations = iter(["g1", "g2", "g2", "g2"])
        watch.read = lambda: next(generations)  # type: ignore[method-assign]
        watch.check()  # g1: the generation at start
        t.refuse = True
        watch.check()  # g2: the broker lost its state; re-routing fails
        assert t.topics.get(gw.topics.inbox(CHENGDU), []) == []
        t.refuse = False
        watch.check()  # the broker takes writes again: re-routing is retried
        watch.check()  # and not repeated once done
        assert len(t.topics.get(gw.topics.inbox(CHENGDU), [])) == 1
        assert gw.redelivered == 1
        assert told == ["g2"]
    finally:
        gw.stop()
