"""MT9999 receipts the gateway sends back to a sender: delivered, or rejected with the full error list."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from schemas import codes as c
from schemas.codec import Format, encode
from schemas.envelope import Head
from schemas.errors import Issue
from schemas.message_types import MessageType
from schemas.parts import DocumentRef
from schemas.response import ConsignmentResponse, ReceiptBody, ReceiptMessage, ResponseError, ResponseType
from schemas.types import format_datetime
from swsim.network import GATEWAY_ID


def receipt_id(sender: str, message_id: str, status: str, digest: str) -> str:
    """Deterministic: a re-sent receipt has the same id, so receivers de-duplicate it."""
    h = hashlib.sha256(f"{sender}|{message_id}|{status}|{digest}".encode()).hexdigest()[:32]
    return f"GW-{h}"


_q = json.encoder.encode_basestring
"""A JSON string literal with non-ASCII kept, as ``json.dumps(..., ensure_ascii=False)`` writes it (C-accelerated)."""


def delivered_json(
    *, to: str, reference_id: str, reference_type: MessageType, delivered_to: list[str],
    correlation_id: str | None, digest: str, now: datetime,
) -> tuple[str, bytes]:  # fmt: skip
    """The common case, built without the models (the hot path): a JSON "delivered" receipt, written as a template
    (about half the time ``json.dumps`` of the same dict took: 16 against 30 us). A test proves it decodes to
    exactly what :func:`build_receipt` makes."""
    rid = receipt_id(to, reference_id, "delivered", digest)
    ref = _q(reference_id)
    rtype = '{"Code":"19020","Text":' + _q(f"Delivered to {', '.join(delivered_to)}"[:256]) + "}"
    if correlation_id:
        corr = _q(correlation_id)
        head_corr = ',"CorrelationID":' + corr
        consignment = '[{"TransportContractDocument":{"ID":' + corr + '},"ResponseType":' + rtype + "}]"
    else:
        head_corr, consignment = "", "[]"
    text = (
        '{"Head":{"MessageID":' + _q(rid) + ',"FunctionCode":"9","MessageType":"MT9999","SenderID":' + _q(GATEWAY_ID)
        + ',"ReceiverID":' + _q(to) + ',"SendTime":' + _q(format_datetime(now)) + ',"Version":"1.0"' + head_corr
        + ',"CausationID":' + ref + '},"Response":{"ReferenceMessageID":' + ref + ',"ReferenceMessageType":'
        + _q(reference_type.value) + ',"StatusCode":"01","ResponseType":' + rtype + ',"Consignment":' + consignment
        + ',"Error":[]}}'
    )  # fmt: skip
    return rid, text.encode()


def build_receipt(
    *,
    to: str,
    reference_id: str,
    reference_type: MessageType | None,
    delivered_to: list[str] | None,
    issues: list[Issue],
    correlation_id: str | None,
    digest: str,
    fmt: Format,
    now: datetime | None = None,
) -> tuple[str, bytes]:
    """(receipt message id, encoded receipt). ``issues`` empty means delivered."""
    status = "delivered" if not issues else "rejected"
    rid = receipt_id(to, reference_id, status, digest)
    if not issues:
        rtype = ResponseType(code=c.ReceiptCode.DELIVERED, text=f"Delivered to {', '.join(delivered_to or [])}"[:256])
        status_code = c.ResponseStatus.ACCEPTED
    else:
        unauthorized = any(i.code in _AUTH_CODES for i in issues)
        rtype = ResponseType(
            code=c.ReceiptCode.REJECTED_UNAUTHORIZED if unauthorized else c.ReceiptCode.REJECTED_INVALID,
            text=f"Rejected: {', '.join(sorted({i.code for i in issues}))}"[:256],
        )
        status_code = c.ResponseStatus.REJECTED
    body = ReceiptBody(
        reference_message_id=reference_id[:64] if _ok_id(reference_id) else "UNKNOWN",
        reference_message_type=reference_type,
        status_code=status_code,
        response_type=rtype,
        consignment=(
            [ConsignmentResponse(transport_contract_document=DocumentRef(id=correlation_id), response_type=rtype)]
            if correlation_id
            else []
        ),
        error=[
            ResponseError(
                code=i.code[:35],
                location=(i.location or "/")[:256],
                line=i.line,
                description=(i.message or i.code)[:512],
            )
            for i in issues[:999]
        ],
    )
    message = ReceiptMessage(
        head=Head(
            message_id=rid,
            function_code=c.FunctionCode.ORIGINAL,
            message_type=MessageType.MT9999,
            sender_id=GATEWAY_ID,
            receiver_id=to,
            send_time=now or datetime.now(UTC),
            correlation_id=correlation_id,
            causation_id=reference_id[:64] if _ok_id(reference_id) else None,
        ),
        response=body,
    )
    return rid, encode(message, fmt)


_AUTH_CODES = frozenset(
    {"UNKNOWN_SENDER", "SIGNATURE_INVALID", "SIGNATURE_EXPIRED", "NONCE_REPLAYED", "SENDER_MISMATCH", "NOT_AUTHORIZED"}
)


def _ok_id(s: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", s) is not None
