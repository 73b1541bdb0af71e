"""Pipeline rules on the in-memory transport (fast, no broker): freshness, duplicates, conflicts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.router import Router, inbound_from_record
from gateway.service import Gateway, build_gateway
from schemas.message_types import MessageType
from swsim.client import signed_headers
from swsim.network import private_key
from swsim.settings import Settings
from swsim.transport.base import Record
from swsim.transport.memory import MemoryTransport

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
    """A record signed and appended an hour ago (e.g. the gateway was down) is judged by its append time."""
    hour_ago = int(time.time()) - 3600
    o = gw.pipeline.process(inbound_from_record(_record(body(message(MessageType.MT2301, TRADER, CHENGDU)),
                                                        hour_ago * 1000, created=hour_ago)))  # fmt: skip
    assert o.status == "delivered"


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
