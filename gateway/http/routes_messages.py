"""Submit (one or a batch) and validate-only. Status and trace are read in :mod:`gateway.http.routes_reads`."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gateway.groupcommit import NotDelivered
from gateway.http.batch import BatchInvalid, split_batch
from gateway.http.deps import Principal, gateway, principal, require_party
from gateway.http.errors import ApiError, ErrorBody
from gateway.http.models import BatchItemResult, BatchResult, IssueOut, SubmitResult, ValidateResult
from gateway.pipeline import Outcome
from gateway.prepare import Inbound
from gateway.registry import Party
from gateway.service import Gateway
from schemas.codec import detect_format, validate
from schemas.errors import MessageError

router = APIRouter(prefix="/v1", tags=["messages"])

_MESSAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One message, XML or JSON (see `swsim schemas` for the per-type XSD / JSON Schema).",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "string"}},
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in (
        (400, "Bad request"),
        (401, "Missing or invalid credentials"),
        (403, "Not allowed for this caller"),
        (413, "Body too large"),
        (415, "Wrong content type or compressed body"),
        (422, "The message was rejected (see errors)"),
    )
}
_XML_TYPES = ("application/xml", "text/xml")
_JSON_TYPES = ("application/json",)
_DELIVER_MARGIN_S = 10.0
"""How much longer than the deliverer's own broker timeout a request waits (for its turn in the two stages)."""


def _content_type(request: Request, allowed: tuple[str, ...]) -> str:
    header = request.headers.get("content-type", "")
    ctype, _, params = header.partition(";")
    ctype = ctype.strip().lower()
    if ctype not in allowed:
        raise ApiError(
            415, "UNSUPPORTED_MEDIA_TYPE", f"send Content-Type {' or '.join(allowed)}, not {ctype or 'none'}"
        )
    charset = next((v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in params.split(";"))
                    if k.strip().lower() == "charset"), None)  # fmt: skip
    if charset is not None and charset.replace("-", "") != "utf8":
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", f"only UTF-8 is accepted, not charset={charset}")
    return ctype


def _matching(ctype: str, body: bytes) -> None:
    """A body that is plainly the other format than its Content-Type says is refused (415): a client whose header
    is wrong learns it here rather than from a receiver. Bodies that are neither get the validator's own error."""
    try:
        found = detect_format(body)
    except MessageError:
        return
    said = "xml" if ctype in _XML_TYPES else "json"
    if found != said:
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", f"the body is {found.upper()} but Content-Type says {ctype}: "
                       f"send it as {'application/xml' if found == 'xml' else 'application/json'}")  # fmt: skip


def _issues(o: Outcome) -> list[IssueOut]:
    return [IssueOut(code=i.code, message=i.message, location=i.location, line=i.line) for i in o.issues]


def _submit_result(o: Outcome) -> SubmitResult:
    return SubmitResult(
        status=o.status, message_id=o.message_id, message_type=o.message_type, receivers=o.receivers,
        receipt_id=o.receipt_id, receipt=o.receipt.decode() if o.receipt else None, errors=_issues(o),
        deadletter_id=o.deadletter_id,
    )  # fmt: skip


_REJECT_STATUS = {
    "SENDER_MISMATCH": 403, "NOT_AUTHORIZED": 403, "MESSAGE_ID_CONFLICT": 409, "PAYLOAD_TOO_LARGE": 413,
    "INTERNAL_ERROR": 500,
}  # fmt: skip


async def process(gw: Gateway, items: list[Inbound]) -> list[Outcome]:
    """Process, deliver to the broker, then mark delivered (the same steps as the Kafka router), grouped with
    concurrent requests (:mod:`gateway.groupcommit`)."""
    try:
        submitter = gw.submitter
        wait_s = submitter.deliverer.timeout_s + _DELIVER_MARGIN_S
        return await asyncio.wait_for(asyncio.wrap_future(submitter.submit(items)), wait_s)
    except (NotDelivered, TimeoutError):
        raise ApiError(
            503,
            "BROKER_UNAVAILABLE",
            "the broker did not acknowledge: retry with the same MessageID (it is de-duplicated)",
        ) from None


