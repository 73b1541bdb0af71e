"""Tax records for the dual channel (双通道) and departure-port tax refund cases (启运港退税).

The four dual-channel categories have no public specification: their fields follow DOMAIN.md §5 [design].
Personal identity numbers are never carried: only their SHA-256 digest; phone numbers travel masked.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from schemas.base import Element
from schemas.codes import (
    AuthChannel,
    CreditGrade,
    CustomsCredit,
    CustomsOffice,
    HandlingStatus,
    HighRiskIndicator,
    IdDocumentType,
    Locode,
    RealNameRole,
    RefundClass,
    RefundState,
    RiskLevel,
    TaxpayerStatus,
)
from schemas.envelope import Head, Message
from schemas.types import (
    Amount,
    CurrencyCode,
    CustomsDate,
    CustomsDateTime,
    DeclarationNumber,
    DocumentId,
    MaskedPhone,
    MessageId,
    NodeId,
    Sequence,
    Sha256Hex,
    Text17,
    Text35,
    Text70,
    Text256,
    Uscc,
)


class TaxRecordHeader(Element):
    """Identity and version of a record; a higher version supersedes a lower one."""

    record_id: DocumentId
    record_version: Sequence
    taxpayer_uscc: Uscc
    authority_id: NodeId
    record_date_time: CustomsDateTime


class RegistrationBody(Element):
    record: TaxRecordHeader
    taxpayer_name: Text256
    legal_representative: Text70
    taxpayer_type: Text35
    industry_code: Text17
    tax_office_name: Text70
    status_code: TaxpayerStatus
    address: Text256
    registration_date: CustomsDate
    credit_grade: CreditGrade | None = None
    refund_class_code: RefundClass | None = None  # export refund management class, for export enterprises


class RealNameBody(Element):
    record: TaxRecordHeader
    role_code: RealNameRole
    id_document_type_code: IdDocumentType
    id_document_hash: Sha256Hex
    masked_phone: MaskedPhone
    auth_date_time: CustomsDateTime
    channel_code: AuthChannel


class AbnormalBody(Element):
    record: TaxRecordHeader
    abnormal_date: CustomsDate
    reason: Text256
    office_name: Text70
    lifted_date: CustomsDate | None = None


class HighRiskBody(Element):
    record: TaxRecordHeader
    risk_level_code: RiskLevel
    indicator_code: HighRiskIndicator
    push_date: CustomsDate
    handling_status_code: HandlingStatus


class RegistrationMessage(Message):
    ROOT: ClassVar[str] = "TaxRecord"
    head: Head
    declaration: RegistrationBody


class RealNameMessage(Message):
    ROOT: ClassVar[str] = "TaxRecord"
    head: Head
    declaration: RealNameBody


class AbnormalMessage(Message):
    ROOT: ClassVar[str] = "TaxRecord"
    head: Head
    declaration: AbnormalBody


class HighRiskMessage(Message):
    ROOT: ClassVar[str] = "TaxRecord"
    head: Head
    declaration: HighRiskBody


class Transition(Element):
    """One state change of a refund case, and the message that caused it."""

    from_state_code: RefundState | None = None
    to_state_code: RefundState
    caused_by_message_id: MessageId
    transition_date_time: CustomsDateTime


class RefundCaseBody(Element):
    case_id: DocumentId
    exporter_uscc: Uscc
    exporter_id: NodeId | None = None  # the exporter's exchange ID, where the case updates go
    declaration_number: DeclarationNumber
    departure_port_id: Locode
    departure_office_id: CustomsOffice
    exit_port_id: Locode
    exit_office_id: CustomsOffice
    refund_class_code: RefundClass | None = None  # set by tax (customs opens the case without it)
    customs_credit_code: CustomsCredit
    export_value_amount: Amount | None = None  # declared value, set by the departure customs
    refund_amount: Amount | None = None  # set by tax when it decides
    currency_code: CurrencyCode
    release_date_time: CustomsDateTime
    exit_deadline_date: CustomsDate
    state_code: RefundState
    reason: Text256 | None = None  # why the last transition happened (e.g. why a refund was refused)
    transition: Annotated[list[Transition], Field(min_length=1, max_length=20)]


class RefundCaseMessage(Message):
    ROOT: ClassVar[str] = "TaxRefundCase"
    head: Head
    declaration: RefundCaseBody


ALLOWED_REFUND_TRANSITIONS: dict[RefundState | None, frozenset[RefundState]] = {
    None: frozenset({RefundState.RELEASED}),
    RefundState.RELEASED: frozenset({RefundState.REFUNDED, RefundState.REFUSED, RefundState.NOT_ARRIVED}),
    RefundState.REFUNDED: frozenset({RefundState.EXITED, RefundState.NOT_ARRIVED}),
    RefundState.REFUSED: frozenset({RefundState.EXITED}),
    RefundState.EXITED: frozenset({RefundState.WRITTEN_OFF}),
    RefundState.NOT_ARRIVED: frozenset({RefundState.CLAWBACK}),
    RefundState.WRITTEN_OFF: frozenset(),
    RefundState.CLAWBACK: frozenset(),
}
"""Departure-port refund state machine (DOMAIN.md §5): RELEASED -> REFUNDED -> EXITED -> WRITTEN_OFF, or
REFUNDED -> NOT_ARRIVED -> CLAWBACK; REFUSED when the exporter's class or credit does not allow the refund."""
