"""Pipeline rules on the in-memory transport (fast, no broker): freshness, duplicates, conflicts."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.ledger import DeadLetter
from gateway.pipeline import DEADLETTER_ERRORS, deadletter_envelope
from gateway.router import HEADER_BYTES, Router, inbound_from_record
from gateway.service import Gateway, build_gateway
from schemas.codec import decode, decode_with_spec
from schemas.message_types import MessageType
from schemas.response import ReceiptMessage
from swsim.client import signed_headers
from swsim.network import private_key
from swsim.settings import Settings
from swsim.transport.base import Record
from swsim.transport.memory import MemoryTransport
from swsim.verify.hostile_corpus import MAX_BODY_BYTES as MAX_BODY
from swsim.verify.hostile_corpus import corpus

from .helpers import CHENGDU, SEED, TRADER, body, message


@pytest.fixture
def gw(tmp_path: Path) -> Gateway:
    return build_gateway(Settings(data_dir=tmp_path, network_seed=SEED), MemoryTransport())


def _record(data: bytes, appended_ms: int, created: int | None = None) -> Record:
    headers = signed_headers(private_key(SEED, TRADER), TRADER, data)
    if created is not None:  # re-sign with a chosen time
        from swsim import signing

        s = signing.sign(private_key(SEED, TRADER), "KAFKA", "ingress", TRADER, data, created)
        headers = [("sw-sender", TRADER.encode()), ("sw-created", s["created"].encode()),
                   ("sw-nonce", s["nonce"].encode()), ("sw-signature", s["signature"].encode())]  # fmt: skip
    return Record("ingress", data, None, headers, 0, 0, appended_ms)


def test_backlog_older_than_the_window_is_still_accepted(gw: Gateway) -> None:
    """A record signed and appended 8 minutes ago (the gateway was down) may wait in the topic one more window."""
    then = int(time.time()) - 480
    data = body(message(MessageType.MT2301, TRADER, CHENGDU))
    o = gw.pipeline.process(inbound_from_record(_record(data, then * 1000, created=then)))
    assert o.status == "delivered"


@pytest.mark.parametrize("age_s", [3600, 2 * 300 + 5, -(300 + 5)])
def test_backdated_record_is_expired_by_the_gateways_clock(gw: Gateway, age_s: int) -> None:
    """The record's timestamp is the producer's choice: one backdated to match an old signature does not make it
    fresh. Records older than two windows (signing, then waiting in the topic), or from the future, are refused."""
    then = int(time.time()) - age_s
    data = body(message(MessageType.MT2301, TRADER, CHENGDU))
    o = gw.pipeline.process(inbound_from_record(_record(data, then * 1000, created=then)))
    assert (o.status, o.codes, o.receipt) == ("rejected", ["SIGNATURE_EXPIRED"], None)  # unauthenticated: no receipt


def test_signed_created_of_any_size_is_expired_not_an_error(gw: Gateway) -> None:
    data = body(message(MessageType.MT2301, TRADER, CHENGDU))
    for created in (10**1000, -(10**1000)):  # floats cannot hold these: compared as integers
        o = gw.pipeline.process(inbound_from_record(_record(data, int(time.time() * 1000), created=created)))
        assert o.codes == ["SIGNATURE_EXPIRED"]


def test_old_signature_republished_now_is_expired(gw: Gateway) -> None:
    hour_ago = int(time.time()) - 3600
    data = body(message(MessageType.MT2301, TRADER, CHENGDU))
    o = gw.pipeline.process(inbound_from_record(_record(data, int(time.time() * 1000), created=hour_ago)))
    assert o.codes == ["SIGNATURE_EXPIRED"]


def test_replayed_record_is_a_duplicate_not_a_second_effect(gw: Gateway) -> None:
    rec = _record(body(message(MessageType.MT2301, TRADER, CHENGDU)), int(time.time() * 1000))
    router = Router(gw.transport, gw.pipeline, gw.topics, "g", gw.metrics)
    first, again = router.handle_batch([rec]), router.handle_batch([rec])
    assert (first[0].status, again[0].status) == ("delivered", "duplicate")
    assert again[0].receipt == first[0].receipt
    assert len(gw.transport.topics.get(gw.topics.inbox(CHENGDU), [])) == 1  # type: ignore[attr-defined]


def test_a_message_and_its_duplicates_in_one_batch_are_routed_once(gw: Gateway) -> None:
    """The same record three times in one batch: the copies are duplicates of a message not yet delivered, so each
    routes it, and the batch sends it to the receiver once, ahead of the three receipts."""
    rec = _record(body(message(MessageType.MT2301, TRADER, CHENGDU)), int(time.time() * 1000))
    outcomes = _router(gw).handle_batch([rec, rec, rec])
    assert [o.status for o in outcomes] == ["delivered", "duplicate", "duplicate"]
    assert len(_topic(gw, gw.topics.inbox(CHENGDU))) == 1
    receipts = [r for r in _topic(gw, gw.topics.inbox(TRADER)) if dict(r.headers).get("sw-message-type") == b"MT9999"]
    assert len(receipts) == 3
    assert gw.ledger.find_visible(outcomes[0].message_id, None)[0].status == "delivered"


def test_a_null_header_value_does_not_stall_the_batch(gw: Gateway) -> None:
    """Kafka allows a header without a value (kafka-python hands it over as None). It used to raise before the
    pipeline's own guard, so the router failed the batch and read it again for ever, never getting past it."""
    now_ms = int(time.time() * 1000)
    odd = _record(body(message(MessageType.MT2301, TRADER, CHENGDU)), now_ms)
    odd.headers.append(("x-empty", None))  # type: ignore[arg-type]
    unsigned = _record(body(message(MessageType.MT2301, TRADER, CHENGDU)), now_ms)
    unsigned.headers[:] = [(k, None if k == "sw-signature" else v) for k, v in unsigned.headers]  # type: ignore[misc]
    good = _record(body(message(MessageType.MT2301, TRADER, CHENGDU)), now_ms)
    outcomes = _router(gw).handle_batch([odd, unsigned, good])
    assert [o.status for o in outcomes] == ["delivered", "rejected", "delivered"]
    assert outcomes[1].codes == ["SIGNATURE_INVALID"]


