"""``swsim bench ...``: benchmarks that print ratios against baselines measured in the same run."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from swsim.commands.consoles import console
from swsim.commands.traffic import _client, _producer

app = typer.Typer(help="Benchmarks (figures as ratios against a baseline measured in the same run).")
out = console()


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


@app.command("gateway")
def bench_gateway(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quick: Annotated[bool, typer.Option(help="Smaller counts and shorter runs (for tests; noisier).")] = False,
    producer: Annotated[
        str, typer.Option(help="The gateway's producer client: kafka-python or confluent.")
    ] = "kafka-python",
    router_processes: Annotated[
        int,
        typer.Option(
            min=0,
            max=16,
            help="Run the routers as this many processes (gateway.workers) instead of one "
            "router thread in the gateway process.",
        ),
    ] = 0,
    consumer: Annotated[
        str, typer.Option(help="The gateway routers' consumer client: kafka-python or confluent.")
    ] = "kafka-python",
    load_client: Annotated[
        str,
        typer.Option(
            help="The end-to-end load generator's and receipt reader's client: confluent or kafka-python (they "
            "share the machine with the gateway they measure)."
        ),
    ] = "confluent",
    prepare_workers: Annotated[
        int,
        typer.Option(
            min=0,
            max=16,
            help="Prepare worker processes of the gateway process (gateway.prepare_workers): its router thread "
            "and HTTP path authenticate, decode and validate in them.",
        ),
    ] = 0,
    rounds: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=9,
            help="Measure each throughput figure and its baseline in turn this many times; the medians are "
            "reported (default 2; 1 with --quick).",
        ),
    ] = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(
            help="Measure on this Kafka (HOST:PORT) instead of starting the embedded broker; every figure uses "
            "topics and consumer groups of its own there.",
        ),
    ] = None,
) -> None:
    """Router vs a bare consume->produce pass-through; HTTP single vs a bare FastAPI endpoint and batch vs single;
    end-to-end latency (submit -> delivered -> receipt) at a steady 500 msg/s. Starts its own embedded broker
    unless given --bootstrap."""
    from swsim.bench.gateway_bench import run

    producer = _producer(producer)
    consumer = _client(consumer, "--consumer")
    load_client = _client(load_client, "--load-client")
    args = (producer, router_processes, consumer, load_client, prepare_workers, rounds, bootstrap)
    if as_json:
        print(json.dumps(run(quick, None, *args)))
        return
    with out.status("measuring") as status:
        result = run(quick, lambda msg: status.update(msg), *args)
    table = Table(
        title=f"gateway, {result['message_bytes']} B JSON manifests, {result['broker']} broker"
        + (f" (medians of {result['rounds']} rounds)" if result["rounds"] > 1 else "")
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("baseline (same run)", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row(
        "router msgs/s",
        f"{result['router_msgs_per_s']:,.0f}",
        f"pass-through {result['passthrough_msgs_per_s']:,.0f}",
        f"{result['router_vs_passthrough']}",
    )
    table.add_row(
        "HTTP single submits/s",
        f"{result['http_single_per_s']:,.0f}",
        f"bare FastAPI {result['http_bare_per_s']:,.0f}",
        f"{result['http_vs_bare']}",
    )
    table.add_row(
        "HTTP batch msgs/s",
        f"{result['http_batch_msgs_per_s']:,.0f}",
        f"single {result['http_single_per_s']:,.0f}",
        f"{result['http_batch_vs_single']}",
    )
    table.add_row(
        "e2e p50 / p99 ms @500/s",
        f"{result['e2e_p50_ms']:.1f} / {result['e2e_p99_ms']:.1f}",
        f"{result['e2e_receipted']}/{result['e2e_sent']} receipted",
        "",
    )
    out.print(table)
    if result["e2e_thirds"]:
        out.print(
            "e2e p50 / p99 ms by third of the load (the embedded broker slows as its partitions fill): "
            + ", ".join(f"{t['p50_ms']:.1f} / {t['p99_ms']:.1f}" for t in result["e2e_thirds"])
        )
    if result["steal_pct"] is not None:
        out.print(
            f"steal time (CPU the hypervisor took from this machine): {result['steal_pct']}% over the run, "
            + (f"{e}% during the end-to-end load" if (e := result["e2e_steal_pct"]) is not None else "n/a")
        )


@app.command("replay")
def bench_replay(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quick: Annotated[
        bool, typer.Option(help="5,000 messages, short steps and at most two of them (for tests; noisier).")
    ] = False,
    producer: Annotated[
        str, typer.Option(help="The replay's producer client: confluent or kafka-python.")
    ] = "confluent",
    exchange_clients: Annotated[
        str | None,
        typer.Option(
            help="The Kafka clients of the exchange whose sustained rate is searched (its gateway's producer and "
            "routers' consumer): confluent or kafka-python (default: SWSIM_KAFKA_PRODUCER / SWSIM_KAFKA_CONSUMER, "
            "else kafka-python)."
        ),
    ] = None,
) -> None:
    """Replay timing error at 10x of a recorded 100,000-message exchange; max-rate replay vs a bare kafka-python
    producer sending the same records; the highest steady rate the whole exchange sustains with p99 <= 100 ms.
    Starts its own embedded broker (and the exchange as a child process)."""
    from swsim.bench.replay_bench import run

    producer = _producer(producer)
    if exchange_clients is not None:
        exchange_clients = _client(exchange_clients, "--exchange-clients")
    if as_json:
        print(json.dumps(run(quick, None, producer, exchange_clients)))
        return
    with out.status("measuring") as status:
        r = run(quick, lambda msg: status.update(msg), producer, exchange_clients)
    table = Table(title=f"replay of a {r['recording_messages']:,}-message recorded exchange (simulated parties)")
    for col in ("figure", "value", "baseline / target", "ratio"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    table.add_row(
        "timing error at 10x, p50 / p99 / max ms",
        f"{r['timing_error_p50_ms']:.2f} / {r['timing_error_p99_ms']:.2f} / {r['timing_error_max_ms']:.2f}",
        "p99 <= 5 ms",
        "",
    )
    table.add_row(
        "max-rate replay msgs/s",
        f"{r['max_rate_msgs_per_s']:,.0f}",
        f"bare kafka-python {r['producer_msgs_per_s']:,.0f}",
        f"{r['max_rate_vs_producer']}",
    )
    table.add_row("sustained rate msgs/s (p99 <= 100 ms, 0 lost)", f"{r['sustained_rate']:g}", "", "")
    out.print(table)
    out.print(
        "steal time (the hypervisor's share of this machine's CPU): "
        + (f"{w}% over the run" if (w := r["steal_pct"]) is not None else "n/a")
        + ", "
        + (f"{t}% during the 10x replay" if (t := r["timing_steal_pct"]) is not None else "n/a")
    )
    steps = Table(
        title=f"sustained-rate search (generated traffic, whole exchange; its producer {r['exchange_producer']}, "
        f"consumer {r['exchange_consumer']})"
    )
    for col in ("offered msg/s", "sent", "lost", "p50 ms", "p99 ms", "passed"):
        steps.add_column(col, justify="right")
    for s in r["sustained_steps"]:
        steps.add_row(
            f"{s['rate']:g}",
            str(s["sent"]),
            str(s["lost"]),
            _ms(s["p50_ms"]),
            _ms(s["p99_ms"]),
            "yes" if s["passed"] else "no",
        )
    out.print(steps)


def _ms(value: float | None) -> str:
    """A latency for the console: "n/a" where nothing was measured (a step in which nothing was delivered)."""
    return "n/a" if value is None else f"{value:.1f}"