@router.post(
    "/messages",
    response_model=SubmitResult,
    status_code=202,
    responses={
        **_ERRORS,
        409: {"model": ErrorBody, "description": "MessageID reused for another message"},
        503: {"model": ErrorBody, "description": "Broker unavailable"},
    },
    openapi_extra=_MESSAGE_BODY,
    summary="Submit one message",
)
async def submit(request: Request, who: Annotated[Principal, Depends(principal)]) -> Any:
    """Validate, authorize, de-duplicate, record and route one message; answer with its MT9999 receipt.

    A rejected message is dead-lettered and answered 422 (403 when not authorized, 409 for a reused MessageID)
    with every error; the same rejection receipt also goes to the sender's inbox topic."""
    gw = gateway(request)
    party = require_party(who)
    ctype = _content_type(request, _XML_TYPES + _JSON_TYPES)
    body = await request.body()
    _matching(ctype, body)
    [o] = await process(gw, [_inbound(party, body)])
    result = _submit_result(o)
    if o.status == "rejected":
        status = max((_REJECT_STATUS.get(c, 422) for c in o.codes), default=422)
        first = o.issues[0]
        rejection = {
            "error": {
                "code": first.code,
                "message": f"the message was rejected ({len(o.issues)} error(s)); first: {first.message}",
                "errors": [i.model_dump() for i in result.errors],
            },
            "result": result.model_dump(),
        }
        return JSONResponse(rejection, status_code=status)
    return JSONResponse(result.model_dump(), status_code=202)


def _inbound(party: Party, body: bytes) -> Inbound:
    return Inbound(body=body, channel="http", claimed_sender=party.id, authenticated=party)


@router.post(
    "/messages/batch",
    response_model=BatchResult,
    responses={**_ERRORS, 503: {"model": ErrorBody, "description": "Broker unavailable"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A JSON array: each item a JSON message object, or an XML message as a string.",
            "content": {"application/json": {"schema": {"type": "array", "items": {}}}},
        }
    },
    summary="Submit a batch of messages",
)
async def submit_batch(request: Request, who: Annotated[Principal, Depends(principal)]) -> Any:
    """Each item goes through the same pipeline as a single submit; one broker round trip for the batch."""
    gw = gateway(request)
    party = require_party(who)
    _content_type(request, _JSON_TYPES)
    raw = await request.body()
    try:
        bodies = split_batch(raw)  # each object item as the exact bytes sent: decoded (and refused) item by item
    except BatchInvalid as e:
        raise ApiError(400, "BATCH_INVALID", str(e)) from None
    limit = gw.settings.max_batch_messages
    if len(bodies) > limit:
        raise ApiError(413, "BATCH_TOO_LARGE", f"the batch has {len(bodies)} messages; the limit is {limit}")
    outcomes = await process(gw, [_inbound(party, b) for b in bodies])
    results = [
        BatchItemResult(
            index=i,
            status=o.status,
            message_id=o.message_id,
            message_type=o.message_type,
            receipt_id=o.receipt_id,
            codes=o.codes,
        )
        for i, o in enumerate(outcomes)
    ]
    return BatchResult(
        delivered=sum(o.status == "delivered" for o in outcomes),
        duplicates=sum(o.status == "duplicate" for o in outcomes),
        rejected=sum(o.status == "rejected" for o in outcomes),
        results=results,
    )


@router.post(
    "/validate",
    response_model=ValidateResult,
    responses={413: _ERRORS[413], 415: _ERRORS[415]},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "Any bytes claiming to be a message (XML or JSON): the answer reports every problem.",
            "content": {"application/json": {"schema": {}}, "application/xml": {"schema": {}}},
        }
    },
    summary="Validate only (stores and sends nothing)",
)
async def validate_only(request: Request) -> ValidateResult:
    """Every error with its stable code, location (XPath and line, or JSON pointer) and what to fix."""
    gw = gateway(request)
    ctype = _content_type(request, _XML_TYPES + _JSON_TYPES)
    body = await request.body()
    _matching(ctype, body)
    report = await run_in_threadpool(validate, body, None, gw.settings.max_body_bytes)
    return ValidateResult(
        valid=report.ok, format=report.format, message_type=report.message_type,
        errors=[IssueOut(code=i.code, message=i.message, location=i.location, line=i.line) for i in report.issues],
    )  # fmt: skip
