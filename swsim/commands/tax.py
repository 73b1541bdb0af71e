"""``swsim tax reconcile``: compare what each tax bureau sent with what arrived on each channel of the dual channel."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from swsim.commands.consoles import console

app = typer.Typer(help="The tax bureaus' dual channel (双通道).", no_args_is_help=True)
out = console()
err = console(stderr=True)


@app.command("reconcile")
def reconcile_cmd(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder holding nodes/<bureau>.db (or SWSIM_DATA_DIR; under `swsim up`: DIR/embedded)."),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Seconds after which a record not on a channel is missing (else late).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Reconcile the two channels in both directions: records missing on one side, late, or different in content.

    Exit status 0 when the report is clean (nothing missing, mismatched, unexpected or applied other than once),
    1 when it is not, 2 when the stores cannot be read."""
    from pydantic import ValidationError

    from swsim.network import TAX_CQ, TAX_SC
    from swsim.settings import Settings, invalid_setting_message
    from swsim.stack import store_ref
    from tax_exchange.reconcile import read_view, reconcile

    given = {"data_dir": data_dir, "tax_reconcile_threshold_s": threshold}
    overrides = {k: v for k, v in given.items() if v is not None}  # (0 is given, and refused: not dropped)
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        if not as_json:
            raise  # swsim.cli.main says which, in one line
        print(json.dumps({"error": {"code": "INVALID_SETTING", "message": invalid_setting_message(e)}},
                         ensure_ascii=False))  # fmt: skip
        raise typer.Exit(2) from None
    under_up = settings.model_copy(update={"data_dir": settings.data_dir / "embedded"})  # `swsim up`'s, embedded
    if (
        not settings.store_url
        and not store_ref(settings, TAX_CQ).path.exists()
        and store_ref(under_up, TAX_CQ).path.exists()
    ):
        settings = under_up
    import psycopg  # (here: it takes a tenth of a second to load, which every other command would pay)

    try:
        views = [read_view(p, store_ref(settings, p)) for p in (TAX_CQ, TAX_SC)]
    except (OSError, sqlite3.Error, psycopg.Error) as e:
        message = f"{e}; run the exchange first (swsim up / swsim demo) or give --data-dir"
        if as_json:  # the same one JSON object on stdout that scripts parse, with an error instead of a report
            print(json.dumps({"error": {"code": "STORE_UNREADABLE", "message": message}}, ensure_ascii=False))
        else:
            err.print(f"[red]{escape(message)}[/red]")
        raise typer.Exit(2) from None
    report = reconcile(views[0], views[1], settings.tax_reconcile_threshold_s)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        raise typer.Exit(0 if report.clean else 1)
    table = Table(title=f"dual-channel reconciliation (threshold {report.threshold_s:g} s)")
    for col in ("direction", "sent", "on A", "on B", "in flight A/B", "applied once", "max delay A/B (s)"):
        table.add_column(col)
    for d in report.directions:
        table.add_row(
            f"{d.sender} -> {d.receiver}",
            str(d.sent),
            str(d.arrived["A"]),
            str(d.arrived["B"]),
            f"{d.in_flight['A']}/{d.in_flight['B']}",
            str(d.applied_once),
            f"{d.delay_max_s['A']:.2f}/{d.delay_max_s['B']:.2f}",
        )
    out.print(table)
    for f in report.findings[:50]:
        colour = "yellow" if f.kind == "late" else "red"
        what = f"{f.direction} {f.record_id} v{f.version} {f.channel}: {f.detail}"
        out.print(f"[{colour}]{f.kind}[/{colour}] {escape(what)}")
    if len(report.findings) > 50:
        out.print(f"... and {len(report.findings) - 50} more findings (use --json for all)")
    counts = ", ".join(f"{k} {report.count(k)}" for k in ("missing", "late", "mismatch", "unexpected", "applied"))
    out.print(("[green]clean[/green]" if report.clean else "[red]NOT clean[/red]") + f": {counts}")
    raise typer.Exit(0 if report.clean else 1)
