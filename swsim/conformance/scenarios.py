"""The conformance scenarios: for each role, the consignments the kit plays against the node under test.

Each step either exercises one rule of the role's contract (:mod:`swsim.conformance.contract`) or is something a
simulated party does that the rules depend on (a manifest at another office, a tax bureau's decision)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType as T
from schemas.synthetic import make_uscc
from schemas.tax import RefundCaseMessage, Transition
from swsim.conformance.play import Abort, Play
from swsim.customs.refund import OFFICE_PORTS
from swsim.demo.scenarios import (
    declaration,
    exporter_uscc,
    leg_event,
    manifest,
    registration,
    samples,
    transit,
    waybill,
)
from swsim.network import TAX_CQ, TAX_PEER, TAX_SC, Role, default_parties, tax_bureau_for
from swsim.node.runtime import Context

OFFICE_OF = {"customs-cq": "8000", "customs-cd": "7900"}
BUREAU_OF = {"tax-cq": TAX_CQ, "tax-sc": TAX_SC}


def _stamp() -> str:
    return str(time.time_ns())[-10:]


ALERTED_HS = "8471300000"
"""The goods of the shared-alert scenario (portable computers, the sample declaration's); every other declaration
of the kit is of green tea, so an alert from an earlier scenario or run does not touch it."""


def declare(ctx: Context, office: str, bill: str, importing: bool, hs: str = "0902209000") -> Message:
    """A goods declaration (DC101) of ``hs`` goods."""
    m = declaration(ctx, office, bill, importing)
    d = m.body
    goods = [
        g.model_copy(update={"hs_code": hs, "description": "Green tea" if hs != ALERTED_HS else g.description})
        for g in d.goods_item
    ]
    return type(m)(head=m.head, declaration=d.model_copy(update={"goods_item": goods}))  # type: ignore[call-arg]


@dataclass
class Kit:
    """What the scenarios need to know: the role under test, its party id, and the simulated parties."""

    role: str
    sut: str
    seed: str
    tax_line: str | None = None
    """The dedicated-line endpoint (channel B) of the tax bureau under test, e.g. http://HOST:PORT."""

    def party(self, role: Role, index: int = 0) -> str:
        return [p.id for p in default_parties(self.seed) if p.role == role][index]

    @property
    def carrier(self) -> str:
        return self.party(Role.CARRIER, 0)

    @property
    def barge(self) -> str:
        return self.party(Role.CARRIER, 1)

    @property
    def exporter(self) -> str:
        return self.party(Role.TRADER, 0)

    @property
    def importer(self) -> str:
        return self.party(Role.TRADER, 1)


# ---------------------------------------------------------------------------- customs offices (8000, 7900)
def import_transit(p: Play, k: Kit) -> None:
    """Import under through-transport (转关) from Qinzhou 7200 to the office under test, then import clearance."""
    office, bill = k.sut, f"CFIT{_stamp()}"
    port = OFFICE_PORTS[office]
    m = p.send(k.carrier, lambda ctx: manifest(ctx, T.MT1101, "7200", bill, c.Locode.CNQZH))
    p.driver.received(k.carrier, "7200", "MT9999", bill, m)
    t = p.send(k.importer, lambda ctx: transit(ctx, "7200", office, bill))
    tid = t.body.transit_id
    p.driver.received(k.importer, "7200", "MT9999", bill, t)
    p.observe(
        f"7200 forwards the through-transport {tid} to {office} (TT101)",
        "forwarded-transit",
        "7200",
        "TT101",
        bill,
        k.role,
    )
    p.exercise(
        f"The carrier reports arrival at {office} (MT3301)",
        "transit-arrival",
        k.carrier,
        lambda ctx: manifest(ctx, T.MT3301, office, bill, port),
        k.role,
        who={"departure": "7200"},
        transit=tid,
    )
    p.exercise(
        f"The importer declares the goods at {office} (DC101)",
        "declaration-release",
        k.importer,
        lambda ctx: declare(ctx, office, bill, importing=True),
        k.role,
    )


def export_exit(p: Play, k: Kit) -> None:
    """Export released on arrival at the office under test, through-transport to an exit office, departure-port
    tax refund opened, exit confirmed and written off (with joint verification abroad for a border exit)."""
    office, bill = k.sut, f"CFEX{_stamp()}"
    exit_office, unloading = ("9402", c.Locode.PLMAA) if office == "7900" else ("7200", c.Locode.CNQZH)
    bureau = tax_bureau_for(exporter_uscc(), office)
    _register_exporter(p, bureau)
    p.exercise(
        f"The carrier files the rail pre-manifest at {office} (MT2301)",
        "filing",
        k.carrier,
        lambda ctx: manifest(ctx, T.MT2301, office, bill, unloading),
        k.role,
    )
    p.exercise(
        "The exporter declares the goods for export (DC101)",
        "declaration-export",
        k.exporter,
        lambda ctx: declare(ctx, office, bill, importing=False),
        k.role,
    )
    p.exercise(
        f"The goods arrive at the railway port of {office} (MT3301, 运抵)",
        "arrival-of-export",
        k.carrier,
        lambda ctx: manifest(ctx, T.MT3301, office, bill, OFFICE_PORTS[office]),
        k.role,
        who={"declarant": k.exporter},
    )
    who = {"destination": exit_office, "tax": bureau, "declarant": k.exporter, "foreign": "PLCUS"}
    opened = p.exercise(
        f"The exporter declares through-transport {office} -> {exit_office} (TT101)",
        "transit-declaration-refund",
        k.exporter,
        lambda ctx: transit(ctx, office, exit_office, bill, days=10),
        k.role,
        who=who,
    )
    case = p.body(opened, 2)
    tid = p.body(opened, 1).transit_id
    p.observe(
        f"Tax bureau {bureau} decides the refund case {case.case_id} (TX201)",
        "refund-decided",
        bureau,
        "TX201",
        bill,
        k.role,
    )
    assert p.last is not None
    history = [t.to_state_code.value for t in _decode(p.last.body).transition]
    p.send(k.carrier, lambda ctx: manifest(ctx, T.MT3301, exit_office, bill, OFFICE_PORTS[exit_office]))
    rule_id = "exit-confirmed" if exit_office == "9402" else "exit-confirmed-refund"
    p.observe(
        f"Exit office {exit_office} confirms arrival, seals intact (TT102)",
        rule_id,
        exit_office,
        "TT102",
        bill,
        k.role,
        who=who,
        transit=tid,
        case=case.case_id,
        history=history,
    )


def shared_alert(p: Play, k: Kit) -> None:
    """A risk alert raised by the other domestic office reaches the office under test, which then holds a
    declaration of the same goods (shared early warning, 风险预警)."""
    office = k.sut
    other = "7900" if office == "8000" else "8000"
    risky = f"RISK{_stamp()}"  # the simulated office's risk engine flags RISK... documents (a magic value)
    m = p.send(k.carrier, lambda ctx: manifest(ctx, T.MT2301, other, risky, c.Locode.PLMAA))
    p.driver.received(k.carrier, other, "MT9999", risky, m)
    p.send(k.exporter, lambda ctx: declare(ctx, other, risky, importing=False, hs=ALERTED_HS))
    p.observe(
        f"{other} holds {risky} and shares a risk alert on its goods (RA101)",
        "risk-alert",
        other,
        "RA101",
        risky,
        k.role,
        delivered=True,
    )
    bill = f"CFAL{_stamp()}"
    p.exercise(
        f"The carrier files a pre-manifest for {bill}, the same goods, at {office} (MT2301)",
        "filing",
        k.carrier,
        lambda ctx: manifest(ctx, T.MT2301, office, bill, c.Locode.PLMAA),
        k.role,
    )
    p.exercise(
        "The exporter declares the same goods (DC101)",
        "declaration-alerted",
        k.exporter,
        lambda ctx: declare(ctx, office, bill, importing=False, hs=ALERTED_HS),
        k.role,
    )


def multimodal(p: Play, k: Kit) -> None:
    """A one-document multimodal waybill (一单制) with direct loading, two legs, and a refused endorsement of a
    title pledged to a bank."""
    office, wid = k.sut, f"CFMW{_stamp()}"
    p.exercise(
        f"The shipper files the multimodal waybill {wid} at {office} (WB101)",
        "filing",
        k.importer,
        lambda ctx: waybill(ctx, office, wid),
        k.role,
    )
    p.exercise(
        "Export declaration with direct loading (DC101, 抵港直装)",
        "declaration-release",
        k.importer,
        lambda ctx: declare(ctx, office, wid, importing=False),
        k.role,
    )
    p.exercise(
        "Leg 1 hands over to the barge (WB102)",
        "waybill-event",
        k.carrier,
        lambda ctx: leg_event(ctx, office, wid, 1, c.LegStatus.HANDED_OVER, c.Locode.CNCKG),
        k.role,
    )
    p.exercise(
        "Leg 2 arrives at Shanghai (WB102)",
        "waybill-event",
        k.barge,
        lambda ctx: leg_event(ctx, office, wid, 2, c.LegStatus.ARRIVED, c.Locode.CNSHA),
        k.role,
    )
    p.exercise(
        "The holder endorses the pledged title to another party (WB102)",
        "endorsement-refused",
        k.barge,
        lambda ctx: leg_event(ctx, office, wid, 2, c.LegStatus.ARRIVED, c.Locode.CNSHA, endorse=True),
        k.role,
    )


def _register_exporter(p: Play, bureau: str) -> None:
    """The simulated bureau registers the sample exporter (refund class 1) once, so it can grant refunds."""
    if bureau not in p.stack.nodes:
        return
    uscc = exporter_uscc()
    if p.stack.nodes[bureau].store.get("record", f"REG-{uscc}") is None:
        p.driver.act(
            bureau, lambda ctx: p.stack.tax(bureau).publish(ctx, registration(ctx, bureau, uscc, c.RefundClass.CLASS_1))
        )


def _decode(body: bytes) -> Any:
    from schemas.codec import decode

    return decode(body).body


# ---------------------------------------------------------------------------- tax bureaus
def refund_case(
    ctx: Context,
    bureau: str,
    bill: str,
    uscc: str,
    exporter: str,
    state: c.RefundState = c.RefundState.RELEASED,
    before: Any = None,
) -> RefundCaseMessage:
    """A refund case as customs 8000 sends it: opened (RELEASED), or ``before`` (the bureau's last answer) moved on
    to ``state``."""
    head = ctx.head(T.TX201, bureau, bill)
    if before is not None:
        step = Transition(
            from_state_code=before.state_code,
            to_state_code=state,
            caused_by_message_id=head.message_id,
            transition_date_time=ctx.now,
        )
        body = before.model_copy(
            update={
                "state_code": state,
                "transition": [*before.transition, step],
                "reason": f"customs reports {state.value}",
            }
        )
        return RefundCaseMessage(head=head, declaration=body)
    sample = samples()[T.TX201].body
    serial = int(bill[-9:])
    body = sample.model_copy(
        update={
            "case_id": f"RF8000{serial:09d}",
            "exporter_uscc": uscc,
            "exporter_id": exporter,
            "declaration_number": f"8000{ctx.now:%Y}0{serial:09d}",
            "departure_port_id": c.Locode.CNCKG,
            "departure_office_id": c.CustomsOffice("8000"),
            "exit_port_id": c.Locode.CNQZH,
            "exit_office_id": c.CustomsOffice("7200"),
            "refund_class_code": None,
            "customs_credit_code": c.CustomsCredit.GENERAL,
            "export_value_amount": Decimal("380000"),
            "refund_amount": None,
            "release_date_time": ctx.now,
            "exit_deadline_date": (ctx.now + timedelta(days=60)).date(),
            "state_code": c.RefundState.RELEASED,
            "reason": None,
            "transition": [
                Transition(
                    to_state_code=c.RefundState.RELEASED,
                    caused_by_message_id=head.message_id,
                    transition_date_time=ctx.now,
                )
            ],
        }
    )
    return RefundCaseMessage(head=head, declaration=body)


def refund_cases(p: Play, k: Kit) -> None:
    """Departure-port tax refund (启运港退税): the peer bureau shares an exporter's registration over the dual
    channel; customs opens two cases; one exits and is written off, the other never arrives and is clawed back."""
    bureau, peer = k.sut, TAX_PEER[k.sut]
    region = "500000" if peer == TAX_CQ else "510100"
    uscc = make_uscc(random.Random(time.time_ns()), region)  # noqa: S311 (a new synthetic exporter each run)
    record = f"REG-{uscc}"
    if k.tax_line:  # the simulated peer sends its records on channel B too, to the bureau under test's line
        p.stack.tax(peer).peer_url = k.tax_line
    queued = time.monotonic()
    published = p.driver.act(
        peer, lambda ctx: p.stack.tax(peer).publish(ctx, registration(ctx, peer, uscc, c.RefundClass.CLASS_1))
    )
    if k.tax_line:  # first: its answer is timed from the moment the record was queued for the line
        p.line(
            f"Peer bureau {peer} sends the registration of exporter {uscc} over the dedicated line to "
            f"{k.tax_line} (TX101, channel B)",
            "peer-record-line",
            k.role,
            p.stack.tax(peer),
            published,
            queued,
        )
    else:
        p.say("  channel B (the dedicated line) not checked: give --tax-line URL")
    p.observe(
        f"Peer bureau {peer} shares the registration of exporter {uscc} (TX101, channel A)",
        "peer-record",
        peer,
        "TX101",
        record,
        k.role,
        delivered=True,
    )
    who = {"exporter": k.exporter}
    for n, (follow, rule_id) in enumerate(
        ((c.RefundState.EXITED, "refund-exited"), (c.RefundState.NOT_ARRIVED, "refund-not-arrived"))
    ):
        bill = f"CFRF{_stamp()}"
        serial = int(bill[-9:])
        opened = p.exercise(
            f"Case {n + 1}: customs 8000 opens refund case RF8000{serial:09d} (TX201 RELEASED)",
            "refund-opened",
            "8000",
            partial(refund_case, bureau=bureau, bill=bill, uscc=uscc, exporter=k.exporter),
            k.role,
            who=who,
            case=f"RF8000{serial:09d}",
            history=["RELEASED"],
        )
        decided = p.body(opened, 0)
        history = [t.to_state_code.value for t in decided.transition]
        if follow not in _ALLOWED_AFTER.get(decided.state_code.value, ()):
            raise Abort(f"case {n + 1} is {decided.state_code.value}: customs cannot report {follow.value} on it")
        p.exercise(
            f"Case {n + 1}: customs reports {follow.value} (TX201)",
            rule_id,
            "8000",
            partial(
                refund_case, bureau=bureau, bill=bill, uscc=uscc, exporter=k.exporter, state=follow, before=decided
            ),
            k.role,
            who=who,
            case=decided.case_id,
            history=[*history, follow.value],
        )


_ALLOWED_AFTER = {"REFUNDED": ("EXITED", "NOT_ARRIVED")}


# ---------------------------------------------------------------------------- carrier
def carrier_filings(p: Play, k: Kit) -> None:
    """The carrier files what work orders ask for through an import under through-transport and a multimodal
    waybill; the simulated customs offices answer."""
    bill, wid = f"CFCA{_stamp()}", f"CFCW{_stamp()}"
    p.task(
        "Work order: file the original manifest at Qinzhou 7200 (MT1101)",
        k.role,
        "file-manifest",
        {"type": "MT1101", "office": "7200", "bill": bill, "unloading": "CNQZH"},
    )
    p.task(
        "Work order: file the tally report at 7200 (MT5101)",
        k.role,
        "file-tally",
        {"type": "MT5101", "office": "7200", "bill": bill, "unloading": "CNQZH"},
    )
    t = p.send(k.importer, lambda ctx: transit(ctx, "7200", "8000", bill))
    p.driver.received(k.importer, "7200", "MT9999", bill, t)
    p.task(
        "Work order: report arrival at Chongqing 8000 (MT3301)",
        k.role,
        "report-arrival",
        {"type": "MT3301", "office": "8000", "bill": bill, "unloading": "CNCKG"},
    )
    p.task(
        "Work order: file a rail pre-manifest at Chengdu 7900 (MT2301)",
        k.role,
        "file-pre-manifest",
        {"type": "MT2301", "office": "7900", "bill": f"CFCE{_stamp()}", "unloading": "PLMAA"},
    )
    m = p.send(k.importer, lambda ctx: waybill(ctx, "8000", wid))
    p.driver.received(k.importer, "8000", "MT9999", wid, m)
    p.task(
        "Work order: leg 1 of the waybill handed over at Chongqing (WB102)",
        k.role,
        "report-leg",
        {"type": "WB102", "office": "8000", "bill": wid, "leg": 1, "status": "HND", "location": "CNCKG"},
    )


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Play, Kit], None]

    @property
    def title(self) -> str:
        return " ".join((self.run.__doc__ or self.name).split("\n\n")[0].split())


CUSTOMS_SCENARIOS = (
    Scenario("import-transit", import_transit),
    Scenario("export-exit", export_exit),
    Scenario("shared-alert", shared_alert),
    Scenario("multimodal", multimodal),
)
SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "customs-cq": CUSTOMS_SCENARIOS,
    "customs-cd": CUSTOMS_SCENARIOS,
    "tax-cq": (Scenario("refund-cases", refund_cases),),
    "tax-sc": (Scenario("refund-cases", refund_cases),),
    "carrier": (Scenario("carrier-filings", carrier_filings),),
}


def party_of(role: str, seed: str) -> str:
    if role in OFFICE_OF:
        return OFFICE_OF[role]
    if role in BUREAU_OF:
        return BUREAU_OF[role]
    return Kit(role, "", seed).carrier
