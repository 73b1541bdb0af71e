"""Generate -> replay -> record over the real embedded broker: the same sequence comes back (ids rewritten), and
the gateway delivers every replay (rewritten ids are not swallowed by de-duplication)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulators.recording import Entry, Writer, read
from swsim.broker import EmbeddedBroker
from swsim.cli import app
from swsim.commands.traffic import STALE_SLACK_MS
from swsim.node.clock import SimClock
from swsim.settings import Settings
from swsim.stack import Stack

SEED = "swsim-demo-network"


@pytest.fixture
def stack(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Stack]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix="rr" + str(time.time_ns())[-8:],
                        data_dir=tmp_path / "stack", network_seed=SEED)  # fmt: skip
    s = Stack.start(settings, SimClock(speed=0), with_nodes=False)
    yield s
    s.stop()


def _record(stack: Stack, path: Path, stop: threading.Event) -> None:
    """What `swsim record` does, in a thread: the ingress topic to a file."""
    t = stack.new_transport("recorder")
    consumer = t.consumer([stack.gateway.topics.ingress], f"rec-{time.time_ns()}", from_beginning=True, assign=True)
    with Writer(path, "test") as w:
        while not stop.is_set():
            for r in consumer.poll(0.2, 1000):
                w.write(Entry(r.timestamp_ms / 1000, r.topic, r.key, list(r.headers), r.value))
    consumer.close()


def _unrewritten(body: bytes, tag: str) -> bytes:
    return re.sub(rb"\." + tag.encode() + rb'(["<])', rb"\1", body)


def test_generate_replay_record_gives_the_same_sequence(stack: Stack, tmp_path: Path) -> None:
    env = {"SWSIM_KAFKA_BOOTSTRAP": stack.settings.kafka_bootstrap or "", "SWSIM_TOPIC_PREFIX":
           stack.settings.topic_prefix, "SWSIM_DATA_DIR": str(tmp_path)}  # fmt: skip
    runner = CliRunner()
    original = tmp_path / "gen.jsonl.gz"
    r = runner.invoke(app, ["generate", "--rate", "100", "--duration", "0.6", "--seed", "11", "--out", str(original)],
                      env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    recorded, stop = tmp_path / "rec.jsonl.gz", threading.Event()
    recorder = threading.Thread(target=_record, args=(stack, recorded, stop))
    recorder.start()
    try:
        for tag in ("a1", "a2"):
            r = runner.invoke(app, ["replay", str(original), "--max-rate", "--tag", tag, "--json"], env=env)
            assert r.exit_code == 0, r.output
            figures = json.loads(r.stdout.strip().splitlines()[-1])
            assert figures["sent"] == 60
        ledger = stack.gateway.ledger
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ledger.counts().get("messages", 0) < 120:
            time.sleep(0.2)
        assert ledger.counts()["messages"] == 120  # both replays recorded by the gateway: none swallowed
    finally:
        stop.set()
        recorder.join()
    sent = list(read(original))
    got = list(read(recorded))
    assert len(got) == 120
    for tag in ("a1", "a2"):
        mine = [e for e in got if f".{tag}".encode() in e.body]
        # per key (one consignment), the order is kept; overall, the same messages from the same senders
        by_key: dict[bytes | None, list[bytes]] = {}
        for e in mine:
            by_key.setdefault(e.key, []).append(_unrewritten(e.body, tag))
        expected: dict[bytes | None, list[bytes]] = {}
        for e in sent:
            expected.setdefault(e.key, []).append(e.body)
        assert by_key == expected
        assert sorted(e.header("sw-sender") or "" for e in mine) == sorted(e.header("sw-sender") or "" for e in sent)


def test_generate_sends_on_schedule_to_a_running_exchange(stack: Stack, tmp_path: Path) -> None:
    env = {"SWSIM_KAFKA_BOOTSTRAP": stack.settings.kafka_bootstrap or "", "SWSIM_TOPIC_PREFIX":
           stack.settings.topic_prefix, "SWSIM_DATA_DIR": str(tmp_path)}  # fmt: skip
    t = time.monotonic()
    r = CliRunner().invoke(app, ["generate", "--rate", "50", "--duration", "0.4", "--seed", "12"], env=env)
    assert r.exit_code == 0, r.output
    assert time.monotonic() - t >= 0.38  # 20 messages, 20 ms apart: sent on schedule, not in a burst
    ledger = stack.gateway.ledger
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ledger.counts()["messages"] < 20:
        time.sleep(0.2)
    assert ledger.counts()["messages"] == 20
    r = CliRunner().invoke(app, ["generate", "--rate", "5", "--duration", "1", "--out", "/proc/no/such/file"], env=env)
    assert r.exit_code == 2
    assert "cannot write" in r.output
    # recording now takes nothing of those 20, sent before it started (the embedded broker answers "latest" with
    # offsets that can be behind the end of each partition)
    time.sleep(STALE_SLACK_MS / 1000 + 0.2)
    r = CliRunner().invoke(app, ["record", "--out", str(tmp_path / "now.gz"), "--duration", "1"], env=env)
    assert r.exit_code == 0, r.output
    assert "recorded 0 messages" in r.output
    r = CliRunner().invoke(app, ["record", "--out", str(tmp_path / "x.gz"), "--duration", "1"],
                           env={**env, "SWSIM_TOPIC_PREFIX": "nosuchprefix"})  # fmt: skip
    assert r.exit_code == 2
    assert "cannot record: topic nosuchprefix.ingress does not exist" in " ".join(r.output.split())
    assert r.exception is None or isinstance(r.exception, SystemExit)


def _env(stack: Stack, tmp_path: Path, prefix: str | None = None) -> dict[str, str]:
    return {"SWSIM_KAFKA_BOOTSTRAP": stack.settings.kafka_bootstrap or "",
            "SWSIM_TOPIC_PREFIX": prefix or stack.settings.topic_prefix, "SWSIM_DATA_DIR": str(tmp_path)}  # fmt: skip


def test_bodies_written_with_spaces_are_replayed_with_fresh_ids(stack: Stack, tmp_path: Path) -> None:
    """As json.dumps and `swsim samples` write them ('"MessageID": "..."'): two replays are two runs for the
    gateway, not one run and its duplicates."""
    runner = CliRunner()
    env = _env(stack, tmp_path)
    compact = tmp_path / "gen.jsonl.gz"
    r = runner.invoke(app, ["generate", "--rate", "50", "--duration", "0.4", "--seed", "21", "--out", str(compact)],
                      env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    spaced = tmp_path / "spaced.jsonl.gz"
    with Writer(spaced, "test") as w:
        for e in read(compact):
            body = json.dumps(json.loads(e.body), indent=2).encode()
            w.write(Entry(e.t, e.topic, e.key, e.headers, body))
    for tag in ("b1", "b2"):
        r = runner.invoke(app, ["replay", str(spaced), "--max-rate", "--tag", tag], env=env)
        assert r.exit_code == 0, r.output
    ledger = stack.gateway.ledger
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ledger.counts().get("messages", 0) < 40:
        time.sleep(0.2)
    time.sleep(1)  # a duplicate would not be counted: give it the time to show it is not one
    assert ledger.counts()["messages"] == 40


def test_record_writes_in_time_order_across_partitions(stack: Stack, tmp_path: Path) -> None:
    """A consumer reads partition by partition; the recording is in time order all the same (replay takes it as
    the schedule)."""
    prefix = "ro" + str(time.time_ns())[-8:]
    t = stack.new_transport("record-order")
    t.ensure_topics({f"{prefix}.ingress": 3})
    for i in range(30):
        t.send(f"{prefix}.ingress", b"m%d" % i, b"k%d" % (i % 7), [("sw-sender", b"8000")])
        t.flush()
        time.sleep(0.005)
    out = tmp_path / "rec.jsonl.gz"
    r = CliRunner().invoke(app, ["record", "--out", str(out), "--duration", "4", "--from-beginning"],
                           env=_env(stack, tmp_path, prefix))  # fmt: skip
    assert r.exit_code == 0, r.output
    got = list(read(out))
    assert sorted(e.body for e in got) == sorted(b"m%d" % i for i in range(30))
    assert [e.t for e in got] == sorted(e.t for e in got)
    assert [e.body for e in got] == [b"m%d" % i for i in range(30)]  # sent 5 ms apart: their order
