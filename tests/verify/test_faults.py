"""The fault scenarios of `swsim verify`, with fewer messages (`swsim verify` runs 10,000 each): nothing lost,
nothing applied twice, everything acknowledged; and the counting itself catches losses and duplicates."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from swsim.verify.faults import FaultResult, _result, stream_scenarios
from swsim.verify.tax_fault import tax_channel_down

N = 1000


def _check(r: FaultResult) -> None:
    assert (r.sent, r.acknowledged, r.applied) == (N, N, N), r.to_dict()
    assert (r.lost, r.duplicated) == (0, 0), r.to_dict()
    assert r.ok


@pytest.mark.parametrize("name", ["broker-killed", "gateway-killed", "node-killed-before-commit"])
def test_a_process_killed_mid_stream_loses_and_repeats_nothing(name: str, tmp_path: Path) -> None:
    r = stream_scenarios(N)[name](tmp_path, lambda _s: None)
    _check(r)
    restarts = {k: v for k, v in r.detail.items() if k.endswith("restarts")}
    assert list(restarts.values()) == [1]  # the fault did strike


def test_a_slow_consumer_keeps_its_memory_bounded(tmp_path: Path) -> None:
    r = stream_scenarios(N)["slow-consumer"](tmp_path, lambda _s: None)
    _check(r)
    assert r.detail["receiver_rss_peak_mb"] > 0
    assert r.detail["receiver_rss_growth_mb"] < 64  # the backlog waits in the broker, not in the receiver


def test_a_tax_channel_down_for_a_third_of_the_run(tmp_path: Path) -> None:
    r = tax_channel_down(tmp_path, 500, lambda _s: None)
    assert (r.sent, r.acknowledged, r.applied, r.lost, r.duplicated) == (500, 500, 500, 0, 0), r.to_dict()
    assert (r.detail["arrived_on_a"], r.detail["arrived_on_b"]) == (500, 500)  # A caught up after the outage


def test_the_counting_sees_losses_and_duplicates() -> None:
    acked = {"M1", "M2", "M3"}
    r = _result("x", 4, time.monotonic(), (acked, {"M1": 1, "M2": 2}, 1))
    assert (r.sent, r.acknowledged, r.applied, r.lost, r.duplicated) == (4, 3, 2, 1, 1)
    assert r.detail["rejected"] == 1
    assert not r.ok
