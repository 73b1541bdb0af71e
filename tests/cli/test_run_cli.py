"""`swsim broker`, `swsim gateway`, `swsim up`, `swsim parties` as a user runs them: real processes, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from schemas.codec import encode
from swsim.broker import EmbeddedBroker, free_port
from swsim.network import Role, api_key, default_parties

SEED = "swsim-demo-network"
EXE = str(Path(sys.executable).parent / "swsim")


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **env})  # fmt: skip


def _stop(p: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        raise AssertionError("did not stop on Ctrl-C:\n" + out) from None
    return p.returncode, out


def _wait_healthy(port: int, p: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise AssertionError("exited early:\n" + (p.stdout.read() if p.stdout else ""))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("gateway never became healthy")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SWSIM_DATA_DIR": str(tmp_path), "SWSIM_TOPIC_PREFIX": "cli" + str(time.time_ns())[-8:]}


def _submit(port: int) -> httpx.Response:
    from schemas.samples import all_samples

    trader = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)
    m = all_samples()["MT2301"]  # type: ignore[index]
    m = m.model_copy(update={"head": m.head.model_copy(update={"sender_id": trader, "receiver_id": "7900"})})
    return httpx.post(
        f"http://127.0.0.1:{port}/v1/messages",
        content=encode(m, "json"),
        headers={"X-API-Key": api_key(SEED, trader), "Content-Type": "application/json"},
        timeout=30,
    )


def test_up_runs_everything_and_stops_cleanly(env: dict[str, str]) -> None:
    port = free_port()
    p = _start(["up", "--http-port", str(port)], env)
    _wait_healthy(port, p)
    r = _submit(port)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "delivered"
    code, out = _stop(p)
    assert code == 0, out
    assert "embedded broker" in out
    assert "broker stopped" in out
    assert "Traceback" not in out


def test_gateway_alone_against_a_bootstrap(broker: EmbeddedBroker, env: dict[str, str]) -> None:
    port = free_port()
    p = _start(["gateway", "--bootstrap", broker.bootstrap, "--http-port", str(port), "--routers", "2"], env)
    _wait_healthy(port, p)
    assert _submit(port).status_code == 202
    code, out = _stop(p)
    assert code == 0, out
    assert "2 router(s)" in out


def test_gateway_without_bootstrap_is_a_usage_error(env: dict[str, str]) -> None:
    done = subprocess.run([EXE, "gateway"], capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    assert done.returncode == 2
    assert "--bootstrap" in done.stdout + done.stderr


def test_broker_prints_bootstrap_and_stops(env: dict[str, str]) -> None:
    p = _start(["broker"], env)
    assert p.stdout is not None
    line = ""
    deadline = time.monotonic() + 30
    while "SWSIM_KAFKA_BOOTSTRAP=" not in line and time.monotonic() < deadline:
        line = p.stdout.readline()
    host, port = line.strip().split("=", 1)[1].split(":")
    import socket

    socket.create_connection((host, int(port)), timeout=5).close()
    code, out = _stop(p)
    assert code == 0, out


def test_parties_lists_keys() -> None:
    """Whole keys, into a pipe at 80 columns too (a cut key is of no use), and as JSON for scripts."""
    from swsim.network import operator_key

    done = subprocess.run([EXE, "parties"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "80"})  # fmt: skip
    assert done.returncode == 0
    assert "7900" in done.stdout
    assert operator_key(SEED) in done.stdout
    trader = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)
    assert api_key(SEED, trader) in done.stdout
    listed = json.loads(subprocess.run([EXE, "parties", "--json"], capture_output=True, text=True, timeout=60).stdout)
    assert listed["operator_key"] == operator_key(SEED)
    assert {"party": trader, "role": "trader", "api_key": api_key(SEED, trader)}.items() <= next(
        p for p in listed["parties"] if p["party"] == trader
    ).items()


def test_parties_lists_the_registry_file_and_the_operator_key_in_use(tmp_path: Path) -> None:
    """It listed the seed's parties and operator key whatever SWSIM_REGISTRY_FILE and SWSIM_OPERATOR_API_KEY said,
    so the dashboard's "use the key swsim parties shows" sent an operator to a key the gateway refuses."""
    from typer.testing import CliRunner

    from swsim.cli import app

    registry = tmp_path / "registry.json"
    registry.write_text('{"parties": [{"id": "8000OURSYSTEM", "name": "Our system", "role": "trader"}]}')
    env = {"SWSIM_REGISTRY_FILE": str(registry), "SWSIM_OPERATOR_API_KEY": "op_ours", "SWSIM_NETWORK_SEED": SEED}
    listed = json.loads(CliRunner().invoke(app, ["parties", "--json"], env=env).stdout)
    assert listed["operator_key"] == "op_ours"
    ours = next(p for p in listed["parties"] if p["party"] == "8000OURSYSTEM")
    assert (ours["api_key"], ours["source"]) == (None, "registry file")
    assert {p["source"] for p in listed["parties"] if p["party"] != "8000OURSYSTEM"} == {"simulated"}


