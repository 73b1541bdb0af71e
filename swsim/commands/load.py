"""``swsim load``: an open-model load test with an HTML report and a JSON summary (simulated parties)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from swsim.commands.consoles import console
from swsim.commands.traffic import PRODUCER_HELP, _naming, _producer, _settings, message_count

if TYPE_CHECKING:
    from simulators.load import Recording, Tally

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
    rate: Annotated[
        float | None, typer.Option(help="Messages per second of generated traffic (a fixed schedule).", min=0.01)
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Seconds of generated traffic.", min=0.1)] = None,
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
    replay: Annotated[
        Path | None,
        typer.Option(
            help="Drive it with this recording (swsim record / swsim generate --out) instead of generated "
            "traffic: re-signed, message ids rewritten."
        ),
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help="With --replay: the recorded timing divided by N (default 1).", min=1e-6)
    ] = None,
    max_rate: Annotated[bool, typer.Option("--max-rate", help="With --replay: send as fast as possible.")] = False,
) -> None:
    """Drive the exchange with generated traffic at RATE for DURATION seconds, or replay a recording (--replay FILE,
    at its timing / --speed, or --max-rate); measure end-to-end latency per message type (from the intended send
    time, so no coordinated omission; flat out, from the send) and count sent / delivered / receipted / rejected /
    lost. Writes an HTML report with plots and a JSON summary. Exit status 1 if any message was lost."""
    from gateway.topics import Topics
    from simulators import report as report_mod
    from simulators.load import LoadConfig, run
    from simulators.recording import RecordingError
    from simulators.replay import ReplayError

    recording = _traffic(rate, duration, seed, replay, speed, max_rate)
    settings = _settings(bootstrap)
    if not drain >= 0:  # NaN too
        raise typer.BadParameter("--drain must be a number >= 0")
    if report.suffix.lower() == ".json":
        raise typer.BadParameter("give the HTML file (e.g. report.html): the JSON summary is written beside it, "
                                 "with the suffix .json", param_hint="'--report'")  # fmt: skip
    try:  # fail now, not after the run (and leave no empty file behind)
        report.parent.mkdir(parents=True, exist_ok=True)
        for path in (report, report.with_suffix(".json")):
            if path.is_dir():
                raise IsADirectoryError(21, f"{path} is a folder")
            if not os.access(report.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
                raise PermissionError(13, "permission denied")
    except OSError as e:
        out.print(f"[red]cannot write {escape(str(report))}: {escape(e.strerror or str(e))}[/red]")
        raise typer.Exit(2) from None
    seed = seed if seed is not None else time.time_ns() // 1000 % 1_000_000
    tag = format(time.time_ns() // 1_000_000 % 36**6, "x")
    config = LoadConfig(rate or 0.0, duration or 0.0, seed, tag, drain, _producer(producer), recording)
    total: int | None
    if recording is None:
        assert rate is not None
        assert duration is not None
        total = message_count(rate, duration)  # checked in _traffic: one definition of the count
        out.print(f"load: {total} messages at {rate:g}/s for {duration:g} s, seed {seed} (simulated parties)")
    else:
        total = None  # the file is streamed: its length is known once it is sent
        out.print(
            f"load: replaying {escape(str(recording.path))} {recording.pace}, message-id tag {tag} (simulated parties)"
        )
    try:  # the exchange may fail to start, the warm-up not be answered, or the recording turn out malformed
        with _exchange(settings.kafka_bootstrap) as b, _bar() as bar:
            task = bar.add_task("warm-up", total=total, stats="")

            def show(t: Tally, phase: str) -> None:
                stats = f"delivered {t.delivered}  receipted {t.receipted}  rejected {t.rejected}"
                bar.update(task, description=phase, completed=t.n_sent if phase != "warm-up" else 0, stats=stats)

            result = run(b, Topics(settings.topic_prefix), settings.network_seed, config, show)
    except KeyboardInterrupt:  # the exchange started for the run is stopped on the way out
        out.print("[yellow]load test interrupted: nothing measured is reported (no report written)[/yellow]")
        raise typer.Exit(130) from None
    except (RecordingError, ReplayError) as e:
        assert replay is not None  # only a replay raises these
        out.print(f"[red]load test stopped: {escape(_naming(replay, e))}[/red]")
        raise typer.Exit(2) from None
    except (RuntimeError, TimeoutError) as e:
        out.print(f"[red]load test failed: {escape(str(e))}[/red]")
        raise typer.Exit(2) from None
    if recording is not None and result.tally.n_sent == 0:
        out.print(
            f"[red]{escape(str(replay))}: nothing timed: none of the {result.send.sent} records sent holds a "
            "message[/red]"
        )
        raise typer.Exit(2)
    s = result.summary()
    try:
        html_path, json_path = report_mod.write(result, report)
    except OSError as e:  # the checks before the run cannot foresee everything (a full disk, /proc)
        out.print(f"[red]cannot write the report {escape(str(report))}: {escape(e.strerror or str(e))}[/red]")
        print(json.dumps(s))  # the figures are not lost
        raise typer.Exit(2) from None
    out.print(summary_line(s))
    out.print(f"report: {escape(str(html_path))}  summary: {escape(str(json_path))}")
    if as_json:
        print(json.dumps(s))
    if s["lost"]:
        raise typer.Exit(1)


def _traffic(
    rate: float | None, duration: float | None, seed: int | None, replay: Path | None, speed: float | None,
    max_rate: bool,
) -> Recording | None:  # fmt: skip
    """The recording to replay (None: generated traffic), after checking the options fit together and that the
    recording opens (before any exchange is started for it)."""
    from simulators.load import Recording
    from simulators.recording import RecordingError, read
    from simulators.replay import ReplayError, check_start, ingress_topic

    if replay is None:
        if rate is None or duration is None:
            raise typer.BadParameter("give --rate and --duration (generated traffic), or --replay FILE")
        if speed is not None or max_rate:
            raise typer.BadParameter("--speed and --max-rate go with --replay FILE")
        message_count(rate, duration)
        return None
    if rate is not None or duration is not None or seed is not None:
        raise typer.BadParameter("--rate, --duration and --seed are for generated traffic; a replay's timing comes "
                                 "from its recording (--speed N or --max-rate)")  # fmt: skip
    if speed is not None and max_rate:
        raise typer.BadParameter("give --speed N or --max-rate, not both")
    if speed is not None and not math.isfinite(speed):
        raise typer.BadParameter("--speed is a finite number", param_hint="'--speed'")
    try:  # up to the first record to send: a missing, empty, foreign or unsendable recording is refused now
        with closing(read(replay)) as entries:
            check_start(entries, ingress_topic)
    except (RecordingError, ReplayError) as e:
        out.print(f"[red]{escape(_naming(replay, e))}[/red]")
        raise typer.Exit(2) from None
    return Recording(replay, None if max_rate else (speed or 1.0))


def _bar() -> Progress:
    return Progress(TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[stats]}"), console=out, transient=True)  # fmt: skip


def summary_line(s: dict[str, Any]) -> str:
    """The run's counts and delivery latency in one console line (no latency when nothing was delivered)."""
    lat = s["latency_ms"]
    latency = (
        f"delivery latency p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms"
        if lat["p50"] is not None
        else "no delivery latency (nothing delivered)"
    )
    return (f"sent {s['sent']}, delivered {s['delivered']}, receipted {s['receipted']}, rejected {s['rejected']}, "
            f"lost {s['lost']}; {latency}")  # fmt: skip
