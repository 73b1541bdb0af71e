"""The one CLI entry point, ``swsim``; subcommands live in :mod:`swsim.commands`."""

from __future__ import annotations

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
    client: they are said plainly, with exit status 2, not as a stack trace."""
    from kafka.errors import KafkaError
    from pydantic import ValidationError

    from swsim.transport.base import BrokerError

    try:
        app()
    except (KafkaError, BrokerError) as e:
        console(stderr=True).print(f"[red]swsim: {escape(str(e))}[/red]")
        raise SystemExit(2) from None
    except ValidationError as e:  # a setting from the environment (SWSIM_*) that does not parse
        if e.title != "Settings":
            raise
        said = [f"{'_'.join(map(str, err['loc']))} (SWSIM_{'_'.join(map(str, err['loc'])).upper()} or its option): "
                f"{err['msg']}" for err in e.errors(include_url=False)]  # fmt: skip
        console(stderr=True).print(f"[red]swsim: invalid setting {escape('; '.join(said))}[/red]")
        raise SystemExit(2) from None
