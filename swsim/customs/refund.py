"""The departure customs' side of the departure-port tax refund (启运港退税) [inferred process, DOMAIN.md §5].

An export released at a departure office (Chongqing 8000, Chengdu 7900) that leaves under through-transport for an
exit port (Qinzhou 7200, Alashankou 9402, Khorgos 9403, Shanghai 2200) opens a refund case: customs sends the
departure data to the exporter's tax bureau as a TX201 in state RELEASED. The tax bureau decides (REFUNDED or
REFUSED) and sends the case back. When the exit office confirms arrival with seals intact, customs sends the case
in state EXITED (the tax bureau then writes it off); when the exit deadline passes first, it sends NOT_ARRIVED
(the tax bureau claws the refund back). Each message carries the case's whole transition history, each step
naming the message that caused it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.tax import RefundCaseBody, RefundCaseMessage, Transition
from schemas.types import CST
from swsim.network import tax_bureau_for
from swsim.node.runtime import Context

EXIT_OFFICES = frozenset({"7200", "9402", "9403", "2200"})
OFFICE_PORTS = {
    "8000": c.Locode.CNCKG,
    "7900": c.Locode.CNCTU,
    "7200": c.Locode.CNQZH,
    "9402": c.Locode.CNAKL,
    "9403": c.Locode.CNHRG,
    "2200": c.Locode.CNSHA,
}
EXIT_DAYS = 60
"""Days from release within which the goods must leave from the exit port [design]."""


def note_export(ctx: Context, m: Message) -> None:
    """Keep what a refund case needs from an export declaration (DC101)."""
    d = m.body
    consignor = d.consignor.id
    uscc = consignor[5:] if consignor.startswith("USCI+") else None
    ctx.store.put(
        "export",
        d.transport_contract_document.id,
        {
            "number": d.declaration_number,
            "uscc": uscc,
            "exporter": m.head.sender_id,
            "value": str(d.total_value_amount),
            "currency": d.currency_code,
            "released": None,
        },
    )


def released(ctx: Context, office: str, bill: str, cause: str) -> None:
    export = ctx.store.get("export", bill)
    if export is not None and export["released"] is None:
        ctx.store.put("export", bill, {**export, "released": ctx.now.isoformat(), "release_cause": cause})
        maybe_open(ctx, office, bill)


def maybe_open(ctx: Context, office: str, bill: str) -> None:
    """Open the case once the export is released and leaves for an exit port under through-transport."""
    export = ctx.store.get("export", bill)
    if export is None or export["released"] is None or ctx.store.get("refund", bill) is not None:
        return
    transit = next(
        (
            t
            for t in ctx.store.by_bill("transit", bill)
            if t["departure"] == office and t["destination"] in EXIT_OFFICES
        ),
        None,
    )
    if transit is None:
        return
    if export["uscc"] is None:
        ctx.note("refund_not_opened", bill=bill, why="the consignor is not identified by a USCC")
        return
    uscc = export["uscc"]
    credit = (ctx.store.get("credit", uscc) or {}).get("code", c.CustomsCredit.GENERAL.value)
    release_time = datetime.fromisoformat(export["released"])
    body = RefundCaseBody(
        case_id=f"RF{office}{ctx.store.next_number('refund'):09d}",
        exporter_uscc=uscc,
        exporter_id=export["exporter"],
        declaration_number=export["number"],
        departure_port_id=OFFICE_PORTS[office],
        departure_office_id=c.CustomsOffice(office),
        exit_port_id=OFFICE_PORTS[transit["destination"]],
        exit_office_id=c.CustomsOffice(transit["destination"]),
        customs_credit_code=c.CustomsCredit(credit),
        export_value_amount=Decimal(export["value"]),
        currency_code=export["currency"],
        release_date_time=release_time,
        exit_deadline_date=(release_time.astimezone(CST) + timedelta(days=EXIT_DAYS)).date(),
        state_code=c.RefundState.RELEASED,
        transition=[
            Transition(
                to_state_code=c.RefundState.RELEASED,
                caused_by_message_id=export["release_cause"],
                transition_date_time=release_time,
            )
        ],
    )
    bureau = tax_bureau_for(uscc, office)
    _save(ctx, bill, body, bureau, exited=None, not_arrived_sent=False)
    ctx.send(RefundCaseMessage(head=ctx.head(MessageType.TX201, bureau, bill), declaration=body))
    ctx.note("refund_opened", case=body.case_id, bill=bill, bureau=bureau)


def on_case(ctx: Context, m: Message) -> None:
    """The tax bureau's copy of a case (TX201): keep it; send the exit if it happened while the case was open."""
    body: RefundCaseBody = m.body
    bill = m.head.correlation_id or ""
    doc = ctx.store.get("refund", bill)
    if doc is None or doc["case"]["CaseID"] != body.case_id:
        ctx.note("unknown_refund_case", case=body.case_id)
        return
    doc = {**doc, "case": _dump(body)}
    ctx.store.put("refund", bill, doc)
    decided = body.state_code in (c.RefundState.REFUNDED, c.RefundState.REFUSED)
    if doc["exited"] is not None and not doc.get("exit_sent") and decided:
        _send_state(ctx, bill, doc, c.RefundState.EXITED, doc["exited"])


