"""``swsim bench ...``: benchmarks that print ratios against baselines measured in the same run."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

app = typer.Typer(help="Benchmarks (figures as ratios against a baseline measured in the same run).")
out = Console(highlight=False)


@app.command("schemas")
def bench_schemas(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    seconds: Annotated[float, typer.Option(help="Total measuring time, shared by all paths.")] = 6.0,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds; the median is reported.")] = 5,
) -> None:
    """Decode+validate rate of a 4-5 KiB manifest in XML and JSON vs pydantic-xml's from_xml."""
    from swsim.bench.schemas_bench import run

    if seconds <= 0 or rounds < 1:
        raise typer.BadParameter("--seconds must be > 0 and --rounds >= 1")
    if as_json:
        result = run(seconds, rounds)
        print(json.dumps(result))
        return
    with Progress(transient=True) as bar:
        task = bar.add_task("measuring", total=rounds)
        result = run(seconds, rounds, lambda done, _total: bar.update(task, completed=done))
    table = Table(
        title=f"{result['message_type']} manifest: {result['xml_bytes']} B XML, {result['json_bytes']} B JSON"
    )
    table.add_column("path")
    table.add_column("msgs/s", justify="right")
    table.add_column("vs pydantic-xml", justify="right")
    table.add_row("swsim XML decode+validate", f"{result['xml_msgs_per_s']:,.0f}", f"{result['xml_vs_pydantic_xml']}x")
    table.add_row(
        "swsim JSON decode+validate",
        f"{result['json_msgs_per_s']:,.0f}",
        f"{result['json_vs_pydantic_xml']}x",
    )
    table.add_row("pydantic-xml from_xml (baseline)", f"{result['pydantic_xml_msgs_per_s']:,.0f}", "1.0x")
    out.print(table)
