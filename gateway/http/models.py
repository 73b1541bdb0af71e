"""Response bodies of the HTTP API (documented in the OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel


class IssueOut(BaseModel):
    code: str
    message: str
    location: str | None = None
    line: int | None = None


class SubmitResult(BaseModel):
    status: str  # delivered | duplicate | rejected
    message_id: str
    message_type: str | None
    receivers: list[str]
    receipt_id: str | None
    receipt: str | None  # the MT9999 receipt, in the message's own encoding
    errors: list[IssueOut] = []
    deadletter_id: int | None = None


class BatchItemResult(BaseModel):
    index: int
    status: str
    message_id: str
    message_type: str | None
    receipt_id: str | None
    codes: list[str] = []


class BatchResult(BaseModel):
    delivered: int
    duplicates: int
    rejected: int
    results: list[BatchItemResult]


class ValidateResult(BaseModel):
    valid: bool
    format: str | None
    message_type: str | None
    errors: list[IssueOut]


class ReceiptOut(BaseModel):
    receipt_id: str
    status: str
    codes: list[str]
    created_at: float
    body: str | None = None


class MessageStatus(BaseModel):
    message_id: str
    sender: str
    message_type: str
    receivers: list[str]
    correlation_id: str | None
    causation_id: str | None
    format: str
    channel: str
    status: str
    received_at: float
    delivered_at: float | None
    receipts: list[ReceiptOut]
    body: str | None = None


class Trace(BaseModel):
    correlation_id: str
    messages: list[MessageStatus]
    next_offset: int | None = None  # the offset of the next page; None: this page is the last


class DeadLetterOut(BaseModel):
    id: int
    sender: str | None
    message_id: str | None
    codes: list[str]
    errors: list[IssueOut]
    channel: str
    received_at: float
    redriven_at: float | None
    redrive_result: str | None
    body: str


class DeadLetterList(BaseModel):
    items: list[DeadLetterOut]


class RedriveResult(BaseModel):
    deadletter_id: int
    result: SubmitResult


class Health(BaseModel):
    status: str
    broker: str
    ledger: dict[str, int]
