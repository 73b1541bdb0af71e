"""``swsim generate``, ``swsim record``, ``swsim replay``: traffic for load testers (simulated parties only)."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from swsim.settings import Settings

out = Console(highlight=False, stderr=True)


def _settings(bootstrap: str | None) -> Settings:
    try:
        return Settings(kafka_bootstrap=bootstrap) if bootstrap else Settings()
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=out, transient=True)  # fmt: skip


def generate_cmd(
    rate: Annotated[float, typer.Option(help="Messages per second.", min=0.001)],
    duration: Annotated[float, typer.Option(help="Seconds of traffic.", min=0.001)],
    seed: Annotated[int, typer.Option(help="Same seed, same traffic (use another seed to send again).")] = 1,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write a recording file instead of sending.")] = None,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
) -> None:
    """Generate coherent consignment traffic (synthetic parties): send it to a running exchange at RATE for
    DURATION seconds, or write it to a recording file with --out."""
    from gateway.topics import Topics
    from schemas.codec import encode
    from simulators.generator import Generator
    from simulators.recording import Entry, Writer
    from simulators.replay import ReplayStats, wait_until

    settings = _settings(bootstrap)
    topics = Topics(settings.topic_prefix)
    plan = Generator(seed, settings.network_seed).plan(rate, duration)
    total = int(rate * duration)
    if out_file is not None:
        t0 = time.time()
        with Writer(out_file, f"swsim generate --seed {seed}") as w, _progress() as bar:
            task = bar.add_task("generating", total=total)
            for p in plan:
                body = encode(p.message, "json")
                w.write(
                    Entry(t0 + p.offset_s, topics.ingress, p.key.encode(), [("sw-sender", p.sender.encode())], body)
                )
                bar.advance(task)
        out.print(f"wrote {w.count} messages to {out_file}")
        return
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT, set SWSIM_KAFKA_BOOTSTRAP, or use --out FILE")
    from simulators.publisher import Publisher
    from swsim.transport.kafka import KafkaTransport

    transport = KafkaTransport(settings.kafka_bootstrap, "swsim-generate", producer=settings.kafka_producer)
    pub, stats = Publisher(transport, topics, settings.network_seed), ReplayStats()
    try:
        with _progress() as bar:
            task = bar.add_task("sending", total=total)
            start = time.perf_counter()
            for p in plan:
                intended = start + p.offset_s
                wait_until(intended)
                stats.errors_us.record_value(max(1, int((time.perf_counter() - intended) * 1e6)))
                pub.publish(p.sender, encode(p.message, "json"), p.key, p.message.head.message_id)
                bar.advance(task)
            pub.flush()
            stats.sent, stats.duration_s = pub.sent, time.perf_counter() - start
    finally:
        transport.close()
    t = stats.timing()
    out.print(f"sent {stats.sent} messages in {stats.duration_s:.1f} s ({stats.rate:.0f}/s); send-time error "
              f"p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms, max {t['max_ms']:.2f} ms")  # fmt: skip


def record_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="The recording file to write (gzip JSON lines).")],
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")] = None,
    from_beginning: Annotated[bool, typer.Option(help="Also take what the ingress topic already holds.")] = False,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
) -> None:
    """Record the exchange: every record parties send to the ingress topic, with its time, key, headers and body."""
    from gateway.topics import Topics
    from simulators.recording import Entry, Writer
    from swsim.transport.kafka import KafkaTransport

    settings = _settings(bootstrap)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP")
    topics = Topics(settings.topic_prefix)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    transport = KafkaTransport(settings.kafka_bootstrap, "swsim-record")
    consumer = transport.consumer([topics.ingress], f"swsim-record-{time.time_ns()}", from_beginning, assign=True)
    deadline = None if duration is None else time.monotonic() + duration
    try:
        with Writer(out_file, f"swsim record {topics.ingress}") as w:
            out.print(f"recording {topics.ingress} to {out_file}; Ctrl-C stops")
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                for r in consumer.poll(0.2, 1000):
                    w.write(Entry(r.timestamp_ms / 1000, r.topic, r.key, list(r.headers), r.value))
    finally:
        consumer.close()
        transport.close()
    out.print(f"recorded {w.count} messages to {out_file}")


def replay_cmd(
    file: Annotated[Path, typer.Argument(help="A recording (swsim record / swsim generate --out).")],
    speed: Annotated[
        float | None, typer.Option(help="Original timing divided by N (2 = twice as fast).", min=1e-6)
    ] = None,
    max_rate: Annotated[bool, typer.Option("--max-rate", help="Send as fast as possible.")] = False,
    tag: Annotated[str | None, typer.Option(help="Run tag added to message ids (default: from the clock).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
) -> None:
    """Replay a recording into a running exchange, re-signed, with fresh message ids; report timing fidelity."""
    from gateway.topics import Topics
    from simulators.publisher import Publisher
    from simulators.recording import RecordingError, read
    from simulators.replay import replay
    from swsim.transport.kafka import KafkaTransport

    if (speed is None) == (not max_rate):
        raise typer.BadParameter("give exactly one of --speed N or --max-rate")
    settings = _settings(bootstrap)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP")
    if not file.exists():
        raise typer.BadParameter(f"{file} does not exist")
    run = tag or format(time.time_ns() // 1_000_000 % 36**6, "x")
    transport = KafkaTransport(settings.kafka_bootstrap, "swsim-replay", producer=settings.kafka_producer)
    pub = Publisher(transport, Topics(settings.topic_prefix), settings.network_seed)

    def send(e: object, body: bytes, mid: str | None) -> None:
        from simulators.recording import Entry

        assert isinstance(e, Entry)
        pub.publish(e.header("sw-sender") or "", body, e.key.decode() if e.key else None, mid)

    try:
        with _progress() as bar:
            task = bar.add_task("replaying", total=None)
            stats = replay(read(file), send, None if max_rate else speed, run, lambda t: t.endswith(".ingress"),
                           lambda n: bar.update(task, completed=n))  # fmt: skip
            pub.flush()
    except RecordingError as e:
        out.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        transport.close()
    timing = {f"timing_error_{k}": v for k, v in stats.timing().items()}
    figures = {"sent": stats.sent, "skipped": stats.skipped, "duration_s": round(stats.duration_s, 3),
               "rate": round(stats.rate, 1), "tag": run, **timing}  # fmt: skip
    if as_json:
        print(json.dumps(figures))
        return
    t = stats.timing()
    out.print(f"replayed {stats.sent} messages (tag {run}) in {stats.duration_s:.1f} s ({stats.rate:.0f}/s)")
    out.print(f"send-time error p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms, max {t['max_ms']:.2f} ms")
