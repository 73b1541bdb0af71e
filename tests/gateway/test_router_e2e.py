"""The Kafka path end to end over the real embedded broker: route, receipt, reject, de-duplicate."""

from __future__ import annotations

import json

from gateway.service import Gateway
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim.network import private_key
from swsim.transport.base import Record, header

from .conftest import Net
from .helpers import CHENGDU, CHONGQING, SEED, TRADER, body, collect, message


def test_manifest_routed_and_receipted(net: Net) -> None:
    trader = net.client(TRADER)
    m = message(MessageType.MT2301, TRADER, CHENGDU)
    trader.publish(body(m, "xml"), key=m.head.correlation_id)
    trader.flush()
    got = collect(net.inbox(CHENGDU), lambda rs: any(_is(r, m.head.message_id) for r in rs))
    got = [r for r in got if _is(r, m.head.message_id)]
    assert len(got) == 1
    assert decode(got[0].value) == m
    assert header(got[0].headers, "sw-sender") == TRADER.encode()
    receipts = collect(net.inbox(TRADER), lambda rs: any(_refers(r, m.head.message_id) for r in rs))
    receipt = decode(next(r for r in receipts if _refers(r, m.head.message_id)).value)
    assert receipt.head.message_type == MessageType.MT9999
    assert receipt.body.reference_message_id == m.head.message_id
    assert receipt.body.response_type.code == "19020"
    assert receipts[0].value.startswith(b"<?xml")  # the receipt comes in the sender's format


def test_invalid_goes_to_deadletter_with_rejection_receipt(gateway: Gateway, net: Net) -> None:
    trader = net.client(TRADER)
    bad = body(message(MessageType.MT2301, TRADER, CHENGDU)).replace(b'"CNCTU"', b'"CNXXX"', 1)
    trader.publish(bad, message_id="BAD-1")
    trader.flush()
    receipts = collect(net.inbox(TRADER), lambda rs: any(_refers(r, "BAD-1") for r in rs))
    receipt = decode(next(r for r in receipts if _refers(r, "BAD-1")).value)
    assert receipt.body.status_code == "03"
    assert [e.code for e in receipt.body.error] == ["UNKNOWN_LOCODE"]
    assert receipt.body.error[0].location == "/Declaration/Consignment/0/LoadingLocation/ID"
    dead = collect(net.topic(gateway.topics.deadletter), lambda rs: any(_dl(r, "BAD-1") for r in rs))
    assert [json.loads(d.value)["codes"] for d in dead if _dl(d, "BAD-1")] == [["UNKNOWN_LOCODE"]]


def test_duplicates_applied_once(gateway: Gateway, net: Net) -> None:
    trader = net.client(TRADER)
    m = message(MessageType.MT2301, TRADER, CHONGQING)
    for _ in range(3):
        trader.publish(body(m))
    trader.flush()
    receipts = collect(net.inbox(TRADER), lambda rs: sum(_refers(r, m.head.message_id) for r in rs) >= 3)
    receipts = [r for r in receipts if _refers(r, m.head.message_id)]
    assert len(receipts) == 3
    assert len({r.value for r in receipts}) == 1  # the same receipt, re-sent for each duplicate
    # all three receipts are out, so all routing is flushed: give stragglers a second, then count
    got = collect(net.inbox(CHONGQING), lambda rs: len(rs) >= 2, timeout_s=1)
    assert [decode(r.value).head.message_id for r in got] == [m.head.message_id]
    assert len(gateway.ledger.find_visible(m.head.message_id, None)) == 1


def test_unsigned_and_forged_records_are_dead_lettered(gateway: Gateway, net: Net) -> None:
    t = net.transport()
    m = message(MessageType.MT2301, TRADER, CHENGDU)
    mid = m.head.message_id
    t.send(gateway.topics.ingress, body(m), headers=[("sw-sender", TRADER.encode()), ("sw-message-id", mid.encode())])
    forged = net.client(TRADER)
    forged.key = private_key(SEED, CHENGDU)  # signs as TRADER with another party's key
    forged.publish(body(m), message_id=mid)
    t.flush()
    forged.flush()
    dead = collect(net.topic(gateway.topics.deadletter), lambda rs: sum(_dl(r, mid) for r in rs) >= 2)
    codes = sorted(json.loads(d.value)["codes"][0] for d in dead if _dl(d, mid))
    assert codes == ["SIGNATURE_INVALID", "SIGNATURE_MISSING"]
    # unauthenticated senders get no receipt, so forged headers cannot spam a party's inbox
    assert not [r for r in collect(net.inbox(TRADER), lambda rs: False, timeout_s=1) if _refers(r, mid)]


def _is(r: Record, message_id: str) -> bool:
    return header(r.headers, "sw-message-id") == message_id.encode()


def _refers(r: Record, message_id: str) -> bool:
    return header(r.headers, "sw-reference-id") == message_id.encode()


def _dl(r: Record, message_id: str) -> bool:
    return bool(json.loads(r.value)["message_id"] == message_id)


def test_delivered_receipt_template_equals_the_model_built_receipt() -> None:
    from datetime import UTC, datetime

    from gateway.receipts import build_receipt, delivered_json

    kwargs = {
        "to": TRADER, "reference_id": "M-1", "reference_type": MessageType.MT2301, "delivered_to": ["7900", "8000"],
        "correlation_id": "SWBL1", "digest": "d" * 64, "now": datetime(2026, 3, 14, 1, 2, 3, 456000, tzinfo=UTC),
    }  # fmt: skip
    fast_id, fast = delivered_json(**kwargs)  # type: ignore[arg-type]
    assert fast == json.dumps(json.loads(fast), separators=(",", ":"), ensure_ascii=False).encode()
    model_id, model = build_receipt(issues=[], fmt="json", **kwargs)  # type: ignore[arg-type]
    assert fast_id == model_id
    assert decode(fast) == decode(model)
    no_corr = {**kwargs, "correlation_id": None}
    assert decode(delivered_json(**no_corr)[1]) == decode(build_receipt(issues=[], fmt="json", **no_corr)[1])  # type: ignore[arg-type]
    odd = 'a"\\\n\u2028中\x01'  # the template escapes like json.dumps: any text stays valid JSON, read back as given
    _, raw = delivered_json(**{**kwargs, "reference_id": odd, "correlation_id": odd})  # type: ignore[arg-type]
    doc = json.loads(raw)  # and the very bytes json.dumps writes for that content, in that key order
    assert raw == json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    assert doc["Head"]["CausationID"] == doc["Response"]["ReferenceMessageID"] == odd
    assert doc["Head"]["CorrelationID"] == doc["Response"]["Consignment"][0]["TransportContractDocument"]["ID"] == odd


def test_events_are_one_json_array_per_batch(gateway: Gateway, net: Net) -> None:
    trader = net.client(TRADER)
    ids = []
    for _ in range(3):
        m = message(MessageType.MT2301, TRADER, CHENGDU)
        ids.append(m.head.message_id)
        trader.publish(body(m))
    trader.flush()

    def seen(rs: list[Record]) -> set[str]:
        return {e["message_id"] for r in rs for e in json.loads(r.value)}

    got = collect(net.topic(gateway.topics.events), lambda rs: set(ids) <= seen(rs))
    assert set(ids) <= seen(got)
    assert all(isinstance(json.loads(r.value), list) for r in got)
