"""``swsim broker``, ``swsim gateway``, ``swsim up``, ``swsim parties``: run the exchange."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swsim.settings import Settings

out = Console(highlight=False)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def broker_cmd(
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 0,
) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, memory only) and print its bootstrap address."""
    from swsim.broker import EmbeddedBroker

    with EmbeddedBroker(port or None) as b:
        out.print(f"embedded broker (Tansu, memory storage: a restart starts empty) at {b.bootstrap}")
        print(f"SWSIM_KAFKA_BOOTSTRAP={b.bootstrap}", flush=True)
        _wait_for_signal()
    out.print("broker stopped")


def _serve(settings: Settings, routers: int) -> None:
    """Run a gateway (routers + HTTP) until SIGINT/SIGTERM."""
    import uvicorn

    from gateway.http import create_app
    from gateway.service import build_gateway
    from swsim.transport.kafka import KafkaTransport

    assert settings.kafka_bootstrap is not None
    gw = build_gateway(settings, KafkaTransport(settings.kafka_bootstrap, "swsim-gateway"))
    gw.ensure_topics()
    extra = []
    for i in range(routers):
        t = KafkaTransport(settings.kafka_bootstrap, f"swsim-router-{i}", settings.session_timeout_ms)
        extra.append(t)
        gw.start_router(t)
    server = uvicorn.Server(
        uvicorn.Config(create_app(gw), host=settings.http_host, port=settings.http_port, log_level="warning")
    )
    out.print(f"gateway: http://{settings.http_host}:{settings.http_port}  (OpenAPI /openapi.json, AsyncAPI "
              f"/asyncapi.json, metrics /metrics)")  # fmt: skip
    out.print(f"kafka: {settings.kafka_bootstrap}, topics {settings.topic_prefix}.*, {routers} router(s) in group "
              f"{settings.gateway_group}; ledger {settings.ledger_file}")  # fmt: skip
    out.print("parties and their simulated API keys: swsim parties.  Ctrl-C stops.")
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl-C after its graceful shutdown: for us that is a normal stop
    finally:
        gw.stop()
        for t in extra:
            t.close()
        out.print("gateway stopped")


def gateway_cmd(
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap HOST:PORT (or SWSIM_KAFKA_BOOTSTRAP).")] = None,
    http_host: Annotated[str | None, typer.Option(help="HTTP address (or SWSIM_HTTP_HOST).")] = None,
    http_port: Annotated[int | None, typer.Option(help="HTTP port (or SWSIM_HTTP_PORT).")] = None,
    routers: Annotated[int, typer.Option(min=1, max=16, help="Router threads (consumer-group members).")] = 1,
    data_dir: Annotated[Path | None, typer.Option(help="Ledger folder (or SWSIM_DATA_DIR).")] = None,
) -> None:
    """Run the gateway alone against any Kafka (embedded or external)."""
    settings = _settings(kafka_bootstrap=bootstrap, http_host=http_host, http_port=http_port, data_dir=data_dir)
    if settings.kafka_bootstrap is None:
        raise typer.BadParameter("give --bootstrap HOST:PORT or set SWSIM_KAFKA_BOOTSTRAP (or use `swsim up`)")
    _serve(settings, routers)


def up_cmd(
    http_port: Annotated[int | None, typer.Option(help="HTTP port (or SWSIM_HTTP_PORT).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Working folder (or SWSIM_DATA_DIR).")] = None,
) -> None:
    """Start the whole exchange in one command: embedded broker (unless SWSIM_KAFKA_BOOTSTRAP is set) and gateway.

    Ctrl-C stops everything cleanly. With the embedded broker, which keeps nothing across restarts, the ledger
    also starts empty each time (in DATA_DIR/embedded)."""
    from swsim.broker import EmbeddedBroker

    settings = _settings(http_port=http_port, data_dir=data_dir)
    if settings.kafka_bootstrap is not None:
        _serve(settings, 1)
        return
    run_dir = settings.data_dir / "embedded"
    shutil.rmtree(run_dir, ignore_errors=True)
    with EmbeddedBroker() as b:
        out.print(f"embedded broker (Tansu, memory only) at {b.bootstrap}")
        _serve(_settings(http_port=http_port, data_dir=run_dir, kafka_bootstrap=b.bootstrap), 1)
    out.print("broker stopped")


def parties_cmd() -> None:
    """List the simulated network's parties with their roles and (simulation-only) API keys."""
    from swsim.network import api_key, default_parties, operator_key

    settings = _settings()
    seed = settings.network_seed
    table = Table(title=f"Simulated parties (keys derived from SWSIM_NETWORK_SEED={seed!r}; simulation only)")
    for col in ("party", "role", "name", "API key"):
        table.add_column(col)
    for p in default_parties(seed):
        table.add_row(p.id, p.role.value, p.name, api_key(seed, p.id) if p.role != "gateway" else "-")
    table.add_row("(operator)", "operator", "sees every message and dead letter", operator_key(seed))
    out.print(table)
