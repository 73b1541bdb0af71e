"""The one CLI entry point, ``swsim``; subcommands live in :mod:`swsim.commands`."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from swsim.commands import bench, conformance, demo, load, messages, run, tax, traffic, verify
from swsim.commands.consoles import console

app = typer.Typer(
    name="swsim",
    help="Simulator of the Sichuan-Chongqing international trade single window (simulated network; synthetic parties).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("validate")(messages.validate_cmd)
app.command("samples")(messages.samples_cmd)
app.command("schemas")(messages.schemas_cmd)
app.command("broker")(run.broker_cmd)
app.command("gateway")(run.gateway_cmd)
app.command("up")(run.up_cmd)
app.command("parties")(run.parties_cmd)
app.command("topics")(run.topics_cmd)
app.command("demo")(demo.demo_cmd)
app.command("node")(run.node_cmd)
app.command("generate")(traffic.generate_cmd)
app.command("record")(traffic.record_cmd)
app.command("replay")(traffic.replay_cmd)
app.command("load")(load.load_cmd)
app.command("verify")(verify.verify_cmd)
app.command("conformance")(conformance.conformance_cmd)
app.add_typer(bench.app, name="bench")
app.add_typer(tax.app, name="tax")


def main() -> None:
    """The `swsim` command. Kafka errors (an unreachable bootstrap, say) can meet every Kafka command, from either
    client: they are said plainly, with exit status 2, not as a stack trace; so are a setting that does not parse
    and an exchange that cannot run as set up (a registry file, a folder, a port, an unreachable PostgreSQL)."""
    from kafka.errors import KafkaError
    from pydantic import ValidationError

    from swsim.errors import SetupError
    from swsim.settings import invalid_setting_message
    from swsim.transport.base import BrokerError

    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C where a command does not stop on it itself (while it starts, say)
        console(stderr=True).print("[yellow]swsim: interrupted[/yellow]")
        raise SystemExit(130) from None
    except (KafkaError, BrokerError, SetupError) as e:
        _fail(str(e))
    except ValidationError as e:  # a setting from the environment (SWSIM_*) that does not parse
        if e.title != "Settings":
            raise
        _fail(invalid_setting_message(e))
    except Exception as e:
        psycopg = sys.modules.get("psycopg")  # (loaded only by what uses PostgreSQL)
        if psycopg is not None and isinstance(e, psycopg.OperationalError):
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            _fail(f"cannot reach PostgreSQL (SWSIM_LEDGER_URL / SWSIM_STORE_URL): {first}")
        raise


def _fail(message: str) -> None:
    console(stderr=True).print(f"[red]swsim: {escape(message)}[/red]")
    raise SystemExit(2) from None
