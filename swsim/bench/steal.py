"""The share of CPU time the hypervisor took from this machine (steal time) over a stretch of a benchmark.

On a shared virtual machine, steal is the noise that moves latency percentiles most: a run whose figures differ from
another's can be told apart by it. Read from ``/proc/stat`` (Linux); None where it is not available."""

from __future__ import annotations

from pathlib import Path

_PROC_STAT = Path("/proc/stat")


def _cpu_times() -> tuple[int, int] | None:
    """(steal, total) jiffies of all CPUs since boot."""
    try:
        first = _PROC_STAT.read_text().splitlines()[0].split()
        if len(first) < 9 or first[0] != "cpu":
            return None
        # user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
        ticks = [int(v) for v in first[1:9]]
    except (OSError, IndexError, ValueError):
        return None
    return ticks[7], sum(ticks)


class StealMeter:
    """Steal time as a percentage of all CPU time between :meth:`start` and :meth:`percent`."""

    def __init__(self) -> None:
        self._start: tuple[int, int] | None = None

    def start(self) -> StealMeter:
        self._start = _cpu_times()
        return self

    def percent(self) -> float | None:
        end = _cpu_times()
        if self._start is None or end is None or end[1] <= self._start[1]:
            return None
        return round(100.0 * (end[0] - self._start[0]) / (end[1] - self._start[1]), 1)
