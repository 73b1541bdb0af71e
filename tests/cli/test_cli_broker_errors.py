"""Broker errors from either Kafka client reach the user as one plain line with exit status 2, not a stack trace
(librdkafka's used to escape as a RuntimeError: `swsim replay --bootstrap` at a dead address printed a traceback)."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka.errors import KafkaTimeoutError

from swsim import cli
from swsim.errors import SetupError
from swsim.transport.base import BrokerError


@pytest.mark.parametrize(
    "error",
    [
        BrokerError("broker did not acknowledge 100 record(s) within 30.0 s"),
        KafkaTimeoutError("Failed to update metadata after 1.0 secs."),
    ],
    ids=["librdkafka", "kafka-python"],
)
def test_a_broker_error_is_one_line_and_exit_2(
    error: Exception, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def app() -> None:
        raise error

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("swsim: ")
    assert "Traceback" not in err


def test_the_librdkafka_transport_raises_broker_errors() -> None:
    """What the librdkafka producer raises when the broker does not acknowledge is the error main() catches."""
    from swsim.transport.rdkafka import ConfluentProducer

    p = ConfluentProducer("127.0.0.1:1", "swsim-test-dead-broker", 0)
    with pytest.raises(BrokerError, match="did not acknowledge"):
        p.deliver([("t", b"x", None, [])], 0.5)
    p.abandon()


def test_an_unacknowledged_flush_says_why_rather_than_an_empty_list() -> None:
    from swsim.transport.rdkafka import ConfluentProducer

    p = ConfluentProducer("127.0.0.1:1", "swsim-test-dead-broker", 0)
    p.send("t", b"x", None, [])
    with pytest.raises(BrokerError, match=r"did not acknowledge 1 record\(s\) within 0.5 s \(is it reachable\?\)$"):
        p.flush(0.5)
    p.abandon()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SWSIM_HTTP_PORT", "abc", "invalid setting http_port (SWSIM_HTTP_PORT or its option): Input should be"),
        ("SWSIM_KAFKA_BOOTSTRAP", ":::", "(SWSIM_KAFKA_BOOTSTRAP or its option): expected HOST:PORT, or several"),
        ("SWSIM_HTTP_PORT", "0", "http_port (SWSIM_HTTP_PORT or its option): Input should be greater than or equal"),
        ("SWSIM_DATA_DIR", __file__, "data_dir (SWSIM_DATA_DIR or its option): " + __file__ + " is a file, not a"),
        ("SWSIM_TAX_LINE_PEER_URL", "notaurl", "(SWSIM_TAX_LINE_PEER_URL or its option): expected an http:// or"),
        (
            "SWSIM_TAX_RECONCILE_THRESHOLD_S",
            "inf",
            "threshold_s (SWSIM_TAX_RECONCILE_THRESHOLD_S or its option): Input should be a finite number",
        ),
    ],
)
def test_a_setting_that_does_not_parse_is_one_line_and_exit_2(
    variable: str, value: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setattr("sys.argv", ["swsim", "topics"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert says in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: SetupError("registry file r.json: party 1 has no 'role'"), "swsim: registry file r.json: party 1"),
        (lambda: KeyboardInterrupt(), "swsim: interrupted"),
    ],
    ids=["setup", "ctrl-c"],
)
def test_a_setup_error_or_ctrl_c_is_one_line(
    make: Callable[[], BaseException], says: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    def app() -> None:
        raise make()

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == (130 if says.endswith("interrupted") else 2)
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith(says), err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "No such file or directory"),
        ("nope", "is not JSON"),
        ('{"parties": {}}', 'expected {"parties": [...]}'),
        ('{"parties": [{"id": "X"}]}', "party 1 has no 'role'"),
        ('{"parties": [{"id": "X", "role": "trader"}, {"id": "Y", "role": "king"}]}', "party 2 has role 'king'"),
        ('{"parties": [{"id": "X", "role": "trader", "public_key": "zz"}]}', "party 1 has a public_key that is not"),
    ],
)
def test_a_registry_file_that_cannot_be_used_says_where(tmp_path: Path, text: str | None, says: str) -> None:
    """Each gave a traceback ("ValueError: registry file bad.json: 'role'")."""
    from gateway.registry import load_registry_file

    path = tmp_path / "registry.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(SetupError, match=re.escape(says)):
        load_registry_file(path)


def test_the_tax_line_where_it_cannot_listen_is_a_setup_error() -> None:
    from tax_exchange.line import LineServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SetupError, match=f"cannot listen on 127.0.0.1:{port} \\(the port is taken\\)"):
            LineServer(None, f"127.0.0.1:{port}").start()  # type: ignore[arg-type]
    with pytest.raises(SetupError, match=re.escape("cannot listen on 127.0.0.1:70000")):  # OverflowError, not OSError
        LineServer(None, "127.0.0.1:70000").start()  # type: ignore[arg-type]
    with pytest.raises(SetupError, match=re.escape("cannot listen on 256.1.1.1:0")):  # not "give it a free port"
        LineServer(None, "256.1.1.1:0").start()  # type: ignore[arg-type]


def test_the_tax_line_settings_say_what_they_expect(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("SWSIM_TAX_LINE_CQ", "127.0.0.1:70000")
    monkeypatch.setattr("sys.argv", ["swsim", "topics"])
    with pytest.raises(SystemExit):
        cli.main()
    assert "(SWSIM_TAX_LINE_CQ or its option): expected HOST:PORT to listen on" in capsys.readouterr().err


def test_a_lost_broker_is_one_line_but_a_lasting_kafka_error_keeps_its_stack() -> None:
    from kafka.errors import (
        IllegalStateError,
        KafkaConnectionError,
        KafkaError,
        MessageSizeTooLargeError,
        NotLeaderForPartitionError,
    )

    from swsim.node.runtime import broker_away

    unexpected = KafkaError("Unexpected error in InitProducerIdResponse: [Error -1] UnknownError")  # a restart
    for away in (
        KafkaConnectionError(),
        KafkaTimeoutError(),
        NotLeaderForPartitionError(),
        BrokerError("x"),
        unexpected,
    ):
        assert broker_away(away), away
    for lasting in (MessageSizeTooLargeError(), IllegalStateError()):
        assert not broker_away(lasting), lasting


def test_an_http_address_is_checked_on_every_address_of_its_host() -> None:
    from swsim.serve import listen_problem

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert listen_problem("localhost", free) is None
    assert listen_problem("127.0.0.1", free) is None
    problem = listen_problem("no-such-host.invalid", free)
    assert problem is not None
    assert problem.startswith("no-such-host.invalid is not a host name")


def test_a_broker_on_a_taken_port_is_refused_not_announced() -> None:
    """`swsim broker --port P` with P taken announced a broker that was not running (the connect reached the
    other program)."""
    from swsim.broker import EmbeddedBroker

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port} on 127.0.0.1 is taken"):
            EmbeddedBroker(port).start()
