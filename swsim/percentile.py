"""Nearest-rank percentiles of small in-memory samples (per-second series; HdrHistogram does the headline figures)."""

from __future__ import annotations

import math
from collections.abc import Iterable


def nearest_rank(values: Iterable[float], p: float) -> float:
    """The ``p`` (0..1) nearest-rank percentile, rounded to 3 decimals; 0.0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)], 3)
