"""docker-compose.yml uses only what exists: each swsim service's command parses with the real CLI, each SWSIM_
variable is a setting (and its value validates), node roles are known; and the Kafka cluster is the one the README
promises (three KRaft brokers, replication 3, min.insync.replicas 2). No Docker engine needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from swsim.cli import app
from swsim.settings import Settings
from swsim.stack import ROLES

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def _services() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(COMPOSE.read_text())
    services: dict[str, dict[str, Any]] = doc["services"]
    return services


def _swsim_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in _services().items() if str(s.get("image", "")).startswith("swsim")}


def test_every_swsim_command_and_option_exists() -> None:
    services = _swsim_services()
    assert {"topics", "gateway", "customs-cq", "customs-cd", "tax-cq", "tax-sc", "customs-pl", "customs-sg"} <= set(
        services
    )
    for name, s in services.items():
        command = [str(x) for x in s["command"]]
        r = CliRunner().invoke(app, [*command, "--help"])
        assert r.exit_code == 0, f"{name}: `swsim {' '.join(command)}` does not parse: {r.output}"
        for option in (c for c in command if c.startswith("--")):
            assert option in r.output, f"{name}: swsim {command[0]} has no option {option}"
        if command[0] == "node":
            assert command[1] in ROLES, f"{name}: unknown node role {command[1]}"
            beat = s["environment"]["SWSIM_HEARTBEAT_FILE"]  # what its healthcheck looks at
            assert beat in " ".join(s["healthcheck"]["test"]), name


def test_every_variable_is_a_setting_with_a_valid_value() -> None:
    fields = set(Settings.model_fields)
    for name, s in _swsim_services().items():
        env = {str(k): str(v) for k, v in s["environment"].items()}
        for var in env:
            assert var.startswith("SWSIM_"), f"{name}: {var} is not a swsim setting"
            assert var.removeprefix("SWSIM_").lower() in fields, f"{name}: {var} is not a setting"
        Settings(**{k.removeprefix("SWSIM_").lower(): v for k, v in env.items()})  # raises if a value is invalid
        assert env["SWSIM_REPLICATION_FACTOR"] == "3"


def test_kafka_is_three_kraft_brokers_with_replication() -> None:
    brokers = {n: s for n, s in _services().items() if n.startswith("kafka-")}
    assert len(brokers) == 3
    for s in brokers.values():
        env = s["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == 3
        assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2
        assert "healthcheck" in s
        assert s["restart"] == "unless-stopped"
    gateway = _services()["gateway"]
    assert gateway["deploy"]["replicas"] >= 2
    assert "healthcheck" in gateway
    assert gateway["environment"]["SWSIM_LEDGER_URL"].startswith("postgresql://")  # one ledger for all replicas
    assert "postgres" in gateway["depends_on"]
    nodes = {n: s for n, s in _services().items() if s.get("command", [None])[0] == "node"}
    assert len(nodes) == 6
    for s in nodes.values():  # every node's store in the shared database, so the tax nodes reconcile across hosts
        assert s["environment"]["SWSIM_STORE_URL"].startswith("postgresql://")
        assert "postgres" in s["depends_on"]
