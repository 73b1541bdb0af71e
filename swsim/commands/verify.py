"""`swsim verify`: reliability and security shown by counting."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from swsim.commands.consoles import console
from swsim.verify.names import PARTS, SCENARIOS

if TYPE_CHECKING:
    from swsim.verify.suite import Report

out = console()
err = console(stderr=True)


def verify_cmd(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (faults, hostile, fuzz, authz).")
    ] = False,
    n: Annotated[int, typer.Option("--n", min=10, help="Messages in flight per fault scenario.")] = 10_000,
    only: Annotated[
        list[str] | None, typer.Option(help=f"Run only these parts (repeatable): {', '.join(PARTS)}.")
    ] = None,
    scenario: Annotated[
        list[str] | None, typer.Option(help=f"Fault scenarios to run (repeatable): {', '.join(SCENARIOS)}.")
    ] = None,
    fuzz_seconds: Annotated[float, typer.Option(min=1, help="Time box of the decoder fuzzing.")] = 60.0,
) -> None:
    """Show by counting that the exchange loses nothing under faults and refuses hostile input, against the
    embedded broker (everything runs on this machine; nothing needs to be running).

    Faults (each with N messages in flight): the broker killed and restarted empty, the gateway killed and
    restarted, a node killed between applying a message and committing its offset, a tax channel down for a third
    of the run, a slow consumer. Then a hostile-input corpus against every HTTP endpoint and the Kafka ingress,
    time-boxed fuzzing of the XML and JSON decoders, and the authorization matrix. Exit status 0 when everything
    passed, 1 otherwise."""
    from swsim.verify.suite import run

    parts = tuple(only or PARTS)
    scenarios = tuple(scenario or SCENARIOS)
    for name, allowed, what in ((parts, PARTS, "--only"), (scenarios, SCENARIOS, "--scenario")):
        bad = [x for x in name if x not in allowed]
        if bad:
            raise typer.BadParameter(f"unknown {', '.join(bad)}; choose from: {', '.join(allowed)}", param_hint=what)
    report = run(parts, n, fuzz_seconds, scenarios, lambda s: err.print(s))
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print(report)
    raise typer.Exit(0 if not report.problems() else 1)


def _print(report: Report) -> None:
    if report.faults:
        t = Table(title="faults (the embedded broker; counts per message)")
        for col in ("scenario", "sent", "acknowledged", "applied", "lost", "duplicated", "redelivered", "seconds",
                    "notes"):  # fmt: skip
            t.add_column(col, justify="left" if col in ("scenario", "notes") else "right")
        for f in report.faults:
            notes = ", ".join(f"{k} {v}" for k, v in f.detail.items() if (k not in ("rejected", "timed_out") or v))
            notes += "".join(f", {name}: {'met' if met else 'NOT MET'}" for name, met in f.judged.items())
            t.add_row(f.scenario, str(f.sent), str(f.acknowledged), str(f.applied), str(f.lost), str(f.duplicated),
                      "-" if f.redelivered is None else str(f.redelivered), f"{f.seconds:g}", notes)  # fmt: skip
        out.print(t)
    if report.hostile is not None:
        h = report.hostile
        t = Table(title="hostile input (every HTTP endpoint and the Kafka ingress)")
        for col in ("inputs", "refused", "server errors", "outbound connections", "files read",
                    "memory growth MB (bound)"):  # fmt: skip
            t.add_column(col, justify="right")
        t.add_row(str(h["inputs"]), str(h["refused"]), str(h["server_errors"]), str(h["outbound_connections"]),
                  str(h["files_read"]), f"{h['memory_growth_mb']:g} (< {h['memory_growth_bound_mb']:g})")  # fmt: skip
        out.print(t)
    if report.fuzz:
        t = Table(title="fuzzing the decoders")
        for col in ("engine", "target", "seconds", "inputs", "crashes"):
            t.add_column(col, justify="right")
        for r in report.fuzz:
            t.add_row(r["engine"], r["target"], f"{r['seconds']:g}", str(r["inputs"]), str(r["crashes"]))
        out.print(t)
    if report.authz is not None:
        a = report.authz
        t = Table(title="authorization")
        for col in ("reads", "cross-party reads", "entitled reads ok", "function checks", "violations",
                    "allowed sends ok", "misrouted", "problems"):  # fmt: skip
            t.add_column(col, justify="right")
        t.add_row(str(a["reads"]), str(a["cross_party_reads"]), f"{a['allowed_reads_ok']}/{a['allowed_reads']}",
                  str(a["function_checks"]), str(a["function_violations"]),
                  f"{a['allowed_sends_ok']}/{a['allowed_sends']}", str(a["misrouted"]), str(a["problems"]))  # fmt: skip
        out.print(t)
    problems = report.problems()
    out.print("[green]everything passed[/green]" if not problems else "[red]" + escape("\n".join(problems)) + "[/red]")
