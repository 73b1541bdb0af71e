"""The conformance kit over the real embedded broker: the built-in node of every role passes it; a deliberately
faulty node fails exactly the check its fault breaks; the command works as a user runs it, against a node that runs
as its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swsim.broker import EmbeddedBroker
from swsim.conformance import faulty
from swsim.conformance.contract import ROLE_RULES, ROLES
from swsim.conformance.faulty import FAILS
from swsim.conformance.report import to_html
from swsim.conformance.runner import Report, run_conformance
from swsim.node.standalone import start_standalone
from swsim.settings import Settings

SEED = "swsim-demo-network"
EXE = str(Path(sys.executable).parent / "swsim")


def _settings(broker: EmbeddedBroker, tmp_path: Path) -> Settings:
    return Settings(
        kafka_bootstrap=broker.bootstrap,
        topic_prefix="cf" + str(time.time_ns())[-8:],
        data_dir=tmp_path / "kit",
        network_seed=SEED,
    )


def _kit(
    broker: EmbeddedBroker,
    tmp_path: Path,
    role: str,
    fault: str | None = None,
    only: list[str] | None = None,
    time_scale: float = 0.5,
) -> Report:
    """The built-in node of ``role`` (with ``fault``) as the system under test, in this process but on its own
    Kafka client and store, exactly as an external system would be."""
    settings = _settings(broker, tmp_path)
    sut = start_standalone(role, settings.model_copy(update={"data_dir": tmp_path / "sut"}), fault)
    handler = getattr(sut.node.handler, "inner", sut.node.handler)
    line = getattr(handler, "line", None)  # a tax bureau's dedicated line: channel B is checked too
    try:
        return run_conformance(role, settings, only, time_scale, tax_line=line.url if line is not None else None)
    finally:
        sut.stop()


@pytest.mark.parametrize("role", ROLES)
def test_the_built_in_node_passes_for_every_role(broker: EmbeddedBroker, tmp_path: Path, role: str) -> None:
    report = _kit(broker, tmp_path, role)
    assert report.failures() == [], report.failures()
    assert report.ok
    n = report.counts()
    assert n["aborted"] == 0, n
    assert n["checks"] >= 30, n
    assert report.node_messages > 0  # heard from: no warning that the node may not be running
    assert "sent nothing during the run" not in to_html(report)
    # every rule of the role's contract is exercised by its scenarios
    exercised = {st.rule for s in report.scenarios for st in s.steps}
    assert exercised == {r.id for r in ROLE_RULES[role]}


@pytest.mark.parametrize(
    ("fault", "role", "scenario"),
    [  # wrong-receiver: in test_the_command_against_a_node_process, through the CLI and a node process
        ("missing-receipt", "customs-cd", "import-transit"),
        ("invalid-xml", "customs-cq", "multimodal"),
        ("late-reply", "customs-cd", "import-transit"),
        ("illegal-transition", "tax-sc", "refund-cases"),
        ("wrong-key", "carrier", "carrier-filings"),
    ],
)
def test_a_faulty_node_fails_exactly_the_expected_check(
    broker: EmbeddedBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, role: str, scenario: str
) -> None:
    # at time scale 0.5 a receipt's limit is 5 s and the kit waits for it up to GRACE times that: a node 7.5 s late
    # is judged late, not missing (the built-in 15 s suits time scale 1, and would make this test wait twice as long)
    monkeypatch.setattr(faulty, "LATE_S", 7.5)
    report = _kit(broker, tmp_path, role, fault, [scenario], 0.5)
    failed = report.failures()
    assert failed, f"the {fault} node passed"
    assert {code for _s, _r, code in failed} == {FAILS[fault]}, failed
    assert not report.ok
    # the failing check shows what was expected and what came
    bad = next(c for s in report.scenarios for st in s.steps for c in st.checks if not c.ok)
    assert bad.expected
    assert bad.received
    # only a node the gateway never authenticated is told to look at its key
    assert bool(report.never_authenticated) == (fault == "wrong-key"), report.warnings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SWSIM_DATA_DIR": str(tmp_path / "sut"),
        "SWSIM_TOPIC_PREFIX": "cfc" + str(time.time_ns())[-8:],
        "SWSIM_NETWORK_SEED": SEED,
    }


def test_the_command_against_a_node_process(broker: EmbeddedBroker, tmp_path: Path, env: dict[str, str]) -> None:
    node = subprocess.Popen(
        [EXE, "node", "customs-cd", "--bootstrap", broker.bootstrap, "--fault", "wrong-receiver"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    try:
        out = tmp_path / "report.html"
        run = subprocess.run(
            [
                EXE,
                "conformance",
                "--role",
                "customs-cd",
                "--bootstrap",
                broker.bootstrap,
                "--report",
                str(out),
                "--scenario",
                "shared-alert",
                "--time-scale",
                "0.5",
                "--data-dir",
                str(tmp_path / "kit"),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=300,
        )
    finally:
        node.terminate()
        node.communicate(timeout=30)
    assert run.returncode == 1, run.stdout + run.stderr  # the faulty node fails
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["role"] == "customs-cd"
    assert data["ok"] is False
    failed = {c["check"] for s in data["scenarios"] for st in s["steps"] for c in st["checks"] if not c["ok"]}
    assert failed == {"receiver"}
    html = out.read_text()
    assert "FAIL" in html
    assert "receiver" in html
    assert "MT9999" in html
    assert "FAIL" in run.stderr


def test_the_command_refuses_an_unknown_role_or_scenario(broker: EmbeddedBroker) -> None:
    for args, said in (
        (["--role", "pirate"], "unknown role"),
        (["--role", "tax-cq", "--scenario", "x"], "no scenario"),
    ):
        r = subprocess.run(
            [EXE, "conformance", *args, "--bootstrap", broker.bootstrap], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 2, r.stderr
        assert said in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_a_topic_prefix_serves_one_role(broker: EmbeddedBroker, tmp_path: Path) -> None:
    from swsim.conformance.runner import PrefixTaken, claim_prefix

    settings = _settings(broker, tmp_path)
    claim_prefix(settings, "carrier")
    claim_prefix(settings, "carrier")  # the same role again: fine
    with pytest.raises(PrefixTaken, match="was used to test carrier"):
        claim_prefix(settings, "customs-cq")


def test_a_run_that_never_heard_from_the_node_says_so() -> None:
    """Checks that want no reply pass when nothing at all comes: the report says the node was never heard from."""
    report = Report("carrier", "8000U7UMTUDTP", "127.0.0.1:9", 1.0)
    assert report.to_dict()["node_messages"] == 0
    page = to_html(report)
    assert "the node under test sent nothing during the run" in page
    assert "as party 8000U7UMTUDTP" in page


def test_a_run_where_nothing_was_authenticated_says_to_check_the_key() -> None:
    report = Report("carrier", "8000U7UMTUDTP", "127.0.0.1:9", 1.0, node_messages=3, node_unauthenticated=3)
    data = report.to_dict()
    assert (data["node_messages"], data["node_unauthenticated"]) == (3, 3)
    assert len(data["warnings"]) == 1
    assert "key registered for party 8000U7UMTUDTP" in data["warnings"][0]
    assert "authenticated none of the 3 messages" in to_html(report)
    partly = Report("carrier", "8000U7UMTUDTP", "127.0.0.1:9", 1.0, node_messages=3, node_unauthenticated=2)
    assert partly.to_dict()["warnings"] == []  # some got through: the failed checks say which
