"""``swsim broker``, ``swsim gateway``, ``swsim up``, ``swsim parties``: run the exchange."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from swsim.commands.consoles import console
from swsim.settings import Settings

out = console()


def _settings(**overrides: object) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]


def _on_signal() -> threading.Event:
    """An event set by SIGINT/SIGTERM. Take it *before* printing that the service is up: a Ctrl-C that comes right
    after the message must stop the service cleanly, not interrupt it (exit 130)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _wait_for_signal(stop: threading.Event | None = None) -> None:
    (stop or _on_signal()).wait()


def broker_cmd(
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).", min=0, max=65535)] = 0,
) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, memory only) and print its bootstrap address."""
    from swsim.broker import EmbeddedBroker

    with EmbeddedBroker(port or None) as b:
        stop = _on_signal()
        out.print(f"embedded broker (Tansu, memory storage: a restart starts empty) at {b.bootstrap}")
        print(f"SWSIM_KAFKA_BOOTSTRAP={b.bootstrap}", flush=True)
        _wait_for_signal(stop)
    out.print("broker stopped")


class _Terminated(Exception):
    pass


def _terminated(*_: object) -> None:
    raise _Terminated


def _run_server(server: Any) -> None:
    """Serve HTTP until SIGINT/SIGTERM. After its graceful shutdown uvicorn raises the signal again with the handler
    it found: Ctrl-C becomes KeyboardInterrupt, and SIGTERM would kill the process before the caller's cleanup
    (stopping routers and router processes, closing the ledger) unless it too becomes an exception here."""
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with contextlib.suppress(KeyboardInterrupt, _Terminated):
            server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(settings: Settings, routers: int, router_processes: int = 0) -> None:
    """Run a gateway (routers + HTTP) until SIGINT/SIGTERM."""
    import uvicorn

    from gateway.http import create_app
    from gateway.service import build_gateway, gateway_transport

    assert settings.kafka_bootstrap is not None
    gw = build_gateway(settings, gateway_transport(settings, "swsim-gateway"))
    gw.ensure_topics()
    gw.start_watch()
    if gw.pipeline.workers is not None and not gw.pipeline.workers.wait_ready(60.0):
        out.print("[yellow]prepare workers did not all start: the gateway process prepares their share itself[/]")
    extra = []
    for i in range(routers):
        t = gateway_transport(settings, f"swsim-router-{i}")
        extra.append(t)
        gw.start_router(t)
    workers = None
    if router_processes:
        from gateway.workers import RouterWorkers

        workers = RouterWorkers(settings, router_processes, settings.data_dir).start()
    server = uvicorn.Server(
        uvicorn.Config(create_app(gw), host=settings.http_host, port=settings.http_port, log_level="warning")
    )
    out.print(
        f"gateway: http://{settings.http_host}:{settings.http_port}  (OpenAPI /openapi.json, AsyncAPI "
        f"/asyncapi.json, metrics /metrics)"
    )
    out.print(
        f"kafka: {settings.kafka_bootstrap}, topics {settings.topic_prefix}.*, {routers} router(s)"
        + (f" and {router_processes} router process(es)" if router_processes else "")
        + (f", {settings.prepare_workers} prepare worker(s)" if settings.prepare_workers else "")
        + f" in group {settings.router_group}; ledger {settings.ledger_url or settings.ledger_file}"
    )
    out.print("parties and their simulated API keys: swsim parties.  Ctrl-C stops.")
    try:
        _run_server(server)
    finally:
        if workers is not None:
            workers.stop()
        gw.stop()
        for t in extra:
            t.close()
        out.print("gateway stopped")


def gateway_cmd(
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
    http_host: Annotated[str | None, typer.Option(help="HTTP address (or SWSIM_HTTP_HOST).")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP port (or SWSIM_HTTP_PORT).", min=1, max=65535)] = None,
    routers: Annotated[
        int, typer.Option(min=0, max=16, help="Router threads (consumer-group members); 0 with --router-processes.")
    ] = 1,
    router_processes: Annotated[
        int,
        typer.Option(
            min=0,
            max=16,
            help="More routers as processes of their own (same group and ledger), so the "
            "Kafka path can use more than one core.",
        ),
    ] = 0,
    prepare_workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=16,
            help="Processes that authenticate, decode and validate for this gateway process (its HTTP path and "
            "router threads), off its interpreter lock (or SWSIM_PREPARE_WORKERS; default 0).",
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Ledger folder (or SWSIM_DATA_DIR).")] = None,
) -> None:
    """Run the gateway alone against any Kafka (embedded or external)."""
    settings = _settings(
        kafka_bootstrap=bootstrap, http_host=http_host, http_port=http_port, data_dir=data_dir,
        prepare_workers=prepare_workers,
    )  # fmt: skip
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP (or use `swsim up`)")
    if routers + router_processes == 0:
        raise typer.BadParameter("the Kafka path needs a router: --routers 1 or more, or --router-processes")
    check_listen(settings)  # before it joins the gateways' consumer group: a gateway that cannot serve stays out
    _serve(settings, routers, router_processes)


def up_cmd(
    http_port: Annotated[int | None, typer.Option(help="HTTP port (or SWSIM_HTTP_PORT).", min=1, max=65535)] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Working folder (or SWSIM_DATA_DIR).")] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second for the nodes.")] = 1.0,
) -> None:
    """Start the whole exchange in one command: embedded broker (unless SWSIM_KAFKA_BOOTSTRAP is set), gateway
    (HTTP and Kafka router) and every node (customs offices, foreign customs stubs, scripted traders/carriers).

    Ctrl-C stops everything cleanly. With the embedded broker, which keeps nothing across restarts, the ledger and
    the node stores also start empty each time (in DATA_DIR/embedded)."""
    import uvicorn

    from gateway.http import create_app
    from swsim.network import operator_key
    from swsim.node.clock import SimClock
    from swsim.stack import Stack

    settings = _settings(http_port=http_port, data_dir=data_dir)
    check_speed(speed)
    check_listen(settings)
    if settings.kafka_bootstrap is None:
        run_dir = settings.data_dir / "embedded"
        shutil.rmtree(run_dir, ignore_errors=True)
        settings = settings.model_copy(update={"data_dir": run_dir})
    stack = Stack.start(settings, SimClock(speed=speed))  # stops what it started if interrupted part way
    try:
        if stack.broker is not None:
            out.print(f"embedded broker (Tansu, memory only) at {stack.broker.bootstrap}")
        out.print(f"nodes: {', '.join(sorted(stack.nodes))}")
        for node in stack.nodes.values():
            _print_tax_line(node.handler)
        s = stack.settings
        out.print(
            f"gateway: http://{s.http_host}:{s.http_port}  (OpenAPI /openapi.json, AsyncAPI /asyncapi.json, "
            f"metrics /metrics); kafka {s.kafka_bootstrap}, topics {s.topic_prefix}.*"
        )
        out.print(f"live dashboard: http://{s.http_host}:{s.http_port}/dashboard#key={operator_key(s.network_seed)}")
        out.print("parties and their simulated API keys: swsim parties.  Ctrl-C stops.")
        server = uvicorn.Server(
            uvicorn.Config(create_app(stack.gateway), host=s.http_host, port=s.http_port, log_level="warning")
        )
        _run_server(server)
    finally:
        stack.stop()
        out.print("gateway, nodes and broker stopped")


def check_listen(settings: Settings) -> None:
    """The HTTP address can be listened on: else said at once, before anything is started."""
    from swsim.serve import listen_problem

    problem = listen_problem(settings.http_host, settings.http_port)
    if problem is not None:
        raise typer.BadParameter(f"{problem}: give another with --http-host / --http-port (or SWSIM_HTTP_HOST / "
                                 "SWSIM_HTTP_PORT)", param_hint="HTTP address")  # fmt: skip


def check_speed(speed: float) -> None:
    """Simulated seconds per real second: a finite number > 0 (a clock that stands still or runs back is no run)."""
    if not 0 < speed < math.inf:
        raise typer.BadParameter("--speed is a number > 0 of simulated seconds per real second",
                                 param_hint="'--speed'")  # fmt: skip


ROLE_HELP = (
    "customs-cq (8000), customs-cd (7900), tax-cq (15000000000), tax-sc (15100000000), customs-pl (Polish stub), "
    "customs-sg (Singapore stub) or carrier (the rail carrier; files what work orders ask)."
)


def node_cmd(
    role: Annotated[str, typer.Argument(help=ROLE_HELP)],
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Node store folder (or SWSIM_DATA_DIR).")] = None,
    fault: Annotated[
        str | None,
        typer.Option(
            help="Spoil the node's replies in one way, to see the conformance kit fail it: wrong-receiver, "
            "missing-receipt, invalid-xml, late-reply, illegal-transition or wrong-key."
        ),
    ] = None,
) -> None:
    """Run one built-in node as its own process against a running gateway."""
    from swsim.conformance.faulty import FAULT_ROLES, FAULTS
    from swsim.node.standalone import party_for, start_standalone

    settings = _settings(kafka_bootstrap=bootstrap, data_dir=data_dir)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP")
    try:
        party = party_for(role, settings.network_seed)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    if fault is not None and fault not in FAULTS:
        raise typer.BadParameter(f"unknown fault {fault!r}; choose one of: {', '.join(FAULTS)}", param_hint="--fault")
    if fault is not None and role not in FAULT_ROLES[fault]:
        raise typer.BadParameter(
            f"{role} sends nothing that {fault} spoils; it is for {', '.join(FAULT_ROLES[fault])}", param_hint="--fault"
        )
    running = start_standalone(role, settings, fault)
    stop = _on_signal()
    out.print(
        f"node {role} ({party.name}, {party.id}) on {settings.kafka_bootstrap}, topics {settings.topic_prefix}.*"
        + (f"; FAULTY: {FAULTS[fault]}" if fault else "")
        + "; Ctrl-C stops"
    )
    if running.tasks is not None:
        out.print(f"work orders: topic {running.tasks.topic}, key {party.id}")
    _print_tax_line(running.node.handler)
    _wait_for_signal(stop)
    running.stop()
    out.print("node stopped")


def _print_tax_line(handler: object) -> None:
    from tax_exchange.handler import TaxHandler

    handler = getattr(handler, "inner", handler)  # a faulty node wraps the built-in handler
    if isinstance(handler, TaxHandler) and handler.line is not None:
        peer = handler.peer_url or "not set (SWSIM_TAX_LINE_PEER_URL)"
        out.print(f"tax {handler.party_id}: dedicated line (channel B) at {handler.line.url}; peer {peer}")


def topics_cmd(
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
) -> None:
    """Create the exchange's topics (ingress, every inbox, dead letters, events) that do not exist yet, with
    SWSIM_INGRESS_PARTITIONS partitions for the ingress and SWSIM_REPLICATION_FACTOR copies each, and exit."""
    from gateway.registry import build_registry
    from gateway.service import topic_plan
    from swsim.transport.kafka import KafkaTransport

    settings = _settings(kafka_bootstrap=bootstrap)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP")
    plan = topic_plan(settings, build_registry(settings))
    transport = KafkaTransport(settings.kafka_bootstrap, "swsim-topics")
    try:
        transport.ensure_topics(plan, settings.replication_factor)
    finally:
        transport.close()
    for name, parts in sorted(plan.items()):
        out.print(f"{name}: {parts} partition(s), replication {settings.replication_factor}")


def parties_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")] = False,
) -> None:
    """List the simulated network's parties with their roles and (simulation-only) API keys, and the parties of
    SWSIM_REGISTRY_FILE (whose keys are their own: only a hash of each is registered)."""
    from gateway.registry import load_registry_file
    from swsim.network import api_key, default_parties, operator_key

    settings = _settings()
    seed = settings.network_seed
    rows: dict[str, tuple[str, str, str, str | None, str]] = {
        p.id: (p.id, p.role.value, p.name, api_key(seed, p.id) if p.role != "gateway" else None, "simulated")
        for p in default_parties(seed)
    }
    if settings.registry_file is not None:  # a file that cannot be used: one line (SetupError), exit 2
        for e in load_registry_file(settings.registry_file):  # replaces the simulated party of the same id
            rows[e.id] = (
                e.id,
                e.role.value,
                e.name,
                None,
                "registry file" if e.api_key_sha256 else "registry file, no API key",
            )
    op_key = settings.operator_api_key or operator_key(seed)
    if as_json:
        parties = [{"party": i, "role": r, "name": n, "api_key": k, "source": src.split(",")[0]}
                   for i, r, n, k, src in rows.values()]  # fmt: skip
        print(json.dumps({"network_seed": seed, "parties": parties, "operator_key": op_key,
                          "simulated": True}, ensure_ascii=False))  # fmt: skip
        return
    table = Table(title=f"Parties (the simulated ones' keys derived from SWSIM_NETWORK_SEED={seed!r}; simulation only)")
    table.add_column("party", no_wrap=True, min_width=13)  # ids and keys are copied: never cut
    for col in ("role", "name"):
        table.add_column(col)
    table.add_column("API key", no_wrap=True, min_width=43)
    for i, r, n, k, src in rows.values():
        shown = {"registry file": "its own (registry file)", "registry file, no API key": "none (registry file)"}
        table.add_row(i, r, n, k or shown.get(src, "-"))
    who = "SWSIM_OPERATOR_API_KEY" if settings.operator_api_key else "sees every message and dead letter"
    table.add_row("(operator)", "operator", who, op_key)
    out.print(table)
