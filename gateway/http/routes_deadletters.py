"""Dead letters: list them (a party sees its own, the operator all) and re-drive one (operator)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from gateway.http.deps import Principal, gateway, principal, require_operator
from gateway.http.errors import ApiError, ErrorBody
from gateway.http.models import DeadLetterList, DeadLetterOut, IssueOut, RedriveResult
from gateway.http.routes_messages import _submit_result, process
from gateway.ledger import DeadLetter
from gateway.prepare import Inbound

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
    so its signature is not checked again; everything else is."""
    require_operator(who)
    gw = gateway(request)
    dl = gw.ledger.get_deadletter(deadletter_id)
    if dl is None:
        raise ApiError(404, "NOT_FOUND", f"no dead letter {deadletter_id}")
    party = gw.registry.get(dl.sender) if dl.sender else None
    if party is None:
        raise ApiError(409, "REDRIVE_IMPOSSIBLE", f"sender {dl.sender!r} is not a registered party")
    inbound = Inbound(body=dl.body, channel="redrive", claimed_sender=party.id, authenticated=party,
                      fallback_id=dl.message_id or "UNKNOWN")  # fmt: skip
    [o] = await process(gw, [inbound])
    gw.ledger.mark_redriven(deadletter_id, time.time(), o.status)
    return RedriveResult(deadletter_id=deadletter_id, result=_submit_result(o))