def exited(ctx: Context, bill: str, cause: str) -> None:
    """The exit office confirmed the goods' arrival with seals intact (the write-off of the through-transport)."""
    doc = ctx.store.get("refund", bill)
    if doc is None or doc["exited"] is not None:
        return
    doc = {**doc, "exited": cause}
    ctx.store.put("refund", bill, doc)
    if doc["case"]["StateCode"] in (c.RefundState.REFUNDED.value, c.RefundState.REFUSED.value):
        _send_state(ctx, bill, doc, c.RefundState.EXITED, cause)
    # else: tax has not decided yet; on_case sends the exit when its decision arrives


def overdue(ctx: Context) -> None:
    """Cases whose goods did not reach the exit port by the deadline: tell tax (NOT_ARRIVED), once.

    A case can only become overdue when the (Beijing-time) date changes, so the engine calls this once a day."""
    today = ctx.now.astimezone(CST).strftime("%Y%m%d")  # the wire form of ExitDeadlineDate
    open_states = (c.RefundState.RELEASED.value, c.RefundState.REFUNDED.value)
    for doc in ctx.store.all("refund"):
        case = doc["case"]
        if doc["exited"] is not None or doc["not_arrived_sent"] or case["StateCode"] not in open_states:
            continue
        if case["ExitDeadlineDate"] < today:
            _send_state(ctx, doc["bill"], doc, c.RefundState.NOT_ARRIVED, None)


def _send_state(ctx: Context, bill: str, doc: dict[str, Any], state: c.RefundState, cause: str | None) -> None:
    """Send the case in ``state``; ``cause`` None: this very message is the cause (a deadline passed)."""
    body = RefundCaseBody.model_validate(doc["case"])
    head = ctx.head(MessageType.TX201, doc["bureau"], bill, cause)
    transition = Transition(
        from_state_code=body.state_code,
        to_state_code=state,
        caused_by_message_id=cause or head.message_id,
        transition_date_time=ctx.now,
    )
    body = body.model_copy(
        update={"state_code": state, "transition": [*body.transition, transition], "reason": _REASONS[state]}
    )
    flag = "exit_sent" if state == c.RefundState.EXITED else "not_arrived_sent"
    ctx.store.put("refund", bill, {**doc, "case": _dump(body), flag: True})
    ctx.send(RefundCaseMessage(head=head, declaration=body))
    ctx.note("refund_" + state.value.lower(), case=body.case_id, bill=bill)


_REASONS = {
    c.RefundState.EXITED: "The exit office confirmed arrival with seals intact",
    c.RefundState.NOT_ARRIVED: "The goods did not reach the exit port before the deadline",
}


def _save(ctx: Context, bill: str, body: RefundCaseBody, bureau: str, **state: Any) -> None:
    ctx.store.put("refund", bill, {"bill": bill, "bureau": bureau, "case": _dump(body), **state})


def _dump(body: RefundCaseBody) -> dict[str, Any]:
    dumped: dict[str, Any] = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped
