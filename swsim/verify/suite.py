"""The whole of `swsim verify`: fault scenarios, hostile input, fuzzing, authorization; one report."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swsim.verify.faults import FaultResult, stream_scenarios
from swsim.verify.hostile import MEMORY_GROWTH_BOUND_MB
from swsim.verify.names import PARTS, SCENARIOS
from swsim.verify.tax_fault import tax_channel_down

__all__ = ["PARTS", "SCENARIOS"]  # where they were first defined: still importable from here


@dataclass
class Report:
    faults: list[FaultResult] = field(default_factory=list)
    hostile: dict[str, Any] | None = None
    fuzz: list[dict[str, Any]] = field(default_factory=list)
    authz: dict[str, Any] | None = None

    def problems(self) -> list[str]:
        """What failed, in words (empty: everything passed)."""
        out = [_fault_problem(f) for f in self.faults if not f.ok]
        if self.hostile is not None:
            out += hostile_problems(self.hostile)
        out += [f"fuzz {r['engine']}/{r['target']}: {r['crashes']} crashes" for r in self.fuzz if r["crashes"]]
        if self.authz is not None:
            out += authz_problems(self.authz)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.problems(),
            "problems": self.problems(),
            "faults": [f.to_dict() for f in self.faults],
            "hostile": self.hostile,
            "fuzz": self.fuzz,
            "authz": self.authz,
        }


def run(parts: tuple[str, ...], n: int, fuzz_seconds: float, scenarios: tuple[str, ...],
        say: Callable[[str], None], workdir: Path | None = None) -> Report:  # fmt: skip
    """Run the chosen parts; ``say`` reports progress (one line at a time)."""
    root = Path(tempfile.mkdtemp(prefix="swsim-verify-")) if workdir is None else workdir
    report = Report()
    try:
        if "faults" in parts:
            report.faults = _faults(root, n, scenarios, say)
        if "hostile" in parts or "authz" in parts:
            _against_a_gateway(report, parts, root, say)
        if "fuzz" in parts:
            from swsim.verify.fuzz import fuzz_decoders

            say(f"fuzz: the XML and JSON decoders for {fuzz_seconds:g} s")
            report.fuzz = [r.to_dict() for r in fuzz_decoders(fuzz_seconds, workdir=root / "fuzz")]
    finally:
        if workdir is None and not report.problems():
            shutil.rmtree(root, ignore_errors=True)  # kept when something failed: logs and crashing inputs
    return report


def _faults(root: Path, n: int, scenarios: tuple[str, ...], say: Callable[[str], None]) -> list[FaultResult]:
    stream = stream_scenarios(n)
    results = []
    for name in scenarios:
        say(f"fault {name}: {n} messages")
        progress = lambda s, name=name: say(f"  {name}: {s}")  # noqa: E731
        if name == "tax-channel-down":
            r = tax_channel_down(root / name, n, progress)
        else:
            r = stream[name](root / name, progress)
        say(f"  {name}: {'ok' if r.ok else 'FAILED'} (lost {r.lost}, duplicated {r.duplicated}, {r.seconds:g} s)")
        results.append(r)
    return results


def _against_a_gateway(report: Report, parts: tuple[str, ...], root: Path, say: Callable[[str], None]) -> None:
    from swsim.verify.target import gateway_target

    with gateway_target(root / "gateway") as target:
        if "hostile" in parts:
            from swsim.verify.hostile import run_hostile

            say("hostile: the corpus against every endpoint and the Kafka ingress (two passes)")
            last = [0]

            def progress(done: int, total: int) -> None:
                if done - last[0] >= 100 or done == total:
                    last[0] = done
                    say(f"  hostile: {done}/{total}")

            report.hostile = run_hostile(target, progress).to_dict()
        if "authz" in parts:
            from swsim.verify.authz import run_authz

            say("authz: parties x objects x endpoints, and function-level checks")
            report.authz = run_authz(target).to_dict()


def _fault_problem(f: FaultResult) -> str:
    unmet = [name for name, met in f.judged.items() if not met]
    return (f"{f.scenario}: lost {f.lost}, duplicated {f.duplicated}, acknowledged {f.acknowledged} of {f.sent}"
            + (f"; not met: {', '.join(unmet)}" if unmet else ""))  # fmt: skip


def hostile_problems(h: dict[str, Any]) -> list[str]:
    """Every input refused (and some sent), nothing fetched or read, memory within its bound."""
    out = []
    if not h["inputs"] or h["refused"] != h["inputs"] or h["server_errors"] or h["outbound_connections"] \
            or h["files_read"]:  # fmt: skip
        refused, errors, calls = h["inputs"] - h["refused"], h["server_errors"], h["outbound_connections"]
        out.append(f"hostile: {refused} of {h['inputs']} not refused, {errors} server errors, {calls} outbound "
                   f"connections, {h['files_read']} files read")  # fmt: skip
    bound = h.get("memory_growth_bound_mb", MEMORY_GROWTH_BOUND_MB)
    if not h["memory_growth_mb"] < bound:
        out.append(f"hostile: the gateway's memory grew {h['memory_growth_mb']:g} MB (bound {bound:g} MB)")
    return out


def authz_problems(a: dict[str, Any]) -> list[str]:
    """No cross-party read and no violation, over a matrix that was really run: every entitled read answered,
    every allowed send delivered, nothing misrouted, no problem of any other kind counted."""
    out = []
    if a["cross_party_reads"] or a["function_violations"]:
        out.append(f"authz: {a['cross_party_reads']} cross-party reads, "
                   f"{a['function_violations']} function-level violations")  # fmt: skip
    if not a["allowed_reads"] or a["allowed_reads_ok"] < a["allowed_reads"]:
        out.append(f"authz: {a['allowed_reads_ok']} of {a['allowed_reads']} entitled reads answered")
    if not a["allowed_sends"] or a["allowed_sends_ok"] < a["allowed_sends"]:
        out.append(f"authz: {a['allowed_sends_ok']} of {a['allowed_sends']} allowed sends delivered")
    if not a["function_checks"]:
        out.append("authz: no function-level check was made")
    if a["misrouted"]:
        out.append(f"authz: {a['misrouted']} messages misrouted")
    if a["problems"]:
        kinds = Counter(str(f.get("kind")) for f in a.get("failures", []))
        out.append(f"authz: {a['problems']} problems counted (first ones: "
                   f"{', '.join(f'{k} {n}' for k, n in kinds.most_common())})")  # fmt: skip
    return out