def _router(gw: Gateway) -> Router:
    return Router(gw.transport, gw.pipeline, gw.topics, "g", gw.metrics)


def _topic(gw: Gateway, topic: str) -> list[Record]:
    return list(gw.transport.topics.get(topic, []))  # type: ignore[attr-defined]


def test_integer_too_long_on_kafka_is_refused_and_the_batch_goes_on(gw: Gateway) -> None:
    """Python's ValueError for an integer of over 4300 digits used to escape prepare(): the router failed the batch
    and retried it for ever, so nothing after the record was processed."""
    now_ms = int(time.time() * 1000)
    huge = b'{"Head": {"a": ' + b"1" * 5000 + b"}}"
    good = body(message(MessageType.MT2301, TRADER, CHENGDU))
    outcomes = _router(gw).handle_batch([_record(huge, now_ms), _record(good, now_ms)])
    assert [(o.status, o.codes) for o in outcomes] == [("rejected", ["TOO_MANY_DIGITS"]), ("delivered", [])]


def test_unexpected_error_dead_letters_the_one_record(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever fails while preparing one record refuses that record (INTERNAL_ERROR, with a reference to the logged
    traceback), never its batch."""
    real = decode_with_spec

    def decode_or_fail(data: bytes, *args: Any) -> Any:
        if b"POISON-1" in data:
            raise RuntimeError("boom")
        return real(data, *args)

    monkeypatch.setattr("gateway.prepare.decode_with_spec", decode_or_fail)
    poison = body(message(MessageType.MT2301, TRADER, CHENGDU, message_id="POISON-1"))
    good = body(message(MessageType.MT2301, TRADER, CHENGDU))
    now_ms = int(time.time() * 1000)
    with caplog.at_level(logging.ERROR, logger="gateway.pipeline"):
        bad, ok = _router(gw).handle_batch([_record(poison, now_ms), _record(good, now_ms)])
    assert (bad.status, bad.codes, ok.status) == ("rejected", ["INTERNAL_ERROR"], "delivered")
    said = bad.issues[0].message
    reference = said.split("reference ")[1].split(")")[0]
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)  # the traceback is in the log
    assert "boom" not in said
    receipt = decode(bad.receipt or b"", rules=False)
    assert isinstance(receipt, ReceiptMessage)
    assert [e.code for e in receipt.response.error] == ["INTERNAL_ERROR"]  # the sender is told, without a traceback


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("invalid UTF-8 (6 bytes each escaped)", b'{"a":"' + b"\xff" * (MAX_BODY // 3) + b'"}', "ENCODING_INVALID"),
        ("control characters", b'{"a":"' + b"\x01" * (MAX_BODY // 3) + b'"}', "JSON_MALFORMED"),
        ("over the body limit", b'{"a":"' + b"A" * (10 * 1024 * 1024) + b'"}', "PAYLOAD_TOO_LARGE"),
    ],
)
def test_dead_letter_record_is_bounded(gw: Gateway, name: str, data: bytes, code: str) -> None:
    """Escaped into the dead-letter record whole, such bodies made records over the producer's 8 MiB limit: the
    router failed the batch for ever (and HTTP answered 503). The record now carries the start of the body, its
    length and digest; the ledger keeps it whole."""
    [o] = _router(gw).handle_batch([_record(data, int(time.time() * 1000))])
    assert o.codes == [code], name
    [dead] = [r for r in _topic(gw, gw.topics.deadletter) if json.loads(r.value)["deadletter_id"] == o.deadletter_id]
    assert len(dead.value) < 1024 * 1024
    envelope = json.loads(dead.value)
    assert (envelope["body_bytes"], envelope["body_truncated"]) == (len(data), True)
    assert envelope["body_sha256"] == hashlib.sha256(data).hexdigest()
    assert envelope["body"].startswith('{"a":"')
    stored = gw.ledger.get_deadletter(o.deadletter_id or 0)
    assert stored is not None
    assert stored.body == data


def test_dead_letter_envelope_is_bounded_whatever_it_carries() -> None:
    """Every part is cut: many long errors (keys of a message can be megabytes), many long headers."""
    text = "\x01" * 100_000
    errors: list[dict[str, object]] = [{"code": "UNKNOWN_ELEMENT", "message": text, "location": text}] * 10_000
    headers = {f"h{i}" * 1000: text for i in range(1000)}
    dl = DeadLetter(text, text, ["UNKNOWN_ELEMENT"], errors, b"\x01" * (5 * 1024 * 1024), headers, "kafka", 0.0)
    value = deadletter_envelope(1, dl, "0" * 64)
    assert len(value) < 3 * 1024 * 1024
    envelope = json.loads(value)
    assert (len(envelope["errors"]), envelope["errors_total"]) == (DEADLETTER_ERRORS, 10_000)


def test_long_headers_are_cut(gw: Gateway) -> None:
    """A header of megabytes (here the message id a receipt falls back to) would go on into dead letters and the
    events record, which must stay small."""
    rec = _record(b"not a message", int(time.time() * 1000))
    rec.headers.append(("sw-message-id", b"M" * (2 * 1024 * 1024)))
    [o] = _router(gw).handle_batch([rec])
    assert o.codes == ["FORMAT_UNKNOWN"]
    assert len(o.message_id) == HEADER_BYTES
    assert max(len(r.value) for r in _topic(gw, gw.topics.events)) < 64 * 1024


def test_hostile_kafka_corpus_in_one_batch(gw: Gateway) -> None:
    """Every Kafka record of the hostile corpus (swsim verify) in one batch: nothing raises, each is refused with its
    expected code, and every output fits the producer's limit."""
    records = [i for i in corpus() if i.channel == "kafka"]
    now_ms = int(time.time() * 1000)
    batch = [
        Record("ingress", i.body, i.key, list(i.headers), 0, n, i.timestamp_ms or now_ms) for n, i in enumerate(records)
    ]
    pairs = list(zip(records, _router(gw).handle_batch(batch), strict=True))
    refused = [o.status == "rejected" and (not i.expect or bool(set(o.codes) & i.expect)) for i, o in pairs]
    assert [(i.name, o.codes) for (i, o), ok in zip(pairs, refused, strict=True) if not ok] == []
    written = [gw.topics.deadletter, gw.topics.events, gw.topics.inbox(TRADER)]
    assert max(len(r.value) for topic in written for r in _topic(gw, topic)) < 1024 * 1024


def test_a_kafka_signature_with_created_or_nonce_not_as_signed_cannot_verify() -> None:
    """As on the HTTP side: '+12' is not how 12 was signed, and a nonce is 1 to 128 visible ASCII characters."""
    from gateway.router import inbound_from_record

    def sig(created: str, nonce: str) -> int | None:
        headers = [("sw-sender", b"X"), ("sw-created", created.encode()), ("sw-nonce", nonce.encode()),
                   ("sw-signature", b"s")]  # fmt: skip
        s = inbound_from_record(Record("sw.ingress", b"{}", None, headers)).signature
        return None if s is None else s.created

    assert sig("1700000000", "ab12") == 1700000000
    assert sig("+1700000000", "ab12") == -1
    assert sig("1_700_000_000", "ab12") == -1
    assert sig("1700000000", "n" * 129) == -1
