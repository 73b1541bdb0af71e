"""One line saying what a message means, for timelines (the demo's table and the dashboard)."""

from __future__ import annotations

from schemas.envelope import Message
from schemas.message_types import TYPE_INFO, MessageType


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
        packages = sum(x.consignment_packaging.quantity_quantity for x in consignments)
        return f"{TYPE_INFO[t].title.split(' (')[0]}: {len(consignments)} consignment(s), {packages} packages"
    return str(m.head.message_type.value)
