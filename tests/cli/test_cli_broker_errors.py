"""Broker errors from either Kafka client reach the user as one plain line with exit status 2, not a stack trace
(librdkafka's used to escape as a RuntimeError: `swsim replay --bootstrap` at a dead address printed a traceback)."""

from __future__ import annotations

import pytest
from kafka.errors import KafkaTimeoutError

from swsim import cli
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
        ("SWSIM_KAFKA_BOOTSTRAP", ":::", "invalid setting kafka_bootstrap (SWSIM_KAFKA_BOOTSTRAP or its option)"),
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
