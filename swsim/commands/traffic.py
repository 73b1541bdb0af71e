"""``swsim generate``, ``swsim record``, ``swsim replay``: traffic for load testers (simulated parties only)."""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from swsim.commands.consoles import console
from swsim.settings import Settings

if TYPE_CHECKING:
    from simulators.recording import Entry
    from simulators.replay import ReplayStats

out = console(stderr=True)


def _naming(path: Path, e: Exception) -> str:
    """The error about recording ``path``, naming it once (recording errors may already start with it)."""
    said = str(e)
    return said if said.startswith(str(path)) else f"{path}: {said}"


def _settings(bootstrap: str | None) -> Settings:
    return Settings(kafka_bootstrap=bootstrap) if bootstrap else Settings()  # a bad value: swsim.cli.main says


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=out, transient=True)  # fmt: skip


STALE_SLACK_MS = 1000
"""How far before its start ``swsim record`` still takes a record's time (clocks of other hosts may lag)."""


def message_count(rate: float, duration: float) -> int:
    """How many messages RATE for DURATION seconds makes: a usage error if not a finite number, or none."""
    for name, value in (("--rate", rate), ("--duration", duration)):
        if not math.isfinite(value):
            raise typer.BadParameter(f"{name} is a finite number", param_hint=f"'{name}'")
    if not math.isfinite(rate * duration):
        raise typer.BadParameter("--rate times --duration is too large a number of messages")
    total = int(rate * duration)
    if total < 1:
        raise typer.BadParameter(f"--rate {rate:g} for --duration {duration:g} s makes no message: "
                                 "give at least one (rate times duration >= 1)")  # fmt: skip
    return total


def generate_cmd(
    rate: Annotated[float, typer.Option(help="Messages per second.", min=0.001)],
    duration: Annotated[float, typer.Option(help="Seconds of traffic.", min=0.001)],
    seed: Annotated[int, typer.Option(help="Same seed, same traffic (use another seed to send again).")] = 1,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write a recording file instead of sending.")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
    producer: Annotated[str, typer.Option(help=PRODUCER_HELP)] = "confluent",
) -> None:
    """Generate coherent consignment traffic (synthetic parties): send it to a running exchange at RATE for
    DURATION seconds, or write it to a recording file with --out."""
    from gateway.topics import Topics
    from simulators.generator import Generator, entries
    from simulators.recording import Writer

    settings = _settings(bootstrap)
    ingress = Topics(settings.topic_prefix).ingress
    total = message_count(rate, duration)
    t0 = time.time() if out_file is not None else 0.0
    planned = entries(Generator(seed, settings.network_seed), rate, duration, ingress, t0)
    if out_file is None:
        if settings.kafka_bootstrap is None:
            raise typer.BadParameter("give --bootstrap HOST:PORT, set SWSIM_KAFKA_BOOTSTRAP, or use --out FILE")
        _send(settings, planned, 1.0, None, total, "sending", _producer(producer))
        return
    try:
        with Writer(out_file, f"swsim generate --seed {seed}") as w, _progress() as bar:
            task = bar.add_task("generating", total=total)
            for e in planned:
                w.write(e)
                bar.advance(task)
    except OSError as e:
        out.print(f"[red]cannot write {escape(str(out_file))}: {escape(e.strerror or str(e))}[/red]")
        raise typer.Exit(2) from None
    out.print(f"wrote {w.count} messages to {escape(str(out_file))}")


PRODUCER_HELP = ("Producer client: confluent (librdkafka, about 7 us per send here) or kafka-python (about 110 us), "
                 "so the load generator is not the bottleneck.")  # fmt: skip


def _client(name: str, option: str) -> str:
    if name not in ("confluent", "kafka-python"):
        raise typer.BadParameter(f"{option} is confluent or kafka-python")
    return name


def _producer(name: str) -> str:
    return _client(name, "--producer")


def _send(settings: Settings, entries: Iterable[Entry], speed: float | None, tag: str | None, total: int | None,
          what: str, producer: str = "confluent") -> ReplayStats:  # fmt: skip
    """Send entries into the running exchange as their senders (re-signed), on schedule or flat out."""
    from gateway.topics import Topics
    from simulators.publisher import Publisher
    from simulators.replay import ingress_topic, replay
    from swsim.transport.kafka import KafkaTransport

    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP")
    transport = KafkaTransport(settings.kafka_bootstrap, f"swsim-{what}", producer=producer)
    pub = Publisher(transport, Topics(settings.topic_prefix), settings.network_seed)

    def send(e: Entry, body: bytes, mid: str | None, intended: float) -> None:
        pub.publish(e.header("sw-sender") or "", body, e.key.decode() if e.key else None, mid)

    try:
        with _progress() as bar:
            task = bar.add_task(what, total=total)
            stats = replay(entries, send, speed, tag, ingress_topic, lambda n: bar.update(task, completed=n))
            pub.flush()
    finally:
        transport.close()
    t = stats.timing()
    rate = f"{stats.rate:.0f}/s" if stats.sent >= 2 else "no rate: fewer than 2 sent"
    out.print(f"{what}: {stats.sent} messages in {stats.duration_s:.1f} s ({rate})")
    out.print(f"send-time error p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms, max {t['max_ms']:.2f} ms")
    return stats


