"""``swsim bench schemas``: decode+validate rates of the XML and JSON paths vs pydantic-xml, same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from schemas.benchdata import bench_manifest
from schemas.codec import decode, encode
from schemas.registry import SPECS
from swsim.bench.pxml import equivalent


def _rate(fn: Callable[[], object], seconds: float) -> float:
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            fn()
        n += 20
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def run(seconds: float = 6.0, rounds: int = 5, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Interleave the three paths in ``rounds`` rounds and report each one's median rate."""
    message = bench_manifest()
    spec = SPECS[message.head.message_type]
    xml = encode(message, "xml")
    js = encode(message, "json")
    px_model = equivalent(spec.model, spec.namespace)
    if decode(xml) != decode(js):  # pragma: no cover - guarded by tests
        raise RuntimeError("the XML and JSON bench messages differ")
    px_model.from_xml(xml)  # the baseline must accept the same message
    paths: dict[str, Callable[[], object]] = {
        "xml": lambda: decode(xml, "xml"),
        "json": lambda: decode(js, "json"),
        "pydantic_xml": lambda: px_model.from_xml(xml),
    }
    per = seconds / (rounds * len(paths))
    rates: dict[str, list[float]] = {k: [] for k in paths}
    for r in range(rounds):
        for name, fn in paths.items():
            rates[name].append(_rate(fn, per))
        if progress is not None:
            progress(r + 1, rounds)
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "message_type": spec.code.value,
        "xml_bytes": len(xml),
        "json_bytes": len(js),
        "rounds": rounds,
        "xml_msgs_per_s": round(med["xml"], 1),
        "json_msgs_per_s": round(med["json"], 1),
        "pydantic_xml_msgs_per_s": round(med["pydantic_xml"], 1),
        "xml_vs_pydantic_xml": round(med["xml"] / med["pydantic_xml"], 2),
        "json_vs_pydantic_xml": round(med["json"] / med["pydantic_xml"], 2),
        "targets": {"xml_vs_pydantic_xml_min": 3.0, "xml_msgs_per_s_min": 5000},
    }
