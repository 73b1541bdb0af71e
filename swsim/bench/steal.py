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
    except (OSError, IndexError):
        return None
    if first[0] != "cpu" or len(first) < 9:
        return None
    ticks = [int(v) for v in first[1:]]
    # user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
    return ticks[7], sum(ticks[:8])


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