def record_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="The recording file to write (gzip JSON lines).")],
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")] = None,
    from_beginning: Annotated[bool, typer.Option(help="Also take what the ingress topic already holds.")] = False,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
) -> None:
    """Record the exchange: every record parties send to the ingress topic, with its time, key, headers and body.
    The recording is written in time order when the recording stops (records come partition by partition)."""
    from gateway.topics import Topics
    from simulators.recording import Entry
    from simulators.timeorder import SortedWriter
    from swsim.transport.kafka import KafkaTransport

    settings = _settings(bootstrap)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP")
    if duration is not None and not (0 < duration < math.inf):
        raise typer.BadParameter("--duration is a number of seconds > 0 (leave it out to stop with Ctrl-C)")
    topics = Topics(settings.topic_prefix)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    # Without --from-beginning, what was sent before the start is not recorded. The embedded broker can answer an
    # end offset one short, which would put a partition's last, possibly minutes-old, record in the recording.
    since_ms = 0 if from_beginning else time.time() * 1000 - STALE_SLACK_MS
    transport = KafkaTransport(settings.kafka_bootstrap, "swsim-record")
    try:
        if topics.ingress not in transport.topic_names():
            raise RuntimeError(f"topic {topics.ingress} does not exist")
        consumer = transport.consumer([topics.ingress], f"swsim-record-{time.time_ns()}", from_beginning, assign=True)
    except RuntimeError as e:  # no such topic
        transport.close()
        out.print(f"[red]cannot record: {escape(str(e))} (start the exchange first, or check the topic prefix, "
                  f"SWSIM_TOPIC_PREFIX)[/red]")  # fmt: skip
        raise typer.Exit(2) from None
    deadline = None if duration is None else time.monotonic() + duration
    stale, warned = 0, False
    try:
        w = SortedWriter(out_file, f"swsim record {topics.ingress}")
    except OSError as e:
        consumer.close()
        transport.close()
        _cannot_write(out_file, e)
    try:
        with w:
            until = "Ctrl-C stops" if duration is None else f"for {duration:g} s (Ctrl-C stops sooner)"
            out.print(f"recording {topics.ingress} to {escape(str(out_file))}; {until}")
            try:
                while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                    for r in consumer.poll(0.2, 1000):
                        if r.timestamp_ms < since_ms:
                            stale += 1
                            warned = warned or _warn_stale(stale, since_ms)
                            continue
                        w.write(Entry(r.timestamp_ms / 1000, r.topic, r.key, list(r.headers), r.value))
            finally:
                consumer.close()
                transport.close()
            if w.received:
                out.print(f"writing {w.received} records in time order")
    except OSError as e:
        _cannot_write(out_file, e)
    out.print(f"recorded {w.count} messages to {escape(str(out_file))}")
    if stale:
        out.print(f"left out {stale} record(s) sent before the recording started (use --from-beginning for them)")


def _warn_stale(stale: int, since_ms: float) -> bool:
    """Say (once: True) if records stamped before the start still arrive well after it: a producer's clock lags."""
    if time.time() * 1000 - since_ms <= 10 * STALE_SLACK_MS:
        return False
    out.print(f"[yellow]still leaving out records stamped before the recording started ({stale} so far): is a "
              "producer's clock behind this host's? Its records are not recorded[/yellow]")  # fmt: skip
    return True


def _cannot_write(path: Path, e: OSError) -> NoReturn:
    out.print(f"[red]cannot write {escape(str(path))}: {escape(e.strerror or str(e))}[/red]")
    raise typer.Exit(2) from None


def replay_cmd(
    file: Annotated[Path, typer.Argument(help="A recording (swsim record / swsim generate --out).")],
    speed: Annotated[
        float | None, typer.Option(help="Original timing divided by N (2 = twice as fast).", min=1e-6)
    ] = None,
    max_rate: Annotated[bool, typer.Option("--max-rate", help="Send as fast as possible.")] = False,
    tag: Annotated[str | None, typer.Option(help="Run tag added to message ids (default: from the clock).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
    producer: Annotated[str, typer.Option(help=PRODUCER_HELP)] = "confluent",
) -> None:
    """Replay a recording into a running exchange, re-signed, with fresh message ids; report timing fidelity."""
    from simulators.recording import RecordingError, read
    from simulators.replay import ReplayError, check_tag

    if (speed is None) == (not max_rate):
        raise typer.BadParameter("give exactly one of --speed N or --max-rate")
    if speed is not None and not math.isfinite(speed):
        raise typer.BadParameter("--speed is a finite number", param_hint="'--speed'")
    if tag is not None:
        try:
            check_tag(tag)
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="'--tag'") from None
    settings = _settings(bootstrap)
    if not file.exists():
        raise typer.BadParameter(f"{file} does not exist")
    run = tag if tag is not None else format(time.time_ns() // 1_000_000 % 36**6, "x")
    try:
        with closing(read(file)) as entries:
            stats = _send(settings, entries, None if max_rate else speed, run, None, "replaying", _producer(producer))
    except (RecordingError, ReplayError) as e:
        out.print(f"[red]{escape(_naming(file, e))}[/red]")
        raise typer.Exit(2) from None
    if stats.unrewritten:
        out.print(f"[red]{stats.unrewritten} records hold no message (no MessageID to rewrite): sent unchanged, "
                  "the gateway refuses them again[/red]")  # fmt: skip
    if as_json:
        timing = {f"timing_error_{k}": v for k, v in stats.timing().items()}
        rate = round(stats.rate, 1) if stats.sent >= 2 else None  # one send has no interval to measure
        print(json.dumps({"sent": stats.sent, "skipped": stats.skipped, "unrewritten": stats.unrewritten,
                          "duration_s": round(stats.duration_s, 3), "rate": rate, "tag": run, **timing}))  # fmt: skip
    else:
        out.print(f"replayed message ids carry the suffix .{run}")
    if stats.sent == 0:
        out.print(
            f"[red]{escape(str(file))}: nothing replayed: none of its {stats.skipped} records is on an ingress "
            "topic[/red]"
        )
        raise typer.Exit(2)
