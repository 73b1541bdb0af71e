"""The demo scenarios. Each plays traders and carriers by script; the customs nodes react on their own."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.parts import DocumentRef, UnloadingLocation
from schemas.samples import all_samples
from swsim.demo.driver import Driver
from swsim.network import TAX_CQ, TAX_SC, Role, default_parties
from swsim.node.runtime import Context


@functools.cache
def samples() -> dict[MessageType, Message]:
    """The samples the builders start from (built once; never mutated: builders copy them)."""
    return all_samples()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    summary: str
    bill: str


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    expected: str
    run: Callable[[Driver], Outcome]


def _party(driver: Driver, role: Role, index: int = 0) -> str:
    return [p.id for p in default_parties(driver.stack.settings.network_seed) if p.role == role][index]


def _stamp() -> str:
    return str(time.time_ns())[-10:]


def _with_bill(x: object, bill: str) -> object:
    return x.model_copy(update={"transport_contract_document": DocumentRef(id=bill)})  # type: ignore[attr-defined]


def manifest(ctx: Context, mt: MessageType, office: str, bill: str, unloading: c.Locode) -> Message:
    s = samples()[mt]
    d = s.body
    cons = [_with_bill(x, bill) for x in d.consignment]
    if hasattr(cons[0], "unloading_location"):
        cons = [x.model_copy(update={"unloading_location": UnloadingLocation(id=unloading)}) for x in cons]  # type: ignore[attr-defined]
    body = d.model_copy(update={"declaration_office_id": c.CustomsOffice(office), "consignment": cons})
    return type(s)(head=ctx.head(mt, office, bill), declaration=body)  # type: ignore[call-arg]


def declaration(ctx: Context, office: str, bill: str, importing: bool, serial: int | None = None) -> Message:
    s = samples()[MessageType.DC101]
    serial = int(time.time_ns()) % 10**9 if serial is None else serial
    number = f"{office}{ctx.now:%Y}{'1' if importing else '0'}{serial % 10**9:09d}"
    body = s.body.model_copy(
        update={
            "declaration_number": number,
            "declaration_office_id": c.CustomsOffice(office),
            "import_export_code": c.ImportExport.IMPORT if importing else c.ImportExport.EXPORT,
            "transport_contract_document": DocumentRef(id=bill),
        }
    )
    return type(s)(head=ctx.head(MessageType.DC101, office, bill), declaration=body)  # type: ignore[call-arg]


def transit(
    ctx: Context, departure: str, destination: str, bill: str, days: int = 14, serial: int | None = None
) -> Message:
    s = samples()[MessageType.TT101]
    body = s.body.model_copy(
        update={
            "transit_id": f"TT{departure}{_stamp() if serial is None else f'{serial:010d}'}",
            "departure_office_id": c.CustomsOffice(departure),
            "destination_office_id": c.CustomsOffice(destination),
            "transport_contract_document": DocumentRef(id=bill),
            "departure_date_time": ctx.now,
            "arrival_deadline_date": (ctx.now + timedelta(days=days)).date(),
            "total_gross_mass_measure": Decimal("2450.5"),
        }
    )
    return type(s)(head=ctx.head(MessageType.TT101, departure, bill), declaration=body)  # type: ignore[call-arg]


def import_transit(d: Driver, bill_prefix: str = "SWQZ") -> Outcome:
    """Land-sea corridor import, Qinzhou (Nanning customs 7200) -> Chongqing (8000) under through-transport."""
    carrier, trader = _party(d, Role.CARRIER), _party(d, Role.TRADER, 1)
    bill = f"{bill_prefix}{_stamp()}"
    d.say(f"1. Carrier files the original sea manifest (MT1101) for {bill} at Qinzhou (Nanning customs 7200)")
    m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT1101, "7200", bill, c.Locode.CNQZH))
    r = d.received(carrier, "7200", "MT9999", bill, m)
    d.say(f"   7200 answers: {r['summary']}")
    d.say("2. Tally at the ship side (MT5101)")
    m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT5101, "7200", bill, c.Locode.CNQZH))
    d.say(f"   7200 answers: {d.received(carrier, '7200', 'MT9999', bill, m)['summary']}")
    d.say("3. Importer declares through-transport 转关 7200 -> 8000, container sealed (TT101)")
    m = d.send(trader, lambda ctx: transit(ctx, "7200", "8000", bill))
    r = d.received(trader, "7200", "MT9999", bill, m)
    d.say(f"   7200 answers: {r['summary']}")
    d.doc("8000", "transit", _transit_id(d, "7200", bill), lambda t: t["status"] == "expected")
    d.say("   7200 forwarded the declaration to Chongqing customs 8000, which now expects the goods")
    d.advance(timedelta(days=2), "rail transport Qinzhou -> Chongqing Tuanjiecun")
    d.say("4. Carrier reports arrival at the Chongqing railway port (MT3301)")
    d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT3301, "8000", bill, c.Locode.CNCKG))
    w = d.received(trader, "7200", "TT103", bill)
    d.say(f"   8000 checked the seals and confirmed arrival (TT102); 7200 {w['summary']} (TT103)")
    d.say("5. Importer lodges the import declaration at 8000 (DC101)")
    d.send(trader, lambda ctx: declaration(ctx, "8000", bill, importing=True))
    decision = d.received(trader, "8000", "CD101", bill)
    d.say(f"   8000 answers: {decision['summary']}")
    t = d.stack.nodes["7200"].store.get("transit", _transit_id(d, "7200", bill)) or {}
    ok = decision["summary"].startswith("decision RELEASED") and t.get("status") == "written-off"
    return Outcome(ok, f"released at 8000: {decision['summary']}; transit at 7200: {t.get('status')}", bill)


def _transit_id(d: Driver, office: str, bill: str) -> str:
    found: str = d.wait(
        f"transit for {bill} at {office}",
        lambda: next((t["id"] for t in d.stack.nodes[office].store.all("transit") if t["bill"] == bill), None),
    )
    return found


def risk_alert(d: Driver) -> Outcome:
    """A risk hit at Chongqing holds the consignment and warns every other customs office; Chengdu then holds a
    consignment of the same goods on the strength of that alert (shared early warning)."""
    carrier, trader, exporter = _party(d, Role.CARRIER), _party(d, Role.TRADER, 1), _party(d, Role.TRADER, 0)
    bill = f"RISK{_stamp()}"
    d.say(f"1. Carrier files a rail pre-manifest (MT2301) for {bill} at Chongqing 8000")
    m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT2301, "8000", bill, c.Locode.PLMAA))
    d.received(carrier, "8000", "MT9999", bill, m)
    d.say("2. Exporter declares the goods (DC101); the document number starts with RISK (a risk hit)")
    d.send(trader, lambda ctx: declaration(ctx, "8000", bill, importing=False))
    held = d.received(trader, "8000", "CD101", bill)
    d.say(f"   8000 answers: {held['summary']}")
    alert = d.wait("the risk alert at Chengdu 7900", lambda: d.stack.nodes["7900"].store.all("alert"))
    d.say(f"   the gateway broadcast risk alert {alert[0]['id']} to 7900, 7200 and 9402")
    bill2 = f"SWCD{_stamp()}"
    d.say(f"3. At Chengdu 7900, another exporter files {bill2} with the same goods (HS 8471300000)")
    m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT2301, "7900", bill2, c.Locode.PLMAA))
    d.received(carrier, "7900", "MT9999", bill2, m)
    d.send(exporter, lambda ctx: declaration(ctx, "7900", bill2, importing=False))
    second = d.received(exporter, "7900", "CD101", bill2)
    d.say(f"   7900 answers: {second['summary']}")
    ok = held["summary"].startswith("decision HELD") and second["summary"].startswith("decision HELD")
    return Outcome(ok, f"held at 8000 and, by the shared alert, at 7900: {second['summary']}", bill)


def export_rail(d: Driver) -> Outcome:
    """China-Europe Railway Express export Chengdu -> Malaszewicze: released on arrival at the railway port (运抵),
    through-transport to the Alashankou border exit, write-off, and joint verification with Polish customs."""
    carrier, exporter = _party(d, Role.CARRIER), _party(d, Role.TRADER, 0)
    bill = f"SWCE{_stamp()}"
    d.say(f"1. Carrier files the rail pre-manifest (MT2301) for {bill} at Chengdu 7900 (to Malaszewicze)")
    m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT2301, "7900", bill, c.Locode.PLMAA))
    d.say(f"   7900 answers: {d.received(carrier, '7900', 'MT9999', bill, m)['summary']}")
    d.say("2. Exporter declares the goods for export (DC101)")
    m = d.send(exporter, lambda ctx: declaration(ctx, "7900", bill, importing=False))
    d.say(f"   7900 answers: {d.received(exporter, '7900', 'MT9999', bill, m)['summary']}")
    d.say("3. The container arrives at the Chengdu international railway port (MT3301, 运抵)")
    d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT3301, "7900", bill, c.Locode.CNCTU))
    released = d.received(exporter, "7900", "CD101", bill)
    d.say(f"   7900 answers: {released['summary']}")
    d.say("4. Exporter declares through-transport 7900 -> Alashankou 9402 (border exit), sealed (TT101)")
    m = d.send(exporter, lambda ctx: transit(ctx, "7900", "9402", bill, days=10))
    d.say(f"   7900 answers: {d.received(exporter, '7900', 'MT9999', bill, m)['summary']}")
    d.advance(timedelta(days=3), "the train crosses China to Alashankou")
    d.say("5. The train reaches the border: arrival report at Alashankou (MT3301); seals checked")
    d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT3301, "9402", bill, c.Locode.CNAKL))
    w = d.received(exporter, "7900", "TT103", bill)
    d.say(f"   9402 confirmed exit (TT102); 7900 {w['summary']} (TT103)")
    v = d.doc("7900", "verification", bill, lambda x: x["result"] is not None)
    d.say(f"6. 7900 asked Polish customs for joint verification (联网核查): {v['result']}")
    ok = (
        released["summary"].startswith("decision RELEASED")
        and w["summary"].endswith("CLOSED")
        and v["result"] == "MATCH"
    )
    return Outcome(ok, f"released on arrival, exit written off, Polish customs: {v['result']}", bill)


def waybill(ctx: Context, office: str, waybill_id: str) -> Message:
    s = samples()[MessageType.WB101]
    body = s.body.model_copy(update={"waybill_id": waybill_id, "issue_date_time": ctx.now})
    return type(s)(head=ctx.head(MessageType.WB101, office, waybill_id), declaration=body)  # type: ignore[call-arg]


def leg_event(
    ctx: Context, office: str, waybill_id: str, seq: int, status: c.LegStatus, where: c.Locode, endorse: bool = False
) -> Message:
    s = samples()[MessageType.WB102]
    wb = samples()[MessageType.WB101].body
    update: dict[str, object] = {
        "waybill_id": waybill_id,
        "leg_sequence_numeric": seq,
        "status_code": status,
        "event_date_time": ctx.now,
        "location_id": where,
    }
    if seq != 1:
        update["hand_over"] = None
    if endorse:  # the holder (the buyer) tries to pass the title on
        update["endorsement"] = wb.title.endorsement[0].model_copy(
            update={
                "sequence_numeric": 2,
                "from_party": wb.title.holder,
                "to_party": wb.shipper,
                "endorsement_date_time": ctx.now,
            }
        )
    body = s.body.model_copy(update=update)
    return type(s)(head=ctx.head(MessageType.WB102, office, waybill_id), declaration=body)  # type: ignore[call-arg]


def multimodal(d: Driver) -> Outcome:
    """One document (一单制): rail Chengdu -> Chongqing, hand-over to a Yangtze barge at Guoyuan, water to Shanghai;
    the waybill is a document of title pledged to a bank, and it carries 抵港直装 (release before arrival)."""
    shipper, rail, barge = _party(d, Role.TRADER, 1), _party(d, Role.CARRIER, 0), _party(d, Role.CARRIER, 1)
    wid = f"SWMW{_stamp()}"
    d.say(f"1. The multimodal waybill {wid} (rail + Yangtze water, title pledged, 抵港直装) is filed at 8000 (WB101)")
    m = d.send(shipper, lambda ctx: waybill(ctx, "8000", wid))
    d.say(f"   8000 answers: {d.received(shipper, '8000', 'MT9999', wid, m)['summary']}")
    d.say("2. Export declaration (DC101): direct loading lets release precede arrival")
    m = d.send(shipper, lambda ctx: declaration(ctx, "8000", wid, importing=False))
    released = d.received(shipper, "8000", "CD101", wid)
    d.say(f"   8000 answers: {released['summary']}")
    d.say("3. Leg 1 (rail Chengdu -> Chongqing) hands over to the barge at Chongqing (WB102)")
    m = d.send(rail, lambda ctx: leg_event(ctx, "8000", wid, 1, c.LegStatus.HANDED_OVER, c.Locode.CNCKG))
    d.say(f"   8000 answers: {d.received(rail, '8000', 'MT9999', wid, m)['summary']}")
    d.advance(timedelta(days=6), "down the Yangtze from Guoyuan to Shanghai")
    d.say("4. Leg 2 (water) arrives at Shanghai (WB102)")
    m = d.send(barge, lambda ctx: leg_event(ctx, "8000", wid, 2, c.LegStatus.ARRIVED, c.Locode.CNSHA))
    d.say(f"   8000 answers: {d.received(barge, '8000', 'MT9999', wid, m)['summary']}")
    d.say("5. The holder tries to endorse the title, which is pledged to a bank, to another party (WB102)")
    m = d.send(barge, lambda ctx: leg_event(ctx, "8000", wid, 2, c.LegStatus.ARRIVED, c.Locode.CNSHA, endorse=True))
    refused = d.received(barge, "8000", "MT9999", wid, m)
    d.say(f"   8000 answers: {refused['summary']}")
    w = d.stack.nodes["8000"].store.get("waybill", wid) or {}
    legs = [leg["status"] for leg in w.get("legs", [])]
    ok = (
        released["summary"].startswith("decision RELEASED")
        and legs == ["HND", "ARR"]
        and refused["summary"].startswith("19010")
    )
    return Outcome(ok, f"released before arrival; legs {legs}; endorsement of the pledged title refused", wid)


def registration(ctx: Context, bureau: str, uscc: str, refund_class: c.RefundClass, version: int = 1) -> Any:
    """A tax registration record (TX101 body) for an exporter, with its export refund class."""
    body = samples()[MessageType.TX101].body
    record = body.record.model_copy(
        update={
            "record_id": f"REG-{uscc}",
            "record_version": version,
            "taxpayer_uscc": uscc,
            "authority_id": bureau,
            "record_date_time": ctx.now,
        }
    )
    return body.model_copy(update={"record": record, "refund_class_code": refund_class})


def exporter_uscc() -> str:
    """The USCC of the consignor on the sample export declaration (a synthetic Chengdu exporter)."""
    consignor: str = samples()[MessageType.DC101].body.consignor.id
    return consignor.removeprefix("USCI+")


def ship_for_refund(d: Driver, bill: str) -> dict[str, Any]:
    """Rail pre-manifest, export declaration, arrival (运抵) and release at Chongqing 8000, then through-transport
    to Qinzhou 7200 (the exit port): the release opens a refund case, and Sichuan tax decides it."""
    carrier, exporter = _party(d, Role.CARRIER), _party(d, Role.TRADER, 0)
    m = d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT2301, "8000", bill, c.Locode.CNQZH))
    d.received(carrier, "8000", "MT9999", bill, m)
    d.send(exporter, lambda ctx: declaration(ctx, "8000", bill, importing=False))
    d.send(carrier, lambda ctx: manifest(ctx, MessageType.MT3301, "8000", bill, c.Locode.CNCKG))
    released = d.received(exporter, "8000", "CD101", bill)
    d.say(f"   8000 answers: {released['summary']}")
    m = d.send(exporter, lambda ctx: transit(ctx, "8000", "7200", bill, days=10))
    d.received(exporter, "8000", "MT9999", bill, m)
    d.say("   through-transport 8000 -> Qinzhou 7200 accepted: 8000 sends the departure data to tax (TX201 RELEASED)")
    found: dict[str, Any] = d.wait(
        f"the refund decision for {bill}", lambda: _refund_case(d, exporter, bill, ("REFUNDED", "REFUSED"))
    )
    return found


def _refund_case(d: Driver, party: str, bill: str, states: tuple[str, ...]) -> dict[str, Any] | None:
    for r in d.stack.nodes[party].store.all("received"):
        if r["type"] == "TX201" and r["ref"] == bill and any(f": {s}" in r["summary"] for s in states):
            return dict(r)
    return None


def departure_refund(d: Driver) -> Outcome:
    """Departure-port tax refund (启运港退税) on the land-sea corridor rail Chongqing -> Qinzhou: one consignment
    exits and is written off; another never reaches the exit port and the refund is clawed back."""
    exporter = _party(d, Role.TRADER, 0)
    uscc = exporter_uscc()
    d.say(f"1. Sichuan tax registers exporter {uscc} (TX101, export refund class 1) and shares the record with")
    d.say("   Chongqing tax on both channels of the dual channel (双通道): A via the gateway, B the dedicated line")
    d.act(TAX_SC, lambda ctx: d.stack.tax(TAX_SC).publish(ctx, registration(ctx, TAX_SC, uscc, c.RefundClass.CLASS_1)))
    got = d.wait("the record on both channels at Chongqing tax", lambda: _channels(d, f"REG-{uscc}"))
    d.say(f"   Chongqing tax has it from channels {', '.join(got)} (applied once)")
    bill = f"SWRF{_stamp()}"
    d.say(f"2. Consignment {bill}: rail pre-manifest, export declaration and arrival at Chongqing 8000")
    decided = ship_for_refund(d, bill)
    d.say(f"   Sichuan tax decides: {decided['summary']}")
    d.advance(timedelta(days=2), "rail Chongqing Tuanjiecun -> Qinzhou port")
    d.say("3. The train reaches Qinzhou (MT3301 at 7200); seals intact; 8000 writes the transit off and sends the exit")
    d.send(_party(d, Role.CARRIER), lambda ctx: manifest(ctx, MessageType.MT3301, "7200", bill, c.Locode.CNQZH))
    done = d.wait("the written-off case", lambda: _refund_case(d, exporter, bill, ("WRITTEN_OFF",)))
    d.say(f"   Sichuan tax: {done['summary']}")
    bill2 = f"SWRF{_stamp()}"
    d.say(f"4. Consignment {bill2}: same route; refund granted at departure, but the goods never reach Qinzhou")
    decided2 = ship_for_refund(d, bill2)
    d.say(f"   Sichuan tax decides: {decided2['summary']}")
    d.advance(timedelta(days=61), "the 60-day exit deadline passes")
    clawed = d.wait("the clawback", lambda: _refund_case(d, exporter, bill2, ("CLAWBACK",)))
    d.say(f"   8000 reports NOT_ARRIVED; Sichuan tax: {clawed['summary']}")
    ok = decided["summary"].find(": REFUNDED") > 0 and done is not None and clawed is not None
    return Outcome(ok, f"{bill} written off after exit; {bill2} clawed back", bill)


def _channels(d: Driver, record_id: str) -> list[str] | None:
    channels = sorted(a.channel for a in d.stack.tax(TAX_CQ).books.all_arrivals() if a.record_id == record_id)
    return channels if len(channels) == 2 else None


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "import-transit",
            "Import Qinzhou -> Chongqing through-transport (陆海新通道, 转关)",
            "transit written off at 7200 and goods released at 8000",
            import_transit,
        ),
        Scenario(
            "export-rail",
            "China-Europe rail export Chengdu -> Malaszewicze (中欧班列)",
            "released on arrival, exit written off, joint verification MATCH",
            export_rail,
        ),
        Scenario(
            "multimodal",
            "Multimodal one-document waybill, rail + Yangtze water (多式联运一单制)",
            "released before arrival (抵港直装), legs tracked, pledged title not endorsable",
            multimodal,
        ),
        Scenario(
            "refund",
            "Departure-port tax refund, rail Chongqing -> Qinzhou (启运港退税, 双通道)",
            "one case written off after exit, one clawed back after the deadline",
            departure_refund,
        ),
        Scenario(
            "risk-alert",
            "Risk alert propagation between customs (风险预警)",
            "held at 8000, alert broadcast, same goods held at 7900",
            risk_alert,
        ),
    )
}
DEFAULT = "import-transit"
