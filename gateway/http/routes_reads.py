"""Reads: the status of a message with its receipts, and the trace of a consignment (bounded pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gateway.http.deps import Principal, gateway, principal
from gateway.http.errors import ApiError, ErrorBody
from gateway.http.models import MessageStatus, ReceiptOut, Trace
from gateway.ledger import MessageRecord, ReceiptRecord
from gateway.receipts import receipt_id
from gateway.service import Gateway

router = APIRouter(prefix="/v1", tags=["messages"])

_401 = {"model": ErrorBody, "description": "Missing or invalid credentials"}


def _receipts(gw: Gateway, rec: MessageRecord, who: Principal) -> list[ReceiptRecord]:
    """The receipts ``who`` may read with ``rec``. Every receipt about (sender, MessageID) goes to the sender: the
    stored message's own, and the rejections of the sender's other attempts that reused the MessageID (refused, or
    conflicting with the stored message), which were never addressed to this message's receivers. So the sender and
    the operator read them all; anyone else (a receiver) only the stored message's receipt, the "delivered" one,
    whose id the pipeline derives from the stored message itself (:func:`gateway.receipts.receipt_id`)."""
    found = gw.ledger.receipts_for(rec.sender, rec.message_id)
    if who.operator or who.party_id == rec.sender:
        return found
    own = receipt_id(rec.sender, rec.message_id, "delivered", rec.digest)
    return [r for r in found if r.receipt_id == own]


def status_of(gw: Gateway, rec: MessageRecord, include_body: bool, who: Principal) -> MessageStatus:
    receipts = [
        ReceiptOut(
            receipt_id=r.receipt_id,
            status=r.status,
            codes=r.codes,
            created_at=r.created_at,
            body=r.body.decode() if include_body else None,
        )
        for r in _receipts(gw, rec, who)
    ]
    return MessageStatus(
        message_id=rec.message_id, sender=rec.sender, message_type=rec.message_type, receivers=rec.receivers,
        correlation_id=rec.correlation_id, causation_id=rec.causation_id, format=rec.format, channel=rec.channel,
        status=rec.status, received_at=rec.received_at, delivered_at=rec.delivered_at, receipts=receipts,
        body=rec.body.decode("utf-8", errors="replace") if include_body else None,
    )  # fmt: skip


@router.get(
    "/messages/{message_id}",
    response_model=MessageStatus,
    responses={401: _401, 404: {"model": ErrorBody, "description": "Not found (or not yours)"}},
    summary="Status of a message, with its receipts",
)
async def message_status(
    request: Request,
    message_id: str,
    who: Annotated[Principal, Depends(principal)],
    include_body: Annotated[bool, Query(description="Include the raw message and receipts.")] = False,
    sender: Annotated[str | None, Query(description="Disambiguate when several senders used this id.")] = None,
) -> MessageStatus:
    """Visible only to its sender and receivers (and the operator): anyone else gets 404. A receiver sees the
    message's own receipt; its sender also sees the rejections of its other attempts with this MessageID."""
    gw = gateway(request)
    found = gw.ledger.find_visible(message_id, who.visibility)
    if sender is not None:
        found = [r for r in found if r.sender == sender]
    if not found:
        raise ApiError(404, "NOT_FOUND", f"no message {message_id!r} that you sent or received")
    own = [r for r in found if r.sender == who.party_id]
    return status_of(gw, (own or found)[0], include_body, who)


@router.get(
    "/trace/{correlation_id:path}",  # a DocumentId may hold "/" (BL/2026/001); the ASGI path arrives decoded
    response_model=Trace,
    responses={401: _401, 404: {"model": ErrorBody, "description": "Nothing visible to you"}},
    summary="Every message of one consignment / document, across all parties",
)
async def trace(
    request: Request,
    correlation_id: str,
    who: Annotated[Principal, Depends(principal)],
    include_body: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many messages.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62, description="After the first this many.")] = 0,
) -> Trace:
    """In order of arrival, a page at a time: ``next_offset`` is where the next page starts (null: no more). A party
    sees the messages it sent or received; the operator sees all."""
    gw = gateway(request)
    records = gw.ledger.trace(correlation_id, who.visibility, limit + 1, offset)
    if not records and offset == 0:
        raise ApiError(404, "NOT_FOUND", f"no messages about {correlation_id!r} that you sent or received")
    more = len(records) > limit
    return Trace(
        correlation_id=correlation_id,
        messages=[status_of(gw, r, include_body, who) for r in records[:limit]],
        next_offset=offset + limit if more else None,
    )
