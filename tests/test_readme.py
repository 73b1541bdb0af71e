"""The README documents what the code does: every message type, every error code, every CLI command."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from gateway.errors import GATEWAY_CODES
from schemas.errors import CODES
from schemas.registry import SPECS
from swsim.cli import app
from swsim.customs.magic import MAGIC

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_message_type_documented() -> None:
    documented = set(re.findall(r"^\| `([A-Z]{2}[0-9]{3,4})` \|", README, re.M))
    assert documented == {c.value for c in SPECS}


def test_every_error_code_documented() -> None:
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", README, re.M))
    documented = rows - {c.value for c in SPECS} - {m.prefix for m in MAGIC}
    assert documented == set(CODES) | set(GATEWAY_CODES)


def test_every_magic_value_documented() -> None:
    for m in MAGIC:
        assert f"| `{m.prefix}` | {m.description} |" in README


def test_every_cli_command_documented() -> None:
    cli = get_command(app)
    names = set(cli.commands)  # type: ignore[attr-defined]
    for name in names:
        assert f"swsim {name}" in README, name


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "make demo" in README
    assert "make test" in README
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert "make test" in ci
