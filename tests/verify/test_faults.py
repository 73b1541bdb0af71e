"""The fault scenarios of `swsim verify`, with fewer messages (`swsim verify` runs 10,000 each): nothing lost,
nothing applied twice, everything acknowledged; and the counting itself catches losses and duplicates."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from swsim.verify import tax_fault
from swsim.verify.faults import (
    RECEIVER_GROWTH_BOUND_MB,
    FaultResult,
    _result,
    receiver_memory,
    redelivered_after_the_kill,
    stream_scenarios,
)
from swsim.verify.receiver import REDELIVERED_SQL, CountingHandler, CountingStore
from swsim.verify.tax_fault import _Count, tax_channel_down

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
    assert r.redelivered is not None
    if name == "node-killed-before-commit":  # the kill leaves an applied message without a committed offset
        assert r.redelivered >= 1, r.to_dict()
        assert r.judged == {"redelivered >= 1": True}


def test_a_slow_consumer_keeps_its_memory_bounded(tmp_path: Path) -> None:
    r = stream_scenarios(N)["slow-consumer"](tmp_path, lambda _s: None)
    _check(r)
    assert r.detail["receiver_rss_peak_mb"] > 0
    assert r.detail["receiver_rss_growth_bound_mb"] == RECEIVER_GROWTH_BOUND_MB
    assert r.judged == {"receiver_rss_growth_mb < receiver_rss_growth_bound_mb": True}  # judged, and met


def test_a_tax_channel_down_for_a_third_of_the_run(tmp_path: Path) -> None:
    r = tax_channel_down(tmp_path, 500, lambda _s: None)
    assert (r.sent, r.acknowledged, r.applied, r.lost, r.duplicated) == (500, 500, 500, 0, 0), r.to_dict()
    assert (r.detail["arrived_on_a"], r.detail["arrived_on_b"]) == (500, 500)  # A caught up after the outage
    assert r.judged == {"arrived_on_a == sent": True, "arrived_on_b == sent": True, "timed_out == []": True}
    assert r.detail["timed_out"] == []
    assert r.redelivered == 500  # every record came on both channels and was applied once


def test_the_counting_sees_losses_and_duplicates() -> None:
    acked = {"M1", "M2", "M3"}
    r = _result("x", 4, time.monotonic(), (acked, {"M1": 1, "M2": 2}, 1))
    assert (r.sent, r.acknowledged, r.applied, r.lost, r.duplicated) == (4, 3, 2, 1, 1)
    assert r.detail["rejected"] == 1
    assert not r.ok


def test_tax_channel_a_never_back_fails_though_b_brought_everything() -> None:
    """Channel B alone satisfies the counts (acknowledged, applied, nothing lost): channel A is judged too."""
    ids = {f"R{i}" for i in range(10)}
    count = _Count(set(ids), dict.fromkeys(ids, 1), {"R0", "R1"}, set(ids))
    r = tax_fault._result(10, count, [], 1.0)
    assert (r.acknowledged, r.applied, r.lost, r.duplicated) == (10, 10, 0, 0)
    assert r.judged["arrived_on_a == sent"] is False
    assert not r.ok


def test_a_tax_wait_that_times_out_is_reported_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {"R0"}
    monkeypatch.setattr(tax_fault, "_count", lambda _stack, _ids: _Count(set(), {}, set(), set()))
    assert tax_fault._until_a_flows(None, ids, 1, timeout_s=0.2) is False  # type: ignore[arg-type]
    done = _Count(set(ids), {"R0": 1}, set(ids), set(ids))
    r = tax_fault._result(1, done, ["channel A flowing before the outage"], 1.0)
    assert r.detail["timed_out"] == ["channel A flowing before the outage"]
    assert r.judged["timed_out == []"] is False
    assert not r.ok


def test_slow_consumer_memory_is_judged_against_its_bound() -> None:
    figures, judged = receiver_memory([60.0, 70.0, 65.0])
    assert (figures["receiver_rss_growth_mb"], list(judged.values())) == (10.0, [True])
    assert figures["receiver_rss_growth_bound_mb"] == RECEIVER_GROWTH_BOUND_MB
    _, judged = receiver_memory([60.0, 60.0 + RECEIVER_GROWTH_BOUND_MB + 1])
    assert list(judged.values()) == [False]
    _, judged = receiver_memory([])  # nothing measured: not a pass
    assert list(judged.values()) == [False]


def test_the_receiver_counts_records_its_seen_check_turned_away(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "r.db", CountingHandler.store_schema + CountingStore.schema)
    try:
        with store.transaction():
            assert store.first_time("S", "M1", "t")
        for _ in range(2):
            with store.transaction():
                assert not store.first_time("S", "M1", "t")
        assert store.rows(REDELIVERED_SQL) == [("S", "M1", 2)]
    finally:
        store.close()
    assert redelivered_after_the_kill(0) == {"redelivered >= 1": False}
