"""The inbox multiplexer over the real embedded broker: each view gets its own topic's records, in order, once;
a slow view is set aside at DEPTH (memory bounded) without holding up the others; a restarted view re-reads exactly
what it had not committed."""

from __future__ import annotations

import time
import uuid

from swsim.broker import EmbeddedBroker
from swsim.transport import mux as mux_mod
from swsim.transport.base import Record
from swsim.transport.kafka import KafkaTransport
from swsim.transport.mux import InboxMux, InboxView


def _fill(t: KafkaTransport, topic: str, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        t.send(topic, f"{topic}:{i}".encode(), b"k")
    t.flush()


def _drain(view: InboxView, n: int, timeout_s: float = 30) -> list[Record]:
    got: list[Record] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < n and time.monotonic() < deadline:
        got.extend(view.poll(0.2, min(500, n - len(got))))
    return got


def test_views_back_pressure_and_restart(broker: EmbeddedBroker) -> None:
    mux_mod.DEPTH = 300  # small, so the pause shows with few records (restored below)
    tag = uuid.uuid4().hex[:8]
    slow, fast = f"mx{tag}.inbox.A", f"mx{tag}.inbox.B"
    t = KafkaTransport(broker.bootstrap, "mux-test")
    t.ensure_topics({slow: 1, fast: 1})
    mux = InboxMux(KafkaTransport(broker.bootstrap, "mux-test-in"), f"mx-{tag}")
    try:
        _fill(t, slow, 5000)
        a, b = mux.view(slow), mux.view(fast)
        _fill(t, fast, 200)
        got_b = _drain(b, 200)
        assert [r.value for r in got_b] == [f"{fast}:{i}".encode() for i in range(200)]  # not held up by A
        deadline = time.monotonic() + 10
        while slow not in mux._held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow in mux._held
        time.sleep(0.5)
        assert len(a) <= 300 + 2000  # bounded: at most one poll batch beyond the depth, not all 5000
        first = _drain(a, 400)
        assert [r.value for r in first] == [f"{slow}:{i}".encode() for i in range(400)]
        a.commit()  # the first 400 handled
        time.sleep(0.5)  # the commit is applied by the mux thread between polls
        a.close()
        a2 = mux.view(slow)  # "restarted": resumes after the committed 400, re-reading nothing handled
        rest = _drain(a2, 4600)
        assert [r.value for r in rest] == [f"{slow}:{i}".encode() for i in range(400, 5000)]
        assert a2.poll(0.3, 10) == []  # and nothing twice
        assert mux.error is None
    finally:
        mux_mod.DEPTH = 2000
        mux.close()
        t.close()
