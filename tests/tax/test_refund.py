"""The departure-port tax refund (启运港退税) across customs and tax, over the real embedded broker.

Each test counts: the case's transitions at the tax bureau, that each was caused by a message the gateway holds,
how many TX201 messages went each way (nothing lost, nothing applied twice).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas import codes as c
from schemas.codec import decode
from schemas.message_types import MessageType
from swsim.broker import EmbeddedBroker
from swsim.demo.driver import Driver
from swsim.demo.scenarios import exporter_uscc, manifest, registration, ship_for_refund
from swsim.network import TAX_SC, Role, default_parties
from swsim.node.clock import SimClock
from swsim.settings import Settings
from swsim.stack import Stack

SEED = "swsim-demo-network"
CARRIER = next(p.id for p in default_parties(SEED) if p.role == Role.CARRIER)
EXPORTER = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)


@pytest.fixture
def driver(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Driver]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix="rf" + str(time.time_ns())[-8:],
                        data_dir=tmp_path, network_seed=SEED)  # fmt: skip
    stack = Stack.start(settings, SimClock(speed=0))
    yield Driver(stack, lambda _s: None, timeout_s=60)
    stack.stop()


def _register(d: Driver, refund_class: c.RefundClass) -> None:
    d.act(TAX_SC, lambda ctx: d.stack.tax(TAX_SC).publish(ctx, registration(ctx, TAX_SC, exporter_uscc(),
                                                                             refund_class)))  # fmt: skip


def _bill() -> str:
    return f"SWRF{str(time.time_ns())[-10:]}"


def _case(d: Driver, bill: str) -> dict[str, Any]:
    cases = [x["case"] for x in d.stack.nodes[TAX_SC].store.all("refund")]
    mine = [x for x in cases if x["DeclarationNumber"] and _bill_of(d, x["CaseID"]) == bill]
    assert len(mine) == 1
    return mine[0]


def _bill_of(d: Driver, case_id: str) -> str | None:
    for doc in d.stack.nodes["8000"].store.all("refund"):
        if doc["case"]["CaseID"] == case_id:
            return str(doc["bill"])
    return None


def _tx201(d: Driver, bill: str) -> list[tuple[str, str, str]]:
    """(sender, receivers, state) of every TX201 the gateway recorded for the consignment."""
    out = []
    for rec in d.stack.gateway.ledger.trace(bill, None):
        if rec.message_type == "TX201":
            m = decode(rec.body)
            out.append((rec.sender, ",".join(rec.receivers), m.body.state_code.value))
    return out


def _states(case: dict[str, Any]) -> list[str]:
    return [t["ToStateCode"] for t in case["Transition"]]


def _traceable(d: Driver, case: dict[str, Any]) -> None:
    """Each transition names a message the gateway recorded."""
    for t in case["Transition"]:
        assert d.stack.gateway.ledger.find_visible(t["CausedByMessageID"], None), t


def _wait_state(d: Driver, bill: str, state: str) -> dict[str, Any]:
    return d.wait(f"{state} for {bill}", lambda: _try_case(d, bill, state))  # type: ignore[no-any-return]


def _try_case(d: Driver, bill: str, state: str) -> dict[str, Any] | None:
    try:
        case = _case(d, bill)
    except AssertionError:
        return None
    return case if case["StateCode"] == state else None


def _exit(d: Driver, bill: str) -> None:
    d.advance(timedelta(days=2), "rail to Qinzhou")
    d.send(CARRIER, lambda ctx: manifest(ctx, MessageType.MT3301, "7200", bill, c.Locode.CNQZH))


def test_refund_happy_path(driver: Driver) -> None:
    _register(driver, c.RefundClass.CLASS_1)
    bill = _bill()
    ship_for_refund(driver, bill)
    _exit(driver, bill)
    case = _wait_state(driver, bill, "WRITTEN_OFF")
    assert _states(case) == ["RELEASED", "REFUNDED", "EXITED", "WRITTEN_OFF"]
    assert case["RefundAmount"] == 49400.0  # 13% of the declared 380,000
    assert case["RefundClassCode"] == "1"
    _traceable(driver, case)
    driver.wait("the last copies", lambda: len(_tx201(driver, bill)) == 6)
    assert sorted(_tx201(driver, bill)) == sorted([
        ("8000", TAX_SC, "RELEASED"), (TAX_SC, "8000", "REFUNDED"), (TAX_SC, EXPORTER, "REFUNDED"),
        ("8000", TAX_SC, "EXITED"), (TAX_SC, "8000", "WRITTEN_OFF"), (TAX_SC, EXPORTER, "WRITTEN_OFF"),
    ])  # fmt: skip
    notes = [w for _at, w, _d in driver.stack.nodes[TAX_SC].store.timeline() if w.startswith("refund_")]
    assert notes == ["refund_refunded", "refund_written_off"]


@pytest.mark.parametrize(("refund_class", "credit", "why"), [
    (c.RefundClass.CLASS_3, None, "export refund class 3"),
    (c.RefundClass.CLASS_1, c.CustomsCredit.DISHONEST, "dishonest enterprise"),
])  # fmt: skip
def test_refused_refund(driver: Driver, refund_class: c.RefundClass, credit: c.CustomsCredit | None, why: str) -> None:
    _register(driver, refund_class)
    if credit is not None:  # the customs credit register rates the exporter
        driver.stack.nodes["8000"].store.put("credit", exporter_uscc(), {"code": credit.value})
    bill = _bill()
    decided = ship_for_refund(driver, bill)
    assert ": REFUSED" in decided["summary"]
    case = _wait_state(driver, bill, "REFUSED")
    assert why in case["Reason"]
    assert "RefundAmount" not in case
    _exit(driver, bill)  # a refused case is still written off when the goods leave
    case = _wait_state(driver, bill, "WRITTEN_OFF")
    assert _states(case) == ["RELEASED", "REFUSED", "EXITED", "WRITTEN_OFF"]
    _traceable(driver, case)


def test_clawback_when_the_goods_never_reach_the_exit_port(driver: Driver) -> None:
    _register(driver, c.RefundClass.CLASS_2)
    bill = _bill()
    ship_for_refund(driver, bill)
    driver.advance(timedelta(days=61), "past the exit deadline")
    case = _wait_state(driver, bill, "CLAWBACK")
    assert _states(case) == ["RELEASED", "REFUNDED", "NOT_ARRIVED", "CLAWBACK"]
    _traceable(driver, case)
    driver.wait("the last copies", lambda: len(_tx201(driver, bill)) == 6)
    assert [s for _f, _t, s in _tx201(driver, bill)].count("NOT_ARRIVED") == 1  # sent once, however many ticks
