"""How `swsim bench gateway` turns its rounds into figures: medians of the rates, and of the ratios taken within
each round (a rate and its baseline measured moments apart), not the ratio of the medians."""

from __future__ import annotations

import pytest

from swsim.bench.gateway_bench import summarize


def _round(router: float, passthrough: float, single: float, bare: float, batch: float) -> dict[str, float]:
    return {"router_msgs_per_s": router, "passthrough_msgs_per_s": passthrough, "http_single_per_s": single,
            "http_bare_per_s": bare, "http_batch_msgs_per_s": batch}  # fmt: skip


def test_figures_are_medians_of_the_rounds_and_ratios_are_taken_within_each_round() -> None:
    # the machine slows down in round 2: both the router and its baseline fall, their ratio holds
    rounds = [_round(600, 1000, 300, 1500, 1800), _round(300, 500, 150, 500, 900), _round(700, 1400, 350, 1400, 2100)]
    s = summarize(rounds)
    assert s["rounds"] == 3
    assert s["router_msgs_per_s"] == 600
    assert s["passthrough_msgs_per_s"] == 1000
    assert s["router_vs_passthrough"] == 0.6  # the rounds' ratios are 0.6, 0.6 and 0.5
    assert s["http_vs_bare"] == 0.25  # 0.2, 0.3 and 0.25; the ratio of the medians would be 300 / 1400
    assert s["http_batch_vs_single"] == 6.0
    assert [d["router_vs_passthrough"] for d in s["rounds_detail"]] == [0.6, 0.6, 0.5]


def test_one_round_reports_its_own_figures() -> None:
    s = summarize([_round(512.34, 1024.68, 100, 400, 550)])
    assert s["rounds"] == 1
    assert s["router_msgs_per_s"] == 512.3
    assert s["router_vs_passthrough"] == pytest.approx(0.5)
    assert s["http_batch_vs_single"] == 5.5
