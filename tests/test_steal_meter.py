"""The steal-time meter of the benchmarks: a share of all CPU time, from /proc/stat's first line."""

from __future__ import annotations

from pathlib import Path

import pytest

from swsim.bench import steal


def _stat(tmp_path: Path, steal_ticks: int, other: int, guest: int = 7) -> Path:
    p = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    p.write_text(f"cpu  {other} 0 0 0 0 0 0 {steal_ticks} {guest} {guest}\ncpu0 1 2 3\n")
    return p


def test_steal_is_its_share_of_all_cpu_time_between_start_and_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steal, "_PROC_STAT", _stat(tmp_path, 100, 900))
    meter = steal.StealMeter().start()
    # +30 steal of +300 in all; guest time is part of user time already, so it is not added again
    monkeypatch.setattr(steal, "_PROC_STAT", _stat(tmp_path, 130, 1170, guest=307))
    assert meter.percent() == 10.0


def test_no_figure_where_there_is_no_proc_stat_or_no_time_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steal, "_PROC_STAT", tmp_path / "missing")
    assert steal.StealMeter().start().percent() is None
    monkeypatch.setattr(steal, "_PROC_STAT", _stat(tmp_path, 5, 5))
    assert steal.StealMeter().start().percent() is None
    for garbage in ("", "cpu  1 2 x 4 5 6 7 8\n", "intr 1 2 3 4 5 6 7 8 9\n"):
        (tmp_path / "stat").write_text(garbage)
        monkeypatch.setattr(steal, "_PROC_STAT", tmp_path / "stat")
        assert steal.StealMeter().start().percent() is None
