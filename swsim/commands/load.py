"""``swsim load``: an open-model load test with an HTML report and a JSON summary (simulated parties)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from swsim.commands.consoles import console
from swsim.commands.traffic import PRODUCER_HELP, _producer, _settings

if TYPE_CHECKING:
    from simulators.load import Tally

out = console(stderr=True)


@contextlib.contextmanager
def _exchange(bootstrap: str | None) -> Iterator[str]:
    """The exchange to drive: the one at ``bootstrap``, or a whole one started here for the run (broker embedded
    in this process's children, gateway and nodes as one child process)."""
    if bootstrap is not None:
        yield bootstrap
        return
    from swsim.proc import stack_process

    with tempfile.TemporaryDirectory(prefix="swsim-load-") as tmp:
        out.print("no --bootstrap: starting an embedded broker and the whole exchange (swsim up) for this run ...")
        with stack_process(Path(tmp)) as b:
            yield b


def load_cmd(
    rate: Annotated[float, typer.Option(help="Messages per second (a fixed schedule: the open model).", min=0.01)],
    duration: Annotated[float, typer.Option(help="Seconds of sending.", min=0.1)],
    report: Annotated[Path, typer.Option(help="The HTML report to write (the JSON summary goes next to it).")] = Path(
        "load-report.html"
    ),
    seed: Annotated[int | None, typer.Option(help="Traffic seed (default: from the clock; printed).")] = None,
    drain: Annotated[float, typer.Option(help="Seconds to wait after the last send for what is in flight.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the JSON summary on stdout.")] = False,
    bootstrap: Annotated[
        str | None, typer.Option(help="A running exchange's Kafka HOST:PORT (default: start one for the run).")
    ] = None,
    producer: Annotated[str, typer.Option(help=PRODUCER_HELP)] = "confluent",
) -> None:
    """Drive the exchange with generated traffic at RATE for DURATION seconds; measure end-to-end latency per
    message type (from the intended send time: no coordinated omission) and count sent / delivered / receipted /
    rejected / lost. Writes an HTML report with plots and a JSON summary. Exit status 1 if any message was lost."""
    from gateway.topics import Topics
    from simulators import report as report_mod
    from simulators.load import LoadConfig, run

    settings = _settings(bootstrap)
    if drain < 0:
        raise typer.BadParameter("--drain must be >= 0")
    try:  # fail now, not after the run (and leave no empty file behind)
        report.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(report.parent, os.W_OK) or (report.exists() and not os.access(report, os.W_OK)):
            raise PermissionError(13, "permission denied")
    except OSError as e:
        out.print(f"[red]cannot write {report}: {e.strerror or e}[/red]")
        raise typer.Exit(2) from None
    seed = seed if seed is not None else time.time_ns() // 1000 % 1_000_000
    tag = format(time.time_ns() // 1_000_000 % 36**6, "x")
    config = LoadConfig(rate, duration, seed, tag, drain, _producer(producer))
    total = int(rate * duration)
    out.print(f"load: {total} messages at {rate:g}/s for {duration:g} s, seed {seed} (simulated parties)")
    try:  # the exchange may fail to start, or the warm-up to be answered
        with _exchange(settings.kafka_bootstrap) as b, _bar() as bar:
            task = bar.add_task("warm-up", total=total, stats="")

            def show(t: Tally, phase: str) -> None:
                stats = f"delivered {t.delivered}  receipted {t.receipted}  rejected {t.rejected}"
                bar.update(task, description=phase, completed=t.n_sent if phase != "warm-up" else 0, stats=stats)

            result = run(b, Topics(settings.topic_prefix), settings.network_seed, config, show)
    except (RuntimeError, TimeoutError) as e:
        out.print(f"[red]load test failed: {e}[/red]")
        raise typer.Exit(2) from None
    html_path, json_path = report_mod.write(result, report)
    s = result.summary()
    lat = s["latency_ms"]
    out.print(
        f"sent {s['sent']}, delivered {s['delivered']}, receipted {s['receipted']}, rejected {s['rejected']}, "
        f"lost {s['lost']}; delivery latency p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"
    )
    out.print(f"report: {html_path}  summary: {json_path}")
    if as_json:
        print(json.dumps(s))
    if s["lost"]:
        raise typer.Exit(1)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[stats]}"), console=out, transient=True)  # fmt: skip
