"""The tax bureau's side of the departure-port tax refund (启运港退税) [inferred process, DOMAIN.md §5].

Customs opens a case (TX201, RELEASED). The bureau grants the refund only if the exporter is registered with it, its
export refund class is 1 or 2, and customs does not rate it dishonest (失信企业); otherwise it refuses. Exit data
from customs (EXITED) writes the case off; NOT_ARRIVED claws the refund back. Each transition names the customs
message that caused it, and the bureau sends the whole case back to the customs office and to the exporter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.tax import ALLOWED_REFUND_TRANSITIONS, RefundCaseBody, RefundCaseMessage, Transition
from swsim.node.runtime import Context

REFUND_RATE = Decimal("0.13")
"""One flat VAT refund rate for every good [design: real rates vary by HS code]."""
ALLOWED_CLASSES = frozenset({c.RefundClass.CLASS_1.value, c.RefundClass.CLASS_2.value})
S = c.RefundState


def on_case(ctx: Context, m: Message) -> None:
    """A case message from customs: open (RELEASED), exit (EXITED) or not arrived (NOT_ARRIVED)."""
    incoming: RefundCaseBody = m.body
    stored = ctx.store.get("refund", incoming.case_id)
    asserted = incoming.state_code
    if stored is None:
        if asserted != S.RELEASED:
            ctx.note("refund_unknown_case", case=incoming.case_id, state=asserted.value)
            return
        _decide(ctx, m, incoming.model_copy(update={"reason": None}))
        return
    case: RefundCaseBody | None = RefundCaseBody.model_validate(stored["case"])
    for to, why in _FOLLOWS.get(asserted, ((None, ""),)):
        case = _step(ctx, m, case, to, why) if case is not None and to is not None else None
    if case is None:
        ctx.note("refund_transition_refused", case=incoming.case_id, state=asserted.value)
        return
    _save_and_tell(ctx, m, case)


_FOLLOWS: dict[c.RefundState, tuple[tuple[c.RefundState | None, str], ...]] = {
    S.EXITED: (
        (S.EXITED, "Exit confirmed by customs"),
        (S.WRITTEN_OFF, "Written off: the goods left from the exit port"),
    ),
    S.NOT_ARRIVED: (
        (S.NOT_ARRIVED, "The goods did not reach the exit port in time"),
        (S.CLAWBACK, "Refund clawed back: the goods never reached the exit port"),
    ),
}
"""What customs may assert about an open case, and the bureau's steps in answer (each caused by that message)."""


def _decide(ctx: Context, m: Message, case: RefundCaseBody) -> None:
    reg = ctx.store.get("registration", case.exporter_uscc)
    refused = _refusal(reg, case)
    update: dict[str, Any] = {}
    if reg is not None and reg.get("refund_class"):
        update["refund_class_code"] = c.RefundClass(reg["refund_class"])
    if refused is None and case.export_value_amount is not None:
        update["refund_amount"] = (case.export_value_amount * REFUND_RATE).quantize(Decimal("0.01"))
    case = case.model_copy(update=update)
    target, reason = (S.REFUSED, refused) if refused else (S.REFUNDED, "Refund granted at the departure port")
    stepped = _step(ctx, m, case, target, reason)
    assert stepped is not None  # RELEASED -> REFUNDED / REFUSED is always allowed
    _save_and_tell(ctx, m, stepped)


def _refusal(reg: dict[str, Any] | None, case: RefundCaseBody) -> str | None:
    if reg is None:
        return f"{case.exporter_uscc} is not registered with this tax bureau"
    if reg.get("refund_class") not in ALLOWED_CLASSES:
        return f"export refund class {reg.get('refund_class') or 'unknown'}: departure-port refund needs class 1 or 2"
    if case.customs_credit_code == c.CustomsCredit.DISHONEST:
        return "customs rates the exporter a dishonest enterprise (失信企业)"
    return None


def _step(ctx: Context, m: Message, case: RefundCaseBody, to: c.RefundState, reason: str) -> RefundCaseBody | None:
    if to not in ALLOWED_REFUND_TRANSITIONS[case.state_code]:
        return None
    t = Transition(
        from_state_code=case.state_code,
        to_state_code=to,
        caused_by_message_id=m.head.message_id,
        transition_date_time=ctx.now,
    )
    return case.model_copy(update={"state_code": to, "transition": [*case.transition, t], "reason": reason})


def _save_and_tell(ctx: Context, m: Message, case: RefundCaseBody) -> None:
    ctx.store.put(
        "refund",
        case.case_id,
        {"case": case.model_dump(mode="json", by_alias=True, exclude_none=True), "customs": m.head.sender_id},
    )
    ctx.note("refund_" + case.state_code.value.lower(), case=case.case_id, reason=case.reason)
    bill = m.head.correlation_id
    for to in (m.head.sender_id, case.exporter_id):
        if to:
            head = ctx.head(MessageType.TX201, to, bill, m.head.message_id)
            ctx.send(RefundCaseMessage(head=head, declaration=case))
