"""Receipts (MT9999 [fact]), clearance decisions after CUSRES [inferred] and goods declarations (报关单)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from schemas.base import Element
from schemas.codes import (
    ClearanceDecision,
    CustomsOffice,
    ImportExport,
    ReceiptCode,
    ResponseStatus,
    RiskMeasure,
    TransportMode,
)
from schemas.envelope import Head, Message
from schemas.message_types import MessageType
from schemas.parts import DocumentRef, Party
from schemas.types import (
    Amount,
    Count,
    CountryCode,
    CurrencyCode,
    CustomsDate,
    CustomsDateTime,
    DeclarationNumber,
    DocumentId,
    HSCode,
    JourneyId,
    Mass,
    MessageId,
    Sequence,
    Text17,
    Text35,
    Text256,
    Text512,
)


class ResponseType(Element):
    code: ReceiptCode
    text: Text256


class ResponseError(Element):
    """One problem found in the referenced message: the same stable code and location a validator reports."""

    code: Text35
    location: Text256 | None = None
    line: Count | None = None
    description: Text512


class ConsignmentResponse(Element):
    transport_contract_document: DocumentRef
    response_type: ResponseType


class JourneyRef(Element):
    journey_id: JourneyId


class ReceiptBody(Element):
    reference_message_id: MessageId
    reference_message_type: MessageType | None = None  # absent when the message could not be decoded
    status_code: ResponseStatus
    response_type: ResponseType
    border_transport_means: JourneyRef | None = None
    consignment: Annotated[list[ConsignmentResponse], Field(max_length=9999)] = []
    error: Annotated[list[ResponseError], Field(max_length=999)] = []


class ReceiptMessage(Message):
    """MT9999: the answer to any message (accepted, rejected with errors, held, released)."""

    BODY: ClassVar[str] = "response"
    head: Head
    response: ReceiptBody


class ClearanceBody(Element):
    declaration_number: DeclarationNumber | None = None
    transport_contract_document: DocumentRef
    decision_code: ClearanceDecision
    decision_office_id: CustomsOffice
    decision_date_time: CustomsDateTime
    reason: Text256 | None = None
    measure_code: Annotated[list[RiskMeasure], Field(max_length=6)] = []
    inspection_id: DocumentId | None = None


class ClearanceMessage(Message):
    ROOT: ClassVar[str] = "CustomsResponse"
    BODY: ClassVar[str] = "response"
    head: Head
    response: ClearanceBody


class GoodsItem(Element):
    sequence_numeric: Sequence
    hs_code: HSCode
    description: Text256
    quantity_quantity: Count
    unit_code: Text17
    gross_mass_measure: Mass
    value_amount: Amount
    origin_country_code: CountryCode


class GoodsDeclarationBody(Element):
    declaration_number: DeclarationNumber
    declaration_office_id: CustomsOffice
    import_export_code: ImportExport
    declarant: Party
    consignor: Party
    consignee: Party
    transport_contract_document: DocumentRef
    transport_mode_code: TransportMode
    trade_country_code: CountryCode
    departure_date: CustomsDate | None = None
    currency_code: CurrencyCode
    total_gross_mass_measure: Mass
    total_value_amount: Amount
    goods_item: Annotated[list[GoodsItem], Field(min_length=1, max_length=50)]


class GoodsDeclarationMessage(Message):
    ROOT: ClassVar[str] = "GoodsDeclaration"
    head: Head
    declaration: GoodsDeclarationBody
