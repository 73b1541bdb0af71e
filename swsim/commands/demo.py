"""``swsim demo [SCENARIO]``: bring up the whole exchange on the embedded broker and play a scenario."""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


def demo_cmd(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario name (default: the import through-transport).")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the scenarios and exit.")] = False,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 60.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for any one step.")] = 60.0,
    http_port: Annotated[
        int | None, typer.Option(help="Dashboard port (or SWSIM_HTTP_PORT; default 8470).", min=1, max=65535)
    ] = None,
    stay: Annotated[
        bool, typer.Option(help="Keep the exchange and its dashboard up after the scenario (Ctrl-C).")
    ] = False,
) -> None:
    """Play a scenario end to end (simulated parties; synthetic data) and print its timeline. The live dashboard
    is served meanwhile (its URL is printed); --stay keeps it up afterwards.

    Exit status 0 only if the outcome is the one the scenario expects."""
    from swsim.demo.scenarios import DEFAULT, SCENARIOS

    if list_:
        table = Table(title="swsim demo scenarios")
        for col in ("name", "what", "expected outcome"):
            table.add_column(col)
        for s in SCENARIOS.values():
            table.add_row(s.name + (" (default)" if s.name == DEFAULT else ""), s.title, s.expected)
        out.print(table)
        return
    name = scenario or DEFAULT
    if name not in SCENARIOS:
        out.print(f"[red]unknown scenario {escape(name)!r}; choose one of: {', '.join(SCENARIOS)}[/red]")
        raise typer.Exit(2)
    from swsim.commands.run import check_speed

    check_speed(speed)
    if not 0 < timeout < math.inf:
        raise typer.BadParameter("--timeout is a number of seconds > 0", param_hint="'--timeout'")
    _play(name, speed, timeout, http_port, stay)


def _play(name: str, speed: float, timeout: float, http_port: int | None, stay: bool) -> None:
    from swsim.commands.run import _on_signal, _wait_for_signal
    from swsim.demo.driver import Driver, ScenarioFailed
    from swsim.demo.scenarios import SCENARIOS
    from swsim.node.clock import SimClock
    from swsim.serve import port_taken
    from swsim.settings import Settings
    from swsim.stack import Stack

    sc = SCENARIOS[name]
    with tempfile.TemporaryDirectory(prefix="swsim-demo-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        if http_port is not None:
            settings = settings.model_copy(update={"http_port": http_port})
        if stay and port_taken(settings.http_host, settings.http_port):  # --stay is for the dashboard
            raise typer.BadParameter(f"port {settings.http_port} is taken, so --stay would keep up no dashboard: "
                                     "give another with --http-port", param_hint="'--http-port'")  # fmt: skip
        out.print(f"[bold]{escape(sc.title)}[/bold]  (simulated parties, synthetic data)")
        out.print("starting the embedded broker, the gateway and the nodes ..." if settings.kafka_bootstrap is None
                  else f"using Kafka at {settings.kafka_bootstrap} ...")  # fmt: skip
        stack = Stack.start(settings, SimClock(speed=speed))  # stops what it started if interrupted part way
        outcome = web = None
        try:
            web = _dashboard(stack)
            outcome = sc.run(Driver(stack, lambda s: out.print(escape(s)), timeout))
        except ScenarioFailed as e:
            out.print(f"[red]scenario failed: {escape(str(e))}[/red]")
        finally:
            if outcome is not None:
                _timeline(stack, outcome.bill)
            if stay and web is not None and not isinstance(sys.exc_info()[1], KeyboardInterrupt):
                stop = _on_signal()
                out.print(f"the exchange and its dashboard stay up: {web}  (Ctrl-C stops)")
                _wait_for_signal(stop)
            stack.stop()
    if outcome is None:
        raise typer.Exit(1)
    colour = "green" if outcome.ok else "red"
    out.print(f"[{colour}]{'as expected' if outcome.ok else 'NOT as expected'}: {escape(outcome.summary)}[/{colour}]")
    raise typer.Exit(0 if outcome.ok else 1)


def _dashboard(stack: object) -> str | None:
    """Serve the gateway's HTTP API and dashboard for the run; the URL carries the operator key (in the fragment,
    which browsers do not send to the server)."""
    from gateway.http import create_app
    from swsim.network import operator_key
    from swsim.serve import BackgroundServer
    from swsim.stack import Stack

    assert isinstance(stack, Stack)
    s = stack.settings
    server = BackgroundServer(create_app(stack.gateway), s.http_host, s.http_port)
    if not server.start():
        out.print(f"[yellow]dashboard not served: port {s.http_port} is taken (use --http-port)[/yellow]")
        return None
    stack.on_stop.append(server.stop)
    url = f"{server.url}/dashboard#key={operator_key(s.network_seed)}"
    out.print(f"live dashboard: {url}")
    return url


def _timeline(stack: object, bill: str) -> None:
    from schemas.codec import decode
    from schemas.summary import summary
    from swsim.network import default_parties
    from swsim.stack import Stack

    assert isinstance(stack, Stack)
    names = {p.id: p.name.replace(" (simulated)", "").replace("Synthetic ", "") for p in default_parties(
        stack.settings.network_seed)}  # fmt: skip
    table = Table(title=f"timeline of {bill} (every message through the single window; simulated Beijing time)")
    for col in ("#", "sim time", "from", "to", "type", "what"):
        table.add_column(col)
    for i, rec in enumerate(stack.gateway.ledger.trace(bill, None), 1):
        m = decode(rec.body)
        to = ", ".join(names.get(r, r) for r in rec.receivers)
        table.add_row(str(i), f"{m.head.send_time:%m-%d %H:%M}", names.get(rec.sender, rec.sender), to,
                      rec.message_type, escape(summary(m)))  # fmt: skip
    out.print(table)
