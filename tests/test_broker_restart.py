"""The whole exchange in one process (`swsim up`, `swsim demo`) when the embedded broker dies and comes back empty:
the gateway notices the new broker generation, creates the topics again and routes recent messages again; the
nodes rewind their inboxes; the next consignment goes through as if nothing happened."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from swsim.demo.driver import Driver
from swsim.demo.scenarios import SCENARIOS
from swsim.node.clock import SimClock
from swsim.settings import Settings
from swsim.stack import Stack


def test_the_exchange_carries_on_after_the_broker_restarted_empty(tmp_path: Path) -> None:
    settings = Settings(topic_prefix="br" + uuid.uuid4().hex[:8], data_dir=tmp_path, network_seed="swsim-demo-network")
    stack = Stack.start(settings, SimClock(speed=0))
    try:
        assert stack.broker is not None
        assert stack.gateway.watch is not None
        driver = Driver(stack, lambda _s: None, timeout_s=90)
        names = list(SCENARIOS)
        assert SCENARIOS[names[0]].run(driver).ok
        stack.broker.kill()  # SIGKILL: every topic, record and committed offset is gone
        time.sleep(1)
        stack.broker.start()
        deadline = time.monotonic() + 30
        while stack.gateway.redelivered == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert stack.gateway.watch.changes == 1
        assert stack.gateway.redelivered > 0  # what the first consignment's parties were sent, routed again
        outcome = SCENARIOS[names[1]].run(driver)
        assert outcome.ok, outcome.summary
    finally:
        stack.stop()
