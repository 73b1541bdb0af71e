"""Cross-field rules that types alone cannot express (totals, sequences, date order, chains, states).

Each rule yields ``(code, message, loc)`` with ``loc`` the element path from the root (element names and list
indices), so the codecs can point at it by XPath+line or JSON pointer. Every rule runs; all findings are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from schemas.base import Element
from schemas.codes import ReceiptCode, ResponseStatus, TitleStatus
from schemas.envelope import Message
from schemas.locate import Loc
from schemas.manifest import ManifestDeclaration
from schemas.response import GoodsDeclarationBody, ReceiptBody
from schemas.risk import RiskAlertBody
from schemas.tax import ALLOWED_REFUND_TRANSITIONS, AbnormalBody, RefundCaseBody
from schemas.transit import TransitDeclarationBody
from schemas.waybill import Leg, WaybillBody

Finding = tuple[str, str, Loc]
Rule = Callable[[Any, Loc], Iterator[Finding]]
_RULES: dict[type[Element], list[Rule]] = {}


def rule(body: type[Element]) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES.setdefault(body, []).append(fn)
        return fn

    return register


def check_rules(message: Message) -> list[Finding]:
    body = message.body
    base: Loc = (type(message).model_fields[message.BODY].alias or message.BODY,)
    out: list[Finding] = []
    for fn in _RULES.get(type(body), ()):
        out.extend(fn(body, base))
    return out


def _sequence(items: list[Any], loc: Loc, name: str) -> Iterator[Finding]:
    for i, item in enumerate(items):
        if item.sequence_numeric != i + 1:
            yield (
                "SEQUENCE_INVALID",
                f"{name} number {i + 1} has SequenceNumeric {item.sequence_numeric}: number them 1, 2, 3, ...",
                (*loc, i, "SequenceNumeric"),
            )


@rule(ManifestDeclaration)
def _manifest(d: ManifestDeclaration, base: Loc) -> Iterator[Finding]:
    seen: dict[tuple[str, str | None], int] = {}
    for ci, c in enumerate(d.consignment):
        loc: Loc = (*base, "Consignment", ci)
        key = (
            c.transport_contract_document.id,
            c.associated_transport_document.id if c.associated_transport_document else None,
        )
        if key in seen:
            yield (
                "DUPLICATE_REFERENCE",
                f"bill {key[0]} already appears in consignment {seen[key] + 1}: declare each bill once",
                (*loc, "TransportContractDocument", "ID"),
            )
        seen.setdefault(key, ci)
        items = c.consignment_item
        mass = sum((it.goods_measure.gross_mass_measure for it in items), Decimal(0))
        if mass != c.total_gross_mass_measure:
            yield (
                "MASS_MISMATCH",
                f"items weigh {mass} kg in all but TotalGrossMassMeasure is {c.total_gross_mass_measure}: "
                "make the total equal the sum of the items' GrossMassMeasure",
                (*loc, "TotalGrossMassMeasure"),
            )
        pkgs = sum(it.consignment_item_packaging.quantity_quantity for it in items)
        if pkgs != c.consignment_packaging.quantity_quantity:
            yield (
                "PACKAGE_COUNT_MISMATCH",
                f"items have {pkgs} packages in all but the consignment says "
                f"{c.consignment_packaging.quantity_quantity}: make them agree",
                (*loc, "ConsignmentPackaging", "QuantityQuantity"),
            )
        yield from _sequence(items, (*loc, "ConsignmentItem"), "item")
        containers = [e.equipment_identification.id for e in c.transport_equipment]
        for ei, cn in enumerate(containers):
            if cn in containers[:ei]:
                yield (
                    "DUPLICATE_REFERENCE",
                    f"container {cn} is listed twice: list each container once",
                    (*loc, "TransportEquipment", ei, "EquipmentIdentification", "ID"),
                )
    btm = d.border_transport_means
    if btm.departure_date_time and btm.arrival_date_time and btm.departure_date_time > btm.arrival_date_time:
        yield (
            "DATES_OUT_OF_ORDER",
            "DepartureDateTime is after ArrivalDateTime: the means of transport must leave before it arrives",
            (*base, "BorderTransportMeans", "ArrivalDateTime"),
        )


@rule(GoodsDeclarationBody)
def _goods(d: GoodsDeclarationBody, base: Loc) -> Iterator[Finding]:
    yield from _sequence(d.goods_item, (*base, "GoodsItem"), "goods item")
    mass = sum((g.gross_mass_measure for g in d.goods_item), Decimal(0))
    if mass != d.total_gross_mass_measure:
        yield (
            "MASS_MISMATCH",
            f"goods items weigh {mass} kg in all but TotalGrossMassMeasure is {d.total_gross_mass_measure}",
            (*base, "TotalGrossMassMeasure"),
        )
    value = sum((g.value_amount for g in d.goods_item), Decimal(0))
    if value != d.total_value_amount:
        yield (
            "TOTAL_MISMATCH",
            f"goods items are worth {value} in all but TotalValueAmount is {d.total_value_amount}",
            (*base, "TotalValueAmount"),
        )
    if d.declaration_number[:4] != d.declaration_office_id:
        yield (
            "DECLARATION_NUMBER_INVALID",
            f"declaration number {d.declaration_number} starts with customs code {d.declaration_number[:4]} but "
            f"DeclarationOfficeID is {d.declaration_office_id}: the number begins with the office declared at",
            (*base, "DeclarationNumber"),
        )
    flag = d.declaration_number[8]
    if (flag == "1") != (d.import_export_code == "I"):
        yield (
            "INCONSISTENT_STATUS",
            f"declaration number digit 9 is {flag} ({'import' if flag == '1' else 'export'}) but "
            f"ImportExportCode is {d.import_export_code}: make them agree",
            (*base, "ImportExportCode"),
        )


@rule(WaybillBody)
def _waybill(w: WaybillBody, base: Loc) -> Iterator[Finding]:
    yield from _sequence(w.leg, (*base, "Leg"), "leg")
    for i, leg in enumerate(w.leg):
        yield from _leg_dates(leg, (*base, "Leg", i))
        if i and leg.departure_location_id != w.leg[i - 1].arrival_location_id:
            yield (
                "LEG_CHAIN_BROKEN",
                f"leg {i + 1} departs from {leg.departure_location_id} but leg {i} arrives at "
                f"{w.leg[i - 1].arrival_location_id}: each leg starts where the previous one ends",
                (*base, "Leg", i, "DepartureLocationID"),
            )
    title = w.title
    if title is None:
        return
    tloc: Loc = (*base, "Title")
    holder = w.shipper.id
    yield from _sequence(title.endorsement, (*tloc, "Endorsement"), "endorsement")
    for i, e in enumerate(title.endorsement):
        if e.from_party.id != holder:
            yield (
                "ENDORSEMENT_CHAIN_BROKEN",
                f"endorsement {i + 1} is made by {e.from_party.id} but the holder then is {holder}: "
                "only the current holder can endorse",
                (*tloc, "Endorsement", i, "FromParty", "ID"),
            )
        holder = e.to_party.id
    if title.holder.id != holder:
        yield (
            "ENDORSEMENT_CHAIN_BROKEN",
            f"Holder is {title.holder.id} but the endorsements end with {holder}",
            (*tloc, "Holder", "ID"),
        )
    pledged = title.pledge is not None and title.pledge.released_date_time is None
    if (title.status_code == TitleStatus.PLEDGED) != pledged:
        yield (
            "INCONSISTENT_STATUS",
            "StatusCode PLG needs an unreleased Pledge, and an unreleased Pledge needs StatusCode PLG",
            (*tloc, "StatusCode"),
        )


def _leg_dates(leg: Leg, loc: Loc) -> Iterator[Finding]:
    if leg.planned_departure_date_time > leg.planned_arrival_date_time:
        yield (
            "DATES_OUT_OF_ORDER",
            "PlannedArrivalDateTime is before PlannedDepartureDateTime",
            (*loc, "PlannedArrivalDateTime"),
        )
    if (
        leg.actual_departure_date_time
        and leg.actual_arrival_date_time
        and leg.actual_departure_date_time > leg.actual_arrival_date_time
    ):
        yield (
            "DATES_OUT_OF_ORDER",
            "ActualArrivalDateTime is before ActualDepartureDateTime",
            (*loc, "ActualArrivalDateTime"),
        )


@rule(TransitDeclarationBody)
def _transit(t: TransitDeclarationBody, base: Loc) -> Iterator[Finding]:
    if t.departure_office_id == t.destination_office_id:
        yield (
            "INCONSISTENT_STATUS",
            "DepartureOfficeID and DestinationOfficeID are the same: through-transport moves goods between offices",
            (*base, "DestinationOfficeID"),
        )
    if t.arrival_deadline_date < t.departure_date_time.date():
        yield (
            "DATES_OUT_OF_ORDER",
            "ArrivalDeadlineDate is before the departure: give a deadline on or after DepartureDateTime",
            (*base, "ArrivalDeadlineDate"),
        )
    for i, eq in enumerate(t.transport_equipment):
        if not eq.seal_id:
            yield (
                "REQUIRED_MISSING",
                "through-transport equipment must be sealed: add at least one SealID (optional in the schema, "
                "which other messages share; required here)",
                (*base, "TransportEquipment", i, "SealID"),
            )


@rule(RiskAlertBody)
def _risk(r: RiskAlertBody, base: Loc) -> Iterator[Finding]:
    if r.valid_from >= r.valid_until:
        yield ("DATES_OUT_OF_ORDER", "ValidUntil must be after ValidFrom", (*base, "ValidUntil"))
    for i, t in enumerate(r.target):
        if not (t.hs_code or t.party_id or t.transport_contract_document_id or t.origin_country_code):
            yield (
                "REQUIRED_MISSING",
                "a Target names at least one of HSCode, PartyID, TransportContractDocumentID, OriginCountryCode",
                (*base, "Target", i),
            )


@rule(AbnormalBody)
def _abnormal(a: AbnormalBody, base: Loc) -> Iterator[Finding]:
    if a.lifted_date is not None and a.lifted_date < a.abnormal_date:
        yield ("DATES_OUT_OF_ORDER", "LiftedDate is before AbnormalDate", (*base, "LiftedDate"))


@rule(RefundCaseBody)
def _refund(r: RefundCaseBody, base: Loc) -> Iterator[Finding]:
    state = None
    for i, t in enumerate(r.transition):
        loc: Loc = (*base, "Transition", i)
        if t.from_state_code != state:
            yield (
                "INCONSISTENT_STATUS",
                f"transition {i + 1} starts from {_state(t.from_state_code)} but the case was then in {_state(state)}",
                (*loc, "FromStateCode"),
            )
        if t.to_state_code not in ALLOWED_REFUND_TRANSITIONS.get(t.from_state_code, frozenset()):
            allowed = sorted(ALLOWED_REFUND_TRANSITIONS.get(t.from_state_code, frozenset()))
            yield (
                "INCONSISTENT_STATUS",
                f"{_state(t.from_state_code)} -> {t.to_state_code} is not a refund transition; from "
                f"{_state(t.from_state_code)} the case may go to {', '.join(allowed) or 'nothing (final)'}",
                (*loc, "ToStateCode"),
            )
        if i and t.transition_date_time < r.transition[i - 1].transition_date_time:
            yield ("DATES_OUT_OF_ORDER", "transitions must be in time order", (*loc, "TransitionDateTime"))
        state = t.to_state_code
    if state != r.state_code:
        yield (
            "INCONSISTENT_STATUS",
            f"StateCode is {r.state_code} but the last transition leads to {_state(state)}",
            (*base, "StateCode"),
        )
    if r.exit_deadline_date < r.release_date_time.date():
        yield (
            "DATES_OUT_OF_ORDER",
            "ExitDeadlineDate is before ReleaseDateTime: the goods cannot be due to exit before they were released",
            (*base, "ExitDeadlineDate"),
        )


def _state(code: str | None) -> str:
    return code if code is not None else "no state (a case not yet opened; leave FromStateCode out only there)"


_S = ResponseStatus
RECEIPT_STATUSES: dict[ReceiptCode, frozenset[ResponseStatus]] = {
    ReceiptCode.ACCEPTED: frozenset({_S.ACCEPTED, _S.ACCEPTED_WITH_WARNINGS}),
    ReceiptCode.REJECTED_EXISTS: frozenset({_S.REJECTED}),
    ReceiptCode.MANUAL_REVIEW: frozenset({_S.HELD}),
    ReceiptCode.UNLOADING_PLACE_MISMATCH: frozenset({_S.REJECTED}),
    ReceiptCode.REJECTED_INVALID: frozenset({_S.REJECTED}),
    ReceiptCode.REJECTED_UNAUTHORIZED: frozenset({_S.REJECTED}),
    ReceiptCode.DELIVERED: frozenset({_S.ACCEPTED}),
    ReceiptCode.HELD_FOR_RISK: frozenset({_S.HELD}),
    ReceiptCode.RELEASED: frozenset({_S.RELEASED}),
}
"""Which receipt StatusCode each Response/ResponseType code goes with [design]: a code says why, the status what
became of the message, and the two must tell the same story (19001 "already filed" is a rejection, 19020
"delivered" an acceptance)."""


def _statuses(codes: frozenset[ResponseStatus]) -> str:
    return " or ".join(f"{s.value} ({s.name})" for s in sorted(codes))


@rule(ReceiptBody)
def _receipt(r: ReceiptBody, base: Loc) -> Iterator[Finding]:
    allowed = RECEIPT_STATUSES[r.response_type.code]
    if r.status_code not in allowed:
        yield (
            "INCONSISTENT_STATUS",
            f"ResponseType/Code {r.response_type.code.value} ({r.response_type.code.name}) goes with StatusCode "
            f"{_statuses(allowed)}, not {r.status_code.value} ({r.status_code.name}): make them agree",
            (*base, "StatusCode"),
        )
