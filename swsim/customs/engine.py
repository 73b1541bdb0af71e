"""One customs office's behaviour (DOMAIN.md §4) [inferred process; design details documented in README].

Manifests get receipts (accept / reject / hold); a goods declaration is matched to its manifest or through-
transport and risk-assessed, then released, examined or held; a through-transport (转关) is declared at the
departure office, forwarded to the destination office, confirmed on arrival with a seal check, and written off;
risk alerts are broadcast and inspection results from another office are recognised (no second inspection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from schemas import codes as c
from schemas.codec import decode, encode
from schemas.envelope import Message
from schemas.message_types import TYPE_INFO, MessageType
from schemas.parts import DocumentRef, EquipmentId
from schemas.response import (
    ClearanceBody,
    ClearanceMessage,
    ConsignmentResponse,
    ReceiptBody,
    ReceiptMessage,
    ResponseError,
    ResponseType,
)
from schemas.risk import (
    InspectionResultBody,
    InspectionResultMessage,
    RiskAlertBody,
    RiskAlertMessage,
    RiskTarget,
    VerificationRequestBody,
    VerificationRequestMessage,
)
from schemas.transit import (
    SealCheck,
    TransitArrivalBody,
    TransitArrivalMessage,
    TransitDeclarationMessage,
    TransitWriteOffBody,
    TransitWriteOffMessage,
)
from schemas.types import CST
from swsim.customs import refund
from swsim.customs.magic import DELAY_HOURS, effect_of
from swsim.customs.risk import assess
from swsim.node.runtime import Context

CUSTOMS_OFFICES = frozenset({"8000", "7900", "7200", "9402"})
BORDER_EXITS = frozenset({"9402", "9403"})
FOREIGN_CUSTOMS = {"PL": "PLCUS", "SG": "SGCUS"}


@dataclass
class CustomsHandler:
    office: str
    name: str
    peers: list[str] = field(default_factory=list)  # domestic offices that get inspection results
    _deadlines_checked: str = field(default="", init=False)  # the date transit and refund deadlines were checked

    # ---------------------------------------------------------------- dispatch
    def handle(self, m: Message, ctx: Context) -> None:
        kind = TYPE_INFO[m.head.message_type].kind
        handler = getattr(self, "_on_" + kind, None)
        if handler is not None:
            handler(m, ctx)

    def tick(self, ctx: Context) -> None:
        for deferred in ctx.store.all("deferred"):  # only answers still held: a sent one leaves the list
            if deferred["due"] <= ctx.now.timestamp():
                message = decode(deferred["body"].encode())
                ctx.send(message)
                ctx.store.delete("deferred", message.head.message_id)
        # deadlines are Beijing-time dates: they can only pass when the date changes, so look once per date
        # (every step would scan every transit and refund case, which under load costs more than the traffic)
        today = ctx.now.astimezone(CST).date().isoformat()
        if today == self._deadlines_checked:
            return
        for t in ctx.store.all("transit"):
            if t["departure"] == self.office and t["status"] == "departed" and t["deadline"] < today:
                t["status"] = "overdue"
                ctx.store.put("transit", t["id"], t)
                ctx.note("transit_overdue", transit=t["id"], bill=t["bill"], deadline=t["deadline"])
        refund.overdue(ctx)
        self._deadlines_checked = today

    # ---------------------------------------------------------------- answers
    def _send(self, ctx: Context, message: Message) -> None:
        """Send now, or (magic DLY) keep the answer until DELAY_HOURS of simulated time have passed."""
        if effect_of(message.head.correlation_id) == "delay":
            due = (ctx.now + timedelta(hours=DELAY_HOURS)).timestamp()
            ctx.store.put("deferred", message.head.message_id, {"due": due, "body": encode(message, "json").decode()})
            ctx.note("deferred", id=message.head.message_id, due=due)
            return
        ctx.send(message)

    def _receipt(
        self,
        ctx: Context,
        m: Message,
        status: c.ResponseStatus,
        code: c.ReceiptCode,
        text: str,
        errors: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    ) -> None:
        h = m.head
        rtype = ResponseType(code=code, text=text[:256])
        body = ReceiptBody(
            reference_message_id=h.message_id,
            reference_message_type=h.message_type,
            status_code=status,
            response_type=rtype,
            consignment=[
                ConsignmentResponse(transport_contract_document=DocumentRef(id=b), response_type=rtype)
                for b in _bills(m)
            ],
            error=[ResponseError(code=k, description=d[:512]) for k, d in errors],
        )
        self._send(
            ctx,
            ReceiptMessage(
                head=ctx.head(MessageType.MT9999, h.sender_id, h.correlation_id, h.message_id), response=body
            ),
        )

    def _refuse(self, ctx: Context, m: Message, title: str, code: str, detail: str) -> None:
        """Reject the filing (MT9999 status 03, 19010) with one stated reason."""
        self._receipt(ctx, m, c.ResponseStatus.REJECTED, c.ReceiptCode.REJECTED_INVALID, title, [(code, detail)])

    def _ok(self, ctx: Context, m: Message, text: str) -> None:
        """Accept the filing (MT9999 status 01, 19000)."""
        self._receipt(ctx, m, c.ResponseStatus.ACCEPTED, c.ReceiptCode.ACCEPTED, text)

    def _decision(
        self,
        ctx: Context,
        to: str,
        bill: str,
        decision: c.ClearanceDecision,
        reason: str,
        cause: str,
        declaration: str | None = None,
        measures: list[c.RiskMeasure] | None = None,
    ) -> str:
        """Send a clearance decision (CD101); returns its MessageID."""
        body = ClearanceBody(
            declaration_number=declaration,
            transport_contract_document=DocumentRef(id=bill),
            decision_code=decision,
            decision_office_id=c.CustomsOffice(self.office),
            decision_date_time=ctx.now,
            reason=reason[:256],
            measure_code=measures or [],
        )
        head = ctx.head(MessageType.CD101, to, bill, cause)
        self._send(ctx, ClearanceMessage(head=head, response=body))
        ctx.store.put("decision", bill, {"bill": bill, "decision": decision.value, "reason": reason})
        return str(head.message_id)

    def _filing_gate(self, ctx: Context, m: Message, bill: str | None) -> bool:
        """Magic REJ / HOLD: answer and stop (False); otherwise go on (True)."""
        effect = effect_of(bill)
        if effect == "reject":
            self._refuse(ctx, m, f"Rejected by {self.name}", "CUSTOMS_REJECTED", f"{bill}: rejected (magic prefix REJ)")
            return False
        if effect == "hold":
            self._receipt(
                ctx,
                m,
                c.ResponseStatus.HELD,
                c.ReceiptCode.MANUAL_REVIEW,
                f"Held for manual review by {self.name} (magic prefix HOLD)",
            )
            return False
        return True

    # ---------------------------------------------------------------- manifests
    def _on_manifest(self, m: Message, ctx: Context) -> None:
        d = m.body
        bills = [x.transport_contract_document.id for x in d.consignment]
        # one answer per filing: a magic prefix on any of its consignments decides it
        gate = next((b for b in bills if effect_of(b) in ("reject", "hold")), bills[0])
        if not self._filing_gate(ctx, m, gate):
            return
        for bill in bills:  # every bill first: a refused filing records none of them
            existing = ctx.store.get("manifest", bill)
            if existing and existing["type"] == m.head.message_type.value and existing["message"] != m.head.message_id:
                self._receipt(
                    ctx,
                    m,
                    c.ResponseStatus.REJECTED,
                    c.ReceiptCode.REJECTED_EXISTS,
                    f"Bill {bill} already filed",
                    [("BILL_EXISTS", f"{bill} is already on a manifest")],
                )
                return
        for x in d.consignment:
            bill = x.transport_contract_document.id
            ctx.store.put(
                "manifest",
                bill,
                {
                    "bill": bill,
                    "type": m.head.message_type.value,
                    "message": m.head.message_id,
                    "office": self.office,
                    "packages": x.consignment_packaging.quantity_quantity,
                    "mass": str(x.total_gross_mass_measure),
                    "containers": {e.equipment_identification.id: list(e.seal_id) for e in x.transport_equipment},
                    "parties": [x.consignor.id, x.consignee.id],
                    "filer": m.head.sender_id,
                    "unloading": x.unloading_location.id.value,
                },
            )
        self._ok(ctx, m, f"Accepted by {self.name}")

    def _on_loading(self, m: Message, ctx: Context) -> None:
        for x in m.body.consignment:
            bill = x.transport_contract_document.id
            ctx.store.put("loading", bill, {"bill": bill, "office": self.office, "at": ctx.now.isoformat()})
        self._ok(ctx, m, f"Loading recorded by {self.name}")

    def _on_tally(self, m: Message, ctx: Context) -> None:
        problems = []
        for x in m.body.consignment:
            bill = x.transport_contract_document.id
            ctx.store.put("measured-mass", bill, {"bill": bill, "mass": str(x.total_gross_mass_measure)})
            manifest = ctx.store.get("manifest", bill)
            if manifest is None:
                problems.append(("NO_MANIFEST", f"no manifest for {bill} at {self.office}"))
            elif manifest["packages"] != x.consignment_packaging.quantity_quantity:
                problems.append(
                    (
                        "TALLY_MISMATCH",
                        f"{bill}: tallied {x.consignment_packaging.quantity_quantity} "
                        f"packages, manifest says {manifest['packages']}",
                    )
                )
        if problems:
            self._receipt(ctx, m, c.ResponseStatus.HELD, c.ReceiptCode.MANUAL_REVIEW, "Tally differs", problems)
        else:
            self._ok(ctx, m, "Tally matches the manifest")

    def _on_arrival(self, m: Message, ctx: Context) -> None:
        for x in m.body.consignment:
            bill = x.transport_contract_document.id
            ctx.store.put("arrival", bill, {"bill": bill, "office": self.office, "at": ctx.now.isoformat()})
            waiting = ctx.store.get("awaiting-arrival", bill)
            if waiting is not None and not waiting.get("released"):
                self._release(
                    ctx,
                    waiting["declarant"],
                    bill,
                    waiting["cause"],
                    waiting["number"],
                    waiting["recognised"],
                    " on arrival (运抵)",
                )
                ctx.store.put("awaiting-arrival", bill, {**waiting, "released": True})
            transit = _transit_for(ctx, bill, destination=self.office, status="expected")
            if transit is not None:
                self._confirm_arrival(
                    ctx, m, transit, {e.equipment_identification.id: list(e.seal_id) for e in x.transport_equipment}
                )
        self._ok(ctx, m, f"Arrival recorded by {self.name}")

    # ---------------------------------------------------------------- through-transport
    def _on_transit_declaration(self, m: Message, ctx: Context) -> None:
        d = m.body
        bill = d.transport_contract_document.id
        seals = {e.equipment_identification.id: list(e.seal_id) for e in d.transport_equipment}
        doc = {
            "id": d.transit_id,
            "bill": bill,
            "departure": d.departure_office_id.value,
            "destination": d.destination_office_id.value,
            "seals": seals,
            "deadline": d.arrival_deadline_date.isoformat(),
            "declarant": m.head.sender_id,
            "mass": str(d.total_gross_mass_measure),
        }
        if m.head.sender_id in CUSTOMS_OFFICES:  # forwarded by the departure office: expect the goods here
            ctx.store.put("transit", d.transit_id, {**doc, "status": "expected", "declarant": d.carrier.id})
            return
        if not self._filing_gate(ctx, m, bill):
            return
        if d.departure_office_id.value != self.office:
            self._refuse(
                ctx, m, "Wrong office", "WRONG_OFFICE", f"declare at the departure office {d.departure_office_id.value}"
            )
            return
        if ctx.store.get("manifest", bill) is None:
            self._refuse(ctx, m, "No manifest", "NO_MANIFEST", f"no accepted manifest for {bill} at {self.office}")
            return
        ctx.store.put("transit", d.transit_id, {**doc, "status": "departed"})
        forward = TransitDeclarationMessage(
            head=ctx.head(MessageType.TT101, d.destination_office_id.value, bill, m.head.message_id), declaration=d
        )
        self._send(ctx, forward)
        self._ok(
            ctx,
            m,
            f"Through-transport {d.transit_id} accepted; deadline {d.arrival_deadline_date}",
        )
        refund.maybe_open(ctx, self.office, bill)

    def _confirm_arrival(self, ctx: Context, m: Message, t: dict[str, Any], arrived: dict[str, list[str]]) -> None:
        checks = []
        for container, seals in t["seals"].items():
            for seal in seals:
                broken = effect_of(t["bill"]) == "seal" or seal not in arrived.get(container, [])
                checks.append(
                    SealCheck(
                        equipment_identification=EquipmentId(id=container),
                        seal_id=seal,
                        status_code=c.SealStatus.BROKEN if broken else c.SealStatus.INTACT,
                    )
                )
        intact = all(s.status_code == c.SealStatus.INTACT for s in checks)
        t["status"] = "arrived" if intact else "seal-broken"
        ctx.store.put("transit", t["id"], t)
        body = TransitArrivalBody(
            transit_id=t["id"],
            arrival_office_id=c.CustomsOffice(self.office),
            arrival_date_time=ctx.now,
            seal_check=checks,
            remark=None if intact else "Seal check failed",
        )
        self._send(
            ctx,
            TransitArrivalMessage(
                head=ctx.head(MessageType.TT102, t["departure"], t["bill"], m.head.message_id), declaration=body
            ),
        )

    def _on_transit_arrival(self, m: Message, ctx: Context) -> None:
        d = m.body
        t = ctx.store.get("transit", d.transit_id)
        if t is None or t["departure"] != self.office:
            ctx.note("unknown_transit", transit=d.transit_id)
            return
        intact = all(s.status_code == c.SealStatus.INTACT for s in d.seal_check)
        result = c.WriteOffResult.CLOSED if intact else c.WriteOffResult.DISCREPANCY
        t["status"] = "written-off" if intact else "discrepancy"
        ctx.store.put("transit", t["id"], t)
        body = TransitWriteOffBody(
            transit_id=t["id"],
            office_id=c.CustomsOffice(self.office),
            write_off_date_time=ctx.now,
            result_code=result,
            remark=None if intact else "Seals broken at arrival",
        )
        if intact and t["destination"] in BORDER_EXITS:
            self._verify_abroad(ctx, t, m.head.message_id)
        if intact:
            refund.exited(ctx, t["bill"], m.head.message_id)
        for to in (t["destination"], t["declarant"]):
            self._send(
                ctx,
                TransitWriteOffMessage(
                    head=ctx.head(MessageType.TT103, to, t["bill"], m.head.message_id), declaration=body
                ),
            )

    def _verify_abroad(self, ctx: Context, t: dict[str, Any], cause: str) -> None:
        """Joint verification (联网核查): ask the destination country's customs to confirm the consignment."""
        manifest = ctx.store.get("manifest", t["bill"]) or {}
        peer = FOREIGN_CUSTOMS.get(str(manifest.get("unloading", ""))[:2])
        if peer is None:
            return
        vid = f"JV{self.office}{ctx.store.next_number('verification'):09d}"
        body = VerificationRequestBody(
            verification_id=vid,
            requesting_office_id=c.CustomsOffice(self.office),
            transport_contract_document=DocumentRef(id=t["bill"]),
            declared_gross_mass_measure=Decimal(t["mass"]),
            question=f"Confirm arrival of {t['bill']} (exited via {t['destination']})",
        )
        ctx.store.put("verification", t["bill"], {"id": vid, "bill": t["bill"], "peer": peer, "result": None})
        self._send(
            ctx, VerificationRequestMessage(head=ctx.head(MessageType.JV101, peer, t["bill"], cause), declaration=body)
        )

    def _on_verification_response(self, m: Message, ctx: Context) -> None:
        bill = m.head.correlation_id or ""
        doc = ctx.store.get("verification", bill)
        if doc is not None:
            ctx.store.put("verification", bill, {**doc, "result": m.body.result_code.value})

    # ---------------------------------------------------------------- multimodal waybill (一单制)
    def _on_waybill(self, m: Message, ctx: Context) -> None:
        w = m.body
        title = w.title
        ctx.store.put(
            "waybill",
            w.waybill_id,
            {
                "id": w.waybill_id,
                "direct_option": w.direct_option_code.value if w.direct_option_code else None,
                "legs": [
                    {
                        "seq": leg.sequence_numeric,
                        "mode": leg.mode_code.value,
                        "from": leg.departure_location_id.value,
                        "to": leg.arrival_location_id.value,
                        "status": leg.status_code.value,
                    }
                    for leg in w.leg
                ],
                "holder": title.holder.id if title else None,
                "title_status": title.status_code.value if title else None,
            },
        )
        self._ok(ctx, m, f"Waybill {w.waybill_id} recorded")

    def _on_waybill_status(self, m: Message, ctx: Context) -> None:
        e = m.body
        w = ctx.store.get("waybill", e.waybill_id)
        if w is None:
            self._refuse(ctx, m, "Unknown waybill", "UNKNOWN_WAYBILL", f"no waybill {e.waybill_id} at {self.office}")
            return
        legs = [leg for leg in w["legs"] if leg["seq"] == e.leg_sequence_numeric]
        if not legs:
            self._refuse(
                ctx, m, "Unknown leg", "UNKNOWN_LEG", f"waybill {e.waybill_id} has no leg {e.leg_sequence_numeric}"
            )
            return
        legs[0]["status"] = e.status_code.value
        if e.endorsement is not None:
            en = e.endorsement
            if w["title_status"] == c.TitleStatus.PLEDGED.value or en.from_party.id != w["holder"]:
                why = "the title is pledged to a bank" if w["title_status"] == "PLG" else "only the holder may endorse"
                # the whole event is refused: nothing of it is recorded
                self._refuse(ctx, m, "Endorsement refused", "ENDORSEMENT_REFUSED", f"{e.waybill_id}: {why}")
                return
            w["holder"] = en.to_party.id
        if e.title_status_code is not None:
            w["title_status"] = e.title_status_code.value
        ctx.store.put("waybill", e.waybill_id, w)
        self._ok(
            ctx,
            m,
            f"Leg {e.leg_sequence_numeric}: {e.status_code.name}",
        )

    def _on_transit_writeoff(self, m: Message, ctx: Context) -> None:
        d = m.body
        t = ctx.store.get("transit", d.transit_id)
        if t is not None:
            t["status"] = "closed" if d.result_code == c.WriteOffResult.CLOSED else "discrepancy"
            ctx.store.put("transit", t["id"], t)

    # ---------------------------------------------------------------- declarations and risk
    def _on_goods_declaration(self, m: Message, ctx: Context) -> None:
        d = m.body
        bill = d.transport_contract_document.id
        if not self._filing_gate(ctx, m, bill):
            return
        if d.import_export_code == c.ImportExport.EXPORT:
            refund.note_export(ctx, m)
        transit = _transit_for(ctx, bill, destination=self.office, status=None)
        manifest = ctx.store.get("manifest", bill)
        waybill = ctx.store.get("waybill", bill) or {}  # a multimodal waybill is itself the transport contract
        if manifest is None and transit is None and not waybill:
            self._receipt(
                ctx,
                m,
                c.ResponseStatus.HELD,
                c.ReceiptCode.MANUAL_REVIEW,
                "No matching manifest",
                [("NO_MANIFEST", f"no manifest, waybill or through-transport for {bill} at {self.office}")],
            )
            return
        if transit is not None and transit["status"] in ("seal-broken", "discrepancy"):
            self._decision(
                ctx,
                m.head.sender_id,
                bill,
                c.ClearanceDecision.HELD,
                "Seals were broken in transit",
                m.head.message_id,
                d.declaration_number,
                [c.RiskMeasure.PHYSICAL_INSPECTION],
            )
            return
        hits = assess(
            ctx.store,
            ctx.now,
            bill=bill,
            hs_codes=[g.hs_code for g in d.goods_item],
            parties=[d.declarant.id, d.consignor.id, d.consignee.id],
            origins=[g.origin_country_code for g in d.goods_item],
            declared_mass=Decimal(d.total_gross_mass_measure),
        )
        recognised = ctx.store.get("inspection", bill)
        if hits and not (recognised and recognised["outcome"] == c.InspectionOutcome.CONFORM.value):
            reasons = "; ".join(h.detail for h in hits)
            ctx.note("risk_hit", bill=bill, rules=[h.rule for h in hits])
            self._decision(
                ctx,
                m.head.sender_id,
                bill,
                c.ClearanceDecision.HELD,
                f"Risk: {reasons}",
                m.head.message_id,
                d.declaration_number,
                [c.RiskMeasure.HOLD],
            )
            self._alert(ctx, bill, d, reasons, m.head.message_id)
            return
        if effect_of(bill) == "inspect" and recognised is None:
            self._decision(
                ctx,
                m.head.sender_id,
                bill,
                c.ClearanceDecision.EXAMINATION,
                "Selected for examination",
                m.head.message_id,
                d.declaration_number,
                [c.RiskMeasure.PHYSICAL_INSPECTION],
            )
            self._inspect(ctx, bill, m.head.message_id)
        direct = waybill.get("direct_option") in (
            c.DirectOption.DIRECT_LOADING.value,
            c.DirectOption.SHIP_SIDE_PICKUP.value,
        )
        if d.import_export_code == c.ImportExport.EXPORT and ctx.store.get("arrival", bill) is None and not direct:
            # export goods are released once they have arrived at the supervised place (运抵)
            ctx.store.put(
                "awaiting-arrival",
                bill,
                {
                    "bill": bill,
                    "declarant": m.head.sender_id,
                    "cause": m.head.message_id,
                    "number": d.declaration_number,
                    "recognised": recognised["office"] if recognised else None,
                },
            )
            self._ok(
                ctx,
                m,
                "Declaration accepted; release on arrival of the goods (运抵)",
            )
            return
        note = " (抵港直装/船边直提: release before arrival)" if direct else ""
        self._release(
            ctx,
            m.head.sender_id,
            bill,
            m.head.message_id,
            d.declaration_number,
            recognised["office"] if recognised else None,
            note,
        )

    def _release(
        self, ctx: Context, to: str, bill: str, cause: str, number: str | None, recognised: str | None, note: str = ""
    ) -> None:
        reason = "Released" + (f" (inspection by {recognised} recognised)" if recognised else "") + note
        release = self._decision(ctx, to, bill, c.ClearanceDecision.RELEASED, reason, cause, number)
        refund.released(ctx, self.office, bill, release)

    def _alert(self, ctx: Context, bill: str, d: Any, reasons: str, cause: str) -> None:
        alert_id = f"RA{self.office}{ctx.store.next_number('alert'):09d}"
        body = RiskAlertBody(
            alert_id=alert_id,
            issuing_office_id=c.CustomsOffice(self.office),
            level_code=c.RiskLevel.HIGH,
            category_code=c.RiskCategory.QUALITY_SAFETY,
            title=f"Risk hit on {bill}"[:256],
            description=reasons[:512],
            valid_from=ctx.now,
            valid_until=ctx.now + timedelta(days=30),
            target=[
                RiskTarget(transport_contract_document_id=bill),
                *[RiskTarget(hs_code=g.hs_code) for g in d.goods_item],
            ],
            measure_code=[c.RiskMeasure.DOCUMENT_CHECK, c.RiskMeasure.PHYSICAL_INSPECTION],
        )
        self._store_alert(ctx, body)
        # the gateway broadcasts risk alerts to every other customs office, whatever the receiver says
        self._send(
            ctx,
            RiskAlertMessage(
                head=ctx.head(MessageType.RA101, self.peers[0] if self.peers else "8000", bill, cause), declaration=body
            ),
        )

    def _inspect(self, ctx: Context, bill: str, cause: str) -> None:
        inspection_id = f"IN{self.office}{ctx.store.next_number('inspection'):09d}"
        body = InspectionResultBody(
            inspection_id=inspection_id,
            office_id=c.CustomsOffice(self.office),
            transport_contract_document=DocumentRef(id=bill),
            inspection_date_time=ctx.now,
            outcome_code=c.InspectionOutcome.CONFORM,
            finding="Goods conform to the declaration",
        )
        ctx.store.put("inspection", bill, {"bill": bill, "outcome": "C", "office": self.office})
        for peer in self.peers:
            self._send(
                ctx, InspectionResultMessage(head=ctx.head(MessageType.RA102, peer, bill, cause), declaration=body)
            )

    def _on_risk_alert(self, m: Message, ctx: Context) -> None:
        self._store_alert(ctx, m.body)

    def _store_alert(self, ctx: Context, a: RiskAlertBody) -> None:
        ctx.store.put(
            "alert",
            a.alert_id,
            {
                "id": a.alert_id,
                "office": a.issuing_office_id.value,
                "valid_from": a.valid_from.timestamp(),
                "valid_until": a.valid_until.timestamp(),
                "targets": [
                    {
                        "hs_code": t.hs_code,
                        "party_id": t.party_id,
                        "origin": t.origin_country_code,
                        "bill": t.transport_contract_document_id,
                    }
                    for t in a.target
                ],
            },
        )

    def _on_inspection_result(self, m: Message, ctx: Context) -> None:
        d = m.body
        ctx.store.put(
            "inspection",
            d.transport_contract_document.id,
            {
                "bill": d.transport_contract_document.id,
                "outcome": d.outcome_code.value,
                "office": d.office_id.value,
            },
        )

    def _on_tax_abnormal(self, m: Message, ctx: Context) -> None:
        d = m.body
        self._tax_list(ctx, "tax-abnormal", d.record, active=d.lifted_date is None)

    def _on_tax_high_risk(self, m: Message, ctx: Context) -> None:
        d = m.body
        self._tax_list(ctx, "tax-high-risk", d.record, active=d.handling_status_code != c.HandlingStatus.CLEARED)

    def _tax_list(self, ctx: Context, kind: str, record: Any, active: bool) -> None:
        """Keep a tax bureau's list entry (the newest version of each record wins; a lifted entry leaves)."""
        versions = ctx.store.get(kind + "-version", record.record_id)
        if versions is not None and versions["version"] >= record.record_version:
            ctx.note("tax_record_stale", record=record.record_id, version=record.record_version)
            return
        ctx.store.put(kind + "-version", record.record_id, {"version": record.record_version})
        if active:
            ctx.store.put(kind, record.taxpayer_uscc, {"uscc": record.taxpayer_uscc, "record": record.record_id})
        else:
            ctx.store.delete(kind, record.taxpayer_uscc)

    def _on_tax_refund(self, m: Message, ctx: Context) -> None:
        refund.on_case(ctx, m)


def _bills(m: Message) -> list[str]:
    body = m.body
    found = []
    for x in getattr(body, "consignment", None) or []:
        found.append(x.transport_contract_document.id)
    ref = getattr(body, "transport_contract_document", None)
    if ref is not None:
        found.append(ref.id)
    return found


def _transit_for(ctx: Context, bill: str, destination: str, status: str | None) -> dict[str, Any] | None:
    for t in ctx.store.by_bill("transit", bill):
        if t["destination"] == destination and (status is None or t["status"] == status):
            return t
    return None
