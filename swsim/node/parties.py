"""Simple node behaviours: foreign customs stubs (joint verification) and scripted traders/carriers."""

from __future__ import annotations

from dataclasses import dataclass

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.risk import VerificationResponseBody, VerificationResponseMessage
from swsim.customs.magic import effect_of
from swsim.node.runtime import Context


@dataclass
class ForeignCustomsStub:
    """Singapore / Polish customs (simulated stubs): answer every joint verification request (联网核查)."""

    party_id: str

    def handle(self, m: Message, ctx: Context) -> None:
        if m.head.message_type != MessageType.JV101:
            return
        d = m.body
        bill = d.transport_contract_document.id
        result = c.VerificationResult.MISMATCH if effect_of(bill) in ("reject", "risk") else c.VerificationResult.MATCH
        body = VerificationResponseBody(
            verification_id=d.verification_id,
            result_code=result,
            recorded_gross_mass_measure=d.declared_gross_mass_measure,
            detail=f"Simulated answer of {self.party_id}",
        )
        ctx.send(VerificationResponseMessage(
            head=ctx.head(MessageType.JV102, m.head.sender_id, m.head.correlation_id, m.head.message_id),
            response=body,
        ))  # fmt: skip

    def tick(self, ctx: Context) -> None:
        return None


class ScriptedParty:
    """A trader or carrier driven by a script (demos, tests): keeps every message it receives."""

    def handle(self, m: Message, ctx: Context) -> None:
        h = m.head
        ctx.store.put("received", f"{h.sender_id}:{h.message_id}", {
            "id": h.message_id, "sender": h.sender_id, "type": h.message_type.value, "ref": h.correlation_id,
            "cause": h.causation_id,
            "at": ctx.now.isoformat(), "summary": summary(m),
        })  # fmt: skip

    def tick(self, ctx: Context) -> None:
        return None


def summary(m: Message) -> str:
    """One line saying what a message means (for timelines)."""
    b = m.body
    t = m.head.message_type
    if t == MessageType.MT9999:
        return f"{b.response_type.code} {b.response_type.text}"
    if t == MessageType.CD101:
        return f"decision {b.decision_code.name} ({b.reason or ''})".strip()
    if t in (MessageType.TT101,):
        return f"through-transport {b.transit_id} {b.departure_office_id.value}->{b.destination_office_id.value}"
    if t == MessageType.TT102:
        seals = ", ".join(f"{s.seal_id} {s.status_code.name}" for s in b.seal_check)
        return f"arrived at {b.arrival_office_id.value}; seals {seals}"
    if t == MessageType.TT103:
        return f"written off: {b.result_code.name}"
    if t == MessageType.RA101:
        return f"risk alert {b.alert_id} level {b.level_code.name}: {b.title}"
    if t == MessageType.RA102:
        return f"inspection {b.inspection_id}: {b.outcome_code.name}"
    if t == MessageType.JV102:
        return f"verification {b.verification_id}: {b.result_code.value}"
    if t == MessageType.TX201:
        amount = f", refund {b.refund_amount} {b.currency_code}" if b.refund_amount is not None else ""
        return f"refund case {b.case_id}: {b.state_code.value}{amount}" + (f" ({b.reason})" if b.reason else "")
    if t in (MessageType.TX101, MessageType.TX102, MessageType.TX103, MessageType.TX104):
        r = b.record
        return f"tax record {r.record_id} v{r.record_version} ({r.taxpayer_uscc})"
    if t == MessageType.DC101:
        hs = ", ".join(g.hs_code for g in b.goods_item)
        return f"{'import' if b.import_export_code == 'I' else 'export'} declaration {b.declaration_number}, HS {hs}"
    consignments = getattr(b, "consignment", None)
    if consignments:
        from schemas.message_types import TYPE_INFO

        packages = sum(x.consignment_packaging.quantity_quantity for x in consignments)
        return f"{TYPE_INFO[t].title.split(' (')[0]}: {len(consignments)} consignment(s), {packages} packages"
    return str(m.head.message_type.value)
