"""Dead letters: list them (a party sees its own, the operator all) and re-drive one (operator)."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from gateway.http.deps import Principal, gateway, principal, require_operator
from gateway.http.errors import ApiError, ErrorBody
from gateway.http.models import DeadLetterList, DeadLetterOut, IssueOut, RedriveResult
from gateway.http.routes_messages import _submit_result, process
from gateway.ledger import UNAUTHENTICATED_CODES, DeadLetter
from gateway.prepare import Inbound
from gateway.receipts import receipt_id
from gateway.service import Gateway

router = APIRouter(prefix="/v1/deadletters", tags=["dead letters"])


def _out(dl: DeadLetter) -> DeadLetterOut:
    assert dl.id is not None
    return DeadLetterOut(
        id=dl.id, sender=dl.sender, message_id=dl.message_id, codes=dl.codes,
        errors=[IssueOut.model_validate(e) for e in dl.errors], channel=dl.channel, received_at=dl.received_at,
        redriven_at=dl.redriven_at, redrive_result=dl.redrive_result,
        body=dl.body.decode("utf-8", errors="replace"),
    )  # fmt: skip


@router.get("", response_model=DeadLetterList, responses={401: {"model": ErrorBody}}, summary="List dead letters")
async def list_deadletters(
    request: Request,
    who: Annotated[Principal, Depends(principal)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> DeadLetterList:
    """With the reasons (error codes and locations) and the refused body."""
    gw = gateway(request)
    return DeadLetterList(items=[_out(d) for d in gw.ledger.list_deadletters(who.visibility, limit, offset)])


def _authenticated(gw: Gateway, dl: DeadLetter) -> bool:
    """Whether the pipeline authenticated the dead letter's sender (over HTTP, always; on Kafka, only if its
    signature verified in time). A Kafka record's sender is otherwise a mere claim: re-driving it as that party would
    deliver a forgery. The pipeline sends (and records) a rejection receipt to an authenticated sender only
    (:meth:`gateway.pipeline.Pipeline._reject`), so that receipt is the evidence; it also covers an INTERNAL_ERROR
    raised before authentication, which the codes cannot tell apart from one raised after."""
    if dl.sender is None or dl.message_id is None or UNAUTHENTICATED_CODES.intersection(dl.codes):
        return False
    rid = receipt_id(dl.sender, dl.message_id, "rejected", hashlib.sha256(dl.body).hexdigest())
    return any(r.receipt_id == rid for r in gw.ledger.receipts_for(dl.sender, dl.message_id))


@router.post(
    "/{deadletter_id}/redrive",
    response_model=RedriveResult,
    responses={s: {"model": ErrorBody} for s in (401, 403, 404, 409)},
    summary="Re-run a dead letter through the pipeline (operator)",
)
async def redrive(
    request: Request,
    deadletter_id: Annotated[int, Path(ge=1, le=2**62)],
    who: Annotated[Principal, Depends(principal)],
) -> RedriveResult:
    """For use after the cause was fixed (e.g. a party registered): the operator vouches for the stored sender,
    so its signature is not checked again; everything else is. Refused (409) for a dead letter whose sender was
    never authenticated (e.g. a Kafka record with a missing, invalid or expired signature)."""
    require_operator(who)
    gw = gateway(request)
    dl = gw.ledger.get_deadletter(deadletter_id)
    if dl is None:
        raise ApiError(404, "NOT_FOUND", f"no dead letter {deadletter_id}")
    party = gw.registry.get(dl.sender) if dl.sender else None
    if party is None:
        raise ApiError(409, "REDRIVE_IMPOSSIBLE", f"sender {dl.sender!r} is not a registered party")
    if not _authenticated(gw, dl):
        raise ApiError(
            409,
            "REDRIVE_IMPOSSIBLE",
            f"dead letter {deadletter_id} was refused ({', '.join(dl.codes)}) and its sender was never authenticated: "
            f"{dl.sender!r} is only what the record claimed. The sender must send the message again, signed",
        )
    inbound = Inbound(body=dl.body, channel="redrive", claimed_sender=party.id, authenticated=party,
                      fallback_id=dl.message_id or "UNKNOWN")  # fmt: skip
    [o] = await process(gw, [inbound])
    gw.ledger.mark_redriven(deadletter_id, time.time(), o.status)
    return RedriveResult(deadletter_id=deadletter_id, result=_submit_result(o))
