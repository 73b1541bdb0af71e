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
    done = subprocess.run([exe, "bench", "replay", "--quick", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["recording_messages"] == 5_000
    assert 0 < doc["timing_error_p99_ms"] <= doc["timing_error_max_ms"]
    assert doc["max_rate_vs_producer"] == pytest.approx(doc["max_rate_msgs_per_s"] / doc["producer_msgs_per_s"],
                                                        abs=0.002)  # fmt: skip
    assert doc["max_rate_msgs_per_s"] > 0
    steps = doc["sustained_steps"]
    assert steps
    passed = [s["rate"] for s in steps if s["passed"]]
    assert doc["sustained_rate"] == (max(passed) if passed else 0)
    for s in steps:  # a step passes exactly when nothing was lost and p99 was within the limit
        assert s["passed"] == (s["lost"] == 0 and s["p99_ms"] <= doc["sustained_p99_limit_ms"])