def _tansu_children(pid: int) -> set[int]:
    """The embedded brokers whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"tansu" in cmd and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.parametrize("command", ["up", "demo"])
def test_ctrl_c_while_starting_leaves_no_broker_behind(env: dict[str, str], command: str) -> None:
    p = _start([command, "--http-port", str(free_port())], env)
    brokers: set[int] = set()
    deadline = time.monotonic() + 30
    while not brokers and time.monotonic() < deadline:  # the broker is up: the gateway and nodes are starting
        brokers = _tansu_children(p.pid)
        time.sleep(0.01)
    assert brokers, "no embedded broker started"
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{b}").exists() for b in brokers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [b for b in brokers if Path(f"/proc/{b}").exists()]
    for b in left:
        os.kill(b, signal.SIGKILL)
    assert not left, "the embedded broker outlived its command"


def test_up_refuses_a_taken_port_and_nonsense_speeds(env: dict[str, str]) -> None:
    """Refused before anything starts (so in process: nothing is left to stop)."""
    import socket

    from typer.testing import CliRunner

    from swsim.cli import app

    runner = CliRunner()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = runner.invoke(app, ["up", "--http-port", str(port)], env=env)
        # the gateway alone too, before it joins the gateways' consumer group (the bootstrap is never reached)
        alone = runner.invoke(app, ["gateway", "--bootstrap", "127.0.0.1:1", "--http-port", str(port)], env=env)
    for d in (done, alone):
        assert d.exit_code == 2, d.output
        assert f"port {port} on 127.0.0.1 is taken" in " ".join(d.output.replace("│", " ").split())
    unknown = runner.invoke(app, ["up"], env={**env, "SWSIM_HTTP_HOST": "256.1.1.1"})
    assert unknown.exit_code == 2, unknown.output
    assert "256.1.1.1 is not a host name or address" in " ".join(unknown.output.replace("│", " ").split())
    for cmd in (["up", "--speed", "nan"], ["demo", "--speed", "-5"], ["demo", "--timeout", "0"]):
        done = runner.invoke(app, cmd, env=env)
        assert done.exit_code == 2, (cmd, done.output)
        assert done.exception is None or isinstance(done.exception, SystemExit), (cmd, repr(done.exception))


def test_demo_main_job_exits_0_with_the_expected_outcome(env: dict[str, str]) -> None:
    """The README's main job: `swsim demo` plays the through-transport scenario on the embedded broker."""
    done = subprocess.run([EXE, "demo"], capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "as expected" in done.stdout
    assert "TT103" in done.stdout  # the timeline shows the write-off
    assert "Traceback" not in done.stdout + done.stderr


def test_demo_list_and_unknown_scenario(env: dict[str, str]) -> None:
    listed = subprocess.run([EXE, "demo", "--list"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    assert "import-transit" in listed.stdout
    assert "risk-alert" in listed.stdout
    bad = subprocess.run([EXE, "demo", "nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "import-transit" in bad.stdout + bad.stderr


def test_node_as_its_own_process(broker: EmbeddedBroker, env: dict[str, str], tmp_path: Path) -> None:
    from schemas import codes as c
    from schemas.message_types import MessageType
    from swsim.demo.driver import Driver
    from swsim.demo.scenarios import manifest
    from swsim.node.clock import SimClock
    from swsim.node.parties import ScriptedParty
    from swsim.settings import Settings
    from swsim.stack import Stack

    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix=env["SWSIM_TOPIC_PREFIX"],
                        data_dir=tmp_path / "stack", network_seed=SEED)  # fmt: skip
    stack = Stack.start(settings, SimClock(), with_nodes=False)
    try:
        carrier = next(p.id for p in default_parties(SEED) if p.role == Role.CARRIER)
        stack.add_node(carrier, ScriptedParty())
        beat = tmp_path / "alive"
        p = _start(["node", "customs-cq", "--bootstrap", broker.bootstrap], {**env, "SWSIM_HEARTBEAT_FILE": str(beat)})
        d = Driver(stack, lambda _s: None, timeout_s=60)
        m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT2301, "8000", "SWNODE000001", c.Locode.PLMAA))
        r = d.received(carrier, "8000", "MT9999", "SWNODE000001", m)
        assert r["summary"].startswith("19000")
        assert time.time() - beat.stat().st_mtime < 10  # the heartbeat a container healthcheck looks at
        code, out = _stop(p)
        assert code == 0, out
        assert "node stopped" in out
    finally:
        stack.stop()


def test_a_tax_bureau_as_its_own_process_on_both_channels(
    broker: EmbeddedBroker, env: dict[str, str], tmp_path: Path
) -> None:
    """Chongqing tax runs alone (`swsim node tax-cq`); Sichuan tax, in this process, reaches it on both channels."""
    from swsim.network import TAX_CQ, TAX_SC
    from swsim.node.clock import SimClock
    from swsim.settings import Settings
    from swsim.stack import Stack, handler_for, store_ref
    from tax_exchange.reconcile import read_view
    from tests.tax.test_dual_channel import publish

    cq_port, sc_port = free_port(), free_port()
    proc_env = {**env, "SWSIM_DATA_DIR": str(tmp_path / "cq"), "SWSIM_TAX_LINE_CQ": f"127.0.0.1:{cq_port}",
                "SWSIM_TAX_LINE_PEER_URL": f"http://127.0.0.1:{sc_port}"}  # fmt: skip
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix=env["SWSIM_TOPIC_PREFIX"],
                        data_dir=tmp_path / "sc", network_seed=SEED, tax_line_sc=f"127.0.0.1:{sc_port}",
                        tax_line_peer_url=f"http://127.0.0.1:{cq_port}")  # fmt: skip
    stack = Stack.start(settings, SimClock(), with_nodes=False)
    p = _start(["node", "tax-cq", "--bootstrap", broker.bootstrap], proc_env)
    try:
        sc = next(x for x in default_parties(SEED) if x.id == TAX_SC)
        stack.add_node(TAX_SC, handler_for(TAX_SC, sc.role, sc.name, settings))
        ids = publish(stack, TAX_SC, 3, "proc")
        cq_store = store_ref(Settings(data_dir=tmp_path / "cq"), TAX_CQ)
        deadline = time.monotonic() + 60
        got: set[tuple[str, str]] = set()
        while time.monotonic() < deadline and len(got) < 6:
            if cq_store.path.exists():
                got = {(a.record_id, a.channel) for a in read_view(TAX_CQ, cq_store).arrivals if a.record_id in ids}
            time.sleep(0.2)
        assert got == {(rid, ch) for rid in ids for ch in "AB"}
        assert set(read_view(TAX_CQ, cq_store).applications.values()) == {1}
    finally:
        code, out = _stop(p)
        stack.stop()
    assert code == 0, out
    assert f"dedicated line (channel B) at http://127.0.0.1:{cq_port}" in out
    assert "node stopped" in out


def test_topics_creates_the_exchanges_topics(broker: EmbeddedBroker) -> None:
    """`swsim topics` (the compose file's init service) creates every topic of the exchange, then exits."""
    from kafka import KafkaAdminClient
    from typer.testing import CliRunner

    from swsim.cli import app

    prefix = "tp" + str(time.time_ns())[-8:]
    r = CliRunner().invoke(app, ["topics", "--bootstrap", broker.bootstrap], env={"SWSIM_TOPIC_PREFIX": prefix})
    assert r.exit_code == 0, r.output
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        mine = {t for t in admin.list_topics() if t.startswith(prefix + ".")}
    finally:
        admin.close()
    shared = {f"{prefix}.{t}" for t in ("ingress", "deadletter", "events", "generation")}
    assert shared | {f"{prefix}.inbox.8000"} <= mine
    assert len(mine) == len(shared) + len(default_parties("swsim-demo-network"))


def test_a_kafka_error_is_said_plainly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`swsim` (main) turns a Kafka error, e.g. an unreachable bootstrap, into one line and exit status 2."""
    from kafka.errors import KafkaTimeoutError

    from swsim import cli

    def unreachable() -> None:
        raise KafkaTimeoutError("Unable to bootstrap from 127.0.0.1:1")

    monkeypatch.setattr(cli, "app", unreachable)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "Unable to bootstrap from 127.0.0.1:1" in err
    assert "Traceback" not in err
