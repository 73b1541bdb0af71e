"""`swsim bench replay --quick --json` runs end to end (own broker, the exchange as a child process) and its
figures are consistent with each other."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_bench_replay_json_keys() -> None:
    exe = shutil.which("swsim", path=str(Path(sys.executable).parent))
    assert exe is not None
    args = [exe, "bench", "replay", "--quick", "--json", "--exchange-clients", "confluent"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["recording_messages"] == 5_000
    assert (doc["exchange_producer"], doc["exchange_consumer"]) == ("confluent", "confluent")
    assert 0 <= doc["timing_steal_pct"] <= 100  # /proc/stat is there on the Linux machines the suite runs on
    assert 0 <= doc["steal_pct"] <= 100
    assert 0 < doc["timing_error_p99_ms"] <= doc["timing_error_max_ms"]
    assert doc["max_rate_vs_producer"] == pytest.approx(doc["max_rate_msgs_per_s"] / doc["producer_msgs_per_s"],
                                                        abs=0.002)  # fmt: skip
    assert doc["max_rate_msgs_per_s"] > 0
    steps = doc["sustained_steps"]
    assert steps
    passed = [s["rate"] for s in steps if s["passed"]]
    assert doc["sustained_rate"] == (max(passed) if passed else 0)
    for s in steps:  # a step passes exactly when nothing was lost and p99 was within the limit
        p99 = s["p99_ms"]  # null: nothing delivered in that step
        assert s["passed"] == (s["lost"] == 0 and p99 is not None and p99 <= doc["sustained_p99_limit_ms"])


def test_exchange_clients_default_to_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from swsim.bench.replay_bench import exchange_clients

    monkeypatch.setenv("SWSIM_KAFKA_PRODUCER", "confluent")
    monkeypatch.delenv("SWSIM_KAFKA_CONSUMER", raising=False)
    assert exchange_clients(None) == ({}, "confluent", "kafka-python")  # the child inherits the environment
    both = {"SWSIM_KAFKA_PRODUCER": "kafka-python", "SWSIM_KAFKA_CONSUMER": "kafka-python"}
    assert exchange_clients("kafka-python") == (both, "kafka-python", "kafka-python")


def test_unknown_exchange_clients_are_refused() -> None:
    from typer.testing import CliRunner

    from swsim.cli import app

    done = CliRunner().invoke(app, ["bench", "replay", "--exchange-clients", "librdkafka"])
    assert done.exit_code == 2
    assert "--exchange-clients is confluent or kafka-python" in done.output


class _Run:
    def __init__(self, rate: float, limit: float) -> None:
        self.rate, self.limit = rate, limit

    def summary(self) -> dict[str, object]:
        p99 = 50.0 if self.rate <= self.limit else 150.0
        return {"sent": 300, "lost": 0, "latency_ms": {"p50": p99 / 2, "p99": p99}}


@pytest.mark.parametrize(
    ("limit", "max_steps", "rates", "found"),
    [
        (27.5, 20, [10, 20, 40, 30, 25, 27.5], 27.5),  # doubles to the first failure, then halves the gap 3 times
        (7, 20, [10, 5, 7.5, 6.2, 6.8], 6.8),  # halves to the first pass, then the same
        (27.5, 2, [10, 20], 20),  # the step budget ends it with the best rate passed so far
        (0.1, 2, [10, 5], 0),
    ],
)
def test_the_sustained_rate_search_steps_and_budget(
    monkeypatch: pytest.MonkeyPatch, limit: float, max_steps: int, rates: list[float], found: float
) -> None:
    from contextlib import nullcontext

    from gateway.topics import Topics
    from swsim.bench import replay_bench

    exchanges: list[str] = []

    def fresh() -> nullcontext[Topics]:
        exchanges.append("started")
        return nullcontext(Topics("t"))

    monkeypatch.setattr(replay_bench, "load_run", lambda _b, _t, _s, cfg: _Run(cfg.rate, limit))
    good, steps = replay_bench.sustained_rate("b", fresh, 1.0, 1, lambda _m: None, 3, max_steps)
    assert [s["rate"] for s in steps] == rates
    assert good == found
    assert len(exchanges) == len(steps)  # a fresh exchange for every step
    assert all(s["passed"] == (s["rate"] <= limit) for s in steps)


def test_a_step_with_nothing_delivered_fails_and_is_shown_as_n_a(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message refused: nothing lost, but no latency either (None). It must fail, not raise TypeError."""
    from contextlib import nullcontext

    from gateway.topics import Topics
    from swsim.bench import replay_bench
    from swsim.commands.bench import _ms

    class Refused:
        def summary(self) -> dict[str, object]:
            return {"sent": 300, "lost": 0, "latency_ms": {"p50": None, "p99": None}}

    monkeypatch.setattr(replay_bench, "load_run", lambda _b, _t, _s, _cfg: Refused())
    good, steps = replay_bench.sustained_rate("b", lambda: nullcontext(Topics("t")), 1.0, 1, lambda _m: None, 3, 2)
    assert (good, [(s["passed"], s["p99_ms"]) for s in steps]) == (0, [(False, None), (False, None)])
    assert (_ms(None), _ms(12.345)) == ("n/a", "12.3")
