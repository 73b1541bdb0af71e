"""The steal-time meter of the benchmarks: a share of all CPU time, from /proc/stat's first line."""

from __future__ import annotations

from pathlib import Path

import pytest

from swsim.bench import steal


def _stat(tmp_path: Path, steal_ticks: int, other: int) -> Path:
    p = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    p.write_text(f"cpu  {other} 0 0 0 0 0 0 {steal_ticks} 7 7\ncpu0 1 2 3\n")
    return p


def test_steal_is_its_share_of_all_cpu_time_between_start_and_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steal, "_PROC_STAT", _stat(tmp_path, 100, 900))
    meter = steal.StealMeter().start()
    monkeypatch.setattr(steal, "_PROC_STAT", _stat(tmp_path, 130, 1170))  # +30 steal of +300 in all (guest not added)
    assert meter.percent() == 10.0


def test_no_figure_where_there_is_no_proc_stat_or_no_time_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steal, "_PROC_STAT", tmp_path / "missing")
    assert steal.StealMeter().start().percent() is None
    monkeypatch.setattr(steal, "_PROC_STAT", _stat(tmp_path, 5, 5))
    assert steal.StealMeter().start().percent() is None
