"""``swsim conformance``: an integration team's own system plays one node; the kit plays the rest and judges it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from swsim.commands.consoles import console
from swsim.conformance.contract import ROLES

out = console()
err = console(stderr=True)


def conformance_cmd(
    role: Annotated[str, typer.Option(help=f"The role the system under test plays: {', '.join(ROLES)}.")],
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Kafka bootstrap HOST:PORT the system under test uses (or SWSIM_KAFKA_BOOTSTRAP)."),
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    json_report: Annotated[
        Path | None, typer.Option("--json-report", help="Write the JSON report here (default: next to --report).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
    scenario: Annotated[
        list[str] | None, typer.Option(help="Play only these scenarios (repeatable; default: all of the role's).")
    ] = None,
    time_scale: Annotated[
        float, typer.Option(min=0.05, max=100, help="Multiply every time limit of the contract by this.")
    ] = 1.0,
    data_dir: Annotated[Path | None, typer.Option(help="Working folder of the kit (or SWSIM_DATA_DIR).")] = None,
    tax_line: Annotated[
        str | None,
        typer.Option(
            help="Tax roles: the dedicated-line endpoint (channel B) of the bureau under test, e.g. "
            "http://127.0.0.1:8701; without it only channel A is checked."
        ),
    ] = None,
) -> None:
    """Check a system that plays one node of the exchange: the kit runs the gateway and every other party on the
    system's Kafka, plays the role's scenarios, and checks every reply (schema, type, receiver, correlation ids,
    receipts, allowed state transitions, time limits). The role contracts are in docs/conformance.md.

    Start the system under test first, on the same broker, topic prefix (SWSIM_TOPIC_PREFIX) and network seed;
    `swsim node ROLE --bootstrap HOST:PORT` runs the built-in one. Exit status 0 only when every check passes."""
    from swsim.commands.run import _settings
    from swsim.conformance.report import to_html
    from swsim.conformance.runner import KitError, kit_settings, run_conformance
    from swsim.conformance.scenarios import SCENARIOS

    if tax_line is not None and not role.startswith("tax-"):
        raise typer.BadParameter("--tax-line is for the tax roles (tax-cq, tax-sc)", param_hint="--tax-line")
    if tax_line is not None and not tax_line.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{tax_line!r} is not an http(s) URL", param_hint="--tax-line")
    if role not in ROLES:
        raise typer.BadParameter(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}", param_hint="--role")
    names = [s.name for s in SCENARIOS[role]]
    bad = [s for s in scenario or [] if s not in names]
    if bad:
        raise typer.BadParameter(
            f"{role} has no scenario {', '.join(bad)}; choose from: {', '.join(names)}", param_hint="--scenario"
        )
    settings = _settings(kafka_bootstrap=bootstrap, data_dir=data_dir)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT (the broker the system under test uses)")
    paths = [p for p in (report, json_report or (report.with_suffix(".json") if report else None)) if p is not None]
    if len(paths) == 2 and paths[0].resolve() == paths[1].resolve():
        raise typer.BadParameter("the HTML and the JSON report need two different files", param_hint="--report")
    for target in paths:
        _writable(target)
    settings = kit_settings(settings, role)

    def say(line: str) -> None:
        err.print(line, markup=False, highlight=False)

    err.print(f"conformance kit for {role} on {escape(str(settings.kafka_bootstrap))} (simulated gateway and parties)")
    try:
        result = run_conformance(role, settings, scenario or None, time_scale, say, tax_line)
    except KitError as e:
        raise typer.BadParameter(str(e), param_hint="SWSIM_TOPIC_PREFIX") from None
    data = result.to_dict()
    if json_report is None and report is not None:
        json_report = report.with_suffix(".json")
    for path, text in ((report, to_html(result) if report else ""), (json_report, json.dumps(data, indent=1))):
        if path is not None:
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as e:
                err.print(f"[red]could not write the report {escape(str(path))}: {escape(str(e))}[/red]")
                as_json = True  # the results are not lost: they go to stdout
                continue
            err.print(f"report: {escape(str(path))}")
    n = data["counts"]
    verdict = "[green]PASS[/green]" if result.ok else "[red]FAIL[/red]"
    err.print(
        f"{verdict}: {n['checks']} checks, {n['passed']} passed, {n['failed']} failed"
        + (f"; {n['aborted']} scenario(s) stopped early" if n["aborted"] else "")
    )
    for warning in result.warnings:
        err.print(f"[yellow]{escape(warning)}[/yellow]")
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    raise typer.Exit(0 if result.ok else 1)


def _writable(path: Path) -> None:
    """Refuse, before the run, a report path that cannot be written (the run's results would be lost)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise OSError(f"{path} is a folder")
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as e:
        raise typer.BadParameter(f"cannot write {path}: {e}", param_hint="--report") from None
