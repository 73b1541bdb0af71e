"""`swsim load` over the real embedded broker: against a running exchange (nodes included), and with no
--bootstrap (it starts its own exchange as a child process). Report files are produced and hold the numbers of
the JSON summary."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulators import report
from simulators.recording import Entry, Writer
from swsim.broker import EmbeddedBroker
from swsim.cli import app
from swsim.node.clock import SimClock
from swsim.settings import Settings
from swsim.stack import Stack


@pytest.fixture
def stack(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Stack]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix="ld" + str(time.time_ns())[-8:],
                        data_dir=tmp_path / "stack")  # fmt: skip
    s = Stack.start(settings, SimClock(speed=60))
    yield s
    s.stop()


def _check_report(html_path: Path, printed: dict[str, object]) -> dict[str, object]:
    summary = json.loads(html_path.with_suffix(".json").read_text())
    assert {k: v for k, v in summary.items() if k != "series"} == printed
    page = html_path.read_text()
    for name in ("sent", "delivered", "receipted", "rejected", "lost"):
        assert re.search(rf"<tr><td>{name}</td><td[^>]*>{summary[name]}</td>", page)
    lat = summary["latency_ms"]
    assert isinstance(lat, dict)
    assert f"<td>{report.ms(lat['p99'])}</td>" in page
    assert page.count("<svg") == 3
    return summary


def test_load_against_a_running_exchange(stack: Stack, tmp_path: Path) -> None:
    env = {"SWSIM_TOPIC_PREFIX": stack.settings.topic_prefix}
    out = tmp_path / "r" / "report.html"
    r = CliRunner().invoke(app, ["load", "--rate", "40", "--duration", "2", "--seed", "5", "--report", str(out),
                                 "--bootstrap", stack.settings.kafka_bootstrap or "", "--json"], env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    printed = json.loads(r.stdout.strip().splitlines()[-1])
    s = _check_report(out, printed)
    assert (s["sent"], s["delivered"], s["receipted"], s["rejected"], s["lost"]) == (80, 80, 80, 0, 0)
    by_type = s["by_type"]
    assert isinstance(by_type, dict)
    assert sum(f["sent"] for f in by_type.values()) == 80
    assert {"MT2301", "DC101"} & set(by_type)  # generated corridor traffic, per message type
    lat = s["latency_ms"]
    assert isinstance(lat, dict)
    assert 0 < lat["p50"] <= lat["p99"] <= lat["max"]
    # the gateway really carried them (plus the nodes' answers): its ledger has at least the 80 + 20 warm-up
    assert stack.gateway.ledger.counts()["delivered"] >= 100


def test_load_with_no_bootstrap_starts_its_own_exchange(tmp_path: Path) -> None:
    out = tmp_path / "own.html"
    p = subprocess.run([sys.executable, "-m", "swsim", "load", "--rate", "20", "--duration", "1", "--report",
                        str(out), "--json"], capture_output=True, text=True, timeout=240, cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    printed = json.loads(p.stdout.strip().splitlines()[-1])
    s = _check_report(out, printed)
    assert (s["sent"], s["lost"]) == (20, 0)
    assert "starting an embedded broker" in p.stderr


def test_load_refuses_an_unwritable_report(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["load", "--rate", "1", "--duration", "1", "--report", "/proc/no/such/r.html"])
    assert r.exit_code == 2
    assert "cannot write" in r.output


def _recording(tmp_path: Path, rate: int, duration: int) -> Path:
    rec = tmp_path / "rec.jsonl.gz"
    r = CliRunner().invoke(app, ["generate", "--rate", str(rate), "--duration", str(duration), "--seed", "9",
                                 "--out", str(rec)])  # fmt: skip
    assert r.exit_code == 0, r.output
    return rec


def test_load_replays_a_recording_at_a_speed_factor(stack: Stack, tmp_path: Path) -> None:
    rec = _recording(tmp_path, 40, 2)  # 80 messages over 2 s of recorded time
    env = {"SWSIM_TOPIC_PREFIX": stack.settings.topic_prefix}
    out = tmp_path / "replayed.html"
    r = CliRunner().invoke(app, ["load", "--replay", str(rec), "--speed", "2", "--report", str(out),
                                 "--bootstrap", stack.settings.kafka_bootstrap or "", "--json"], env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    s = _check_report(out, json.loads(r.stdout.strip().splitlines()[-1]))
    assert (s["traffic"], s["recording"], s["speed"], s["seed"]) == ("recording", str(rec), 2.0, None)
    assert (s["sent"], s["delivered"], s["receipted"], s["rejected"], s["lost"], s["untracked"]) == (
        80,
        80,
        80,
        0,
        0,
        0,
    )
    assert s["rate"] == pytest.approx(80, rel=0.1)  # 40 msg/s recorded, replayed twice as fast
    assert s["duration_s"] == pytest.approx(1.0, rel=0.1)
    by_type = s["by_type"]
    assert isinstance(by_type, dict)
    assert sum(f["sent"] for f in by_type.values()) == 80
    assert "replayed from the recording" in out.read_text()


def test_load_replays_a_recording_flat_out(stack: Stack, tmp_path: Path) -> None:
    rec = _recording(tmp_path, 40, 1)
    env = {"SWSIM_TOPIC_PREFIX": stack.settings.topic_prefix}
    out = tmp_path / "flat.html"
    r = CliRunner().invoke(app, ["load", "--replay", str(rec), "--max-rate", "--report", str(out),
                                 "--bootstrap", stack.settings.kafka_bootstrap or "", "--json"], env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    s = _check_report(out, json.loads(r.stdout.strip().splitlines()[-1]))
    assert (s["traffic"], s["speed"], s["sent"], s["delivered"], s["lost"]) == ("recording", None, 40, 40, 0)
    assert s["rate"] > 40  # flat out: faster than the recorded 40 msg/s
    assert s["timing_error_ms"] == {"p50": 0.0, "p99": 0.0, "max": 0.0}  # no schedule to be late for
    assert "messages were sent as fast as possible" in " ".join(out.read_text().split())


def test_load_stops_on_a_recording_damaged_part_way(stack: Stack, tmp_path: Path) -> None:
    lines = gzip.decompress(_recording(tmp_path, 20, 3).read_bytes()).splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl.gz"  # damaged 2 s of recorded time in: beyond the 1 s a replay reads ahead
    bad.write_bytes(gzip.compress(b"".join(lines[:41]) + b"{not json\n" + b"".join(lines[41:])))
    env = {"SWSIM_TOPIC_PREFIX": stack.settings.topic_prefix}
    r = CliRunner().invoke(app, ["load", "--replay", str(bad), "--max-rate", "--report", str(tmp_path / "b.html"),
                                 "--bootstrap", stack.settings.kafka_bootstrap or ""], env=env)  # fmt: skip
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert f"load test stopped: {bad}" in said
    assert "line 42" in said
    sent = re.search(r"stopped after (\d+) sent", said)  # what came before the damage was sent
    assert sent is not None, said
    assert 0 < int(sent.group(1)) < 40


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give --rate and --duration (generated traffic), or --replay FILE"),
        (["--rate", "1", "--duration", "1", "--speed", "2"], "--speed and --max-rate go with --replay FILE"),
        (["--replay", "r.gz", "--rate", "5"], "--rate, --duration and --seed are for generated traffic"),
        (["--replay", "r.gz", "--speed", "2", "--max-rate"], "give --speed N or --max-rate, not both"),
        (["--replay", "no-such.jsonl.gz"], "cannot read"),
        (["--replay", "garbage.gz"], "not a gzip-compressed recording"),
        (["--replay", "inboxes.gz"], "inboxes.gz: nothing to replay: none of its 2 records is on an ingress topic"),
        (["--replay", "inboxes.gz", "--speed", "inf"], "--speed is a finite number"),
        (["--rate", "inf", "--duration", "1"], "--rate is a finite number"),
        (["--rate", "1e308", "--duration", "1e308"], "--rate times --duration is too large"),
        (["--rate", "0.5", "--duration", "1"], "makes no message"),
        (["--rate", "1", "--duration", "1", "--drain", "nan"], "--drain must be a number >= 0"),
    ],
)
def test_load_options_that_do_not_fit_are_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "garbage.gz").write_bytes(b"not a recording")
    with Writer(tmp_path / "inboxes.gz", "test") as w:  # what a party received, not what it sent
        for t in (1.0, 2.0):
            w.write(Entry(t, "sw.inbox.8000", None, [], b'{"Head": {}}'))
    r = CliRunner().invoke(app, ["load", *args, "--report", str(tmp_path / "x.html")])
    assert r.exit_code == 2, r.output
    assert says in " ".join(r.output.replace("│", " ").split())
    assert "starting an embedded broker" not in r.output
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize(("report", "says"), [("r.json", "give the HTML file"), ("folder", "is a folder")])
def test_a_report_path_that_cannot_take_the_report_is_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    r = CliRunner().invoke(app, ["load", "--rate", "1", "--duration", "1", "--report", report])
    assert r.exit_code == 2, r.output
    assert says in " ".join(r.output.replace("│", " ").split())
    assert "starting an embedded broker" not in r.output
