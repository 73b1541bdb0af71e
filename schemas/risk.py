"""Risk alerts (风险预警), inspection results (查验结果互认) and joint verification (联网核查) [design]."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from schemas.base import Element
from schemas.codes import (
    CustomsOffice,
    InspectionOutcome,
    RiskCategory,
    RiskLevel,
    RiskMeasure,
    VerificationResult,
)
from schemas.envelope import Head, Message
from schemas.parts import DocumentRef
from schemas.types import (
    ContainerNumber,
    CountryCode,
    CustomsDateTime,
    DocumentId,
    HSCode,
    Mass,
    PartyCode,
    Text256,
    Text512,
)


class RiskTarget(Element):
    """What an alert is about: any combination of HS code, party, consignment and origin (at least one)."""

    hs_code: HSCode | None = None
    party_id: PartyCode | None = None
    transport_contract_document_id: DocumentId | None = None
    origin_country_code: CountryCode | None = None


class RiskAlertBody(Element):
    alert_id: DocumentId
    issuing_office_id: CustomsOffice
    level_code: RiskLevel
    category_code: RiskCategory
    title: Text256
    description: Text512
    valid_from: CustomsDateTime
    valid_until: CustomsDateTime
    target: Annotated[list[RiskTarget], Field(min_length=1, max_length=99)]
    measure_code: Annotated[list[RiskMeasure], Field(min_length=1, max_length=6)]


class RiskAlertMessage(Message):
    ROOT: ClassVar[str] = "RiskAlert"
    head: Head
    declaration: RiskAlertBody


class InspectionResultBody(Element):
    inspection_id: DocumentId
    office_id: CustomsOffice
    transport_contract_document: DocumentRef
    alert_id: DocumentId | None = None
    inspection_date_time: CustomsDateTime
    outcome_code: InspectionOutcome
    measured_gross_mass_measure: Mass | None = None
    finding: Text512 | None = None


class InspectionResultMessage(Message):
    ROOT: ClassVar[str] = "InspectionResult"
    head: Head
    declaration: InspectionResultBody


class VerificationRequestBody(Element):
    verification_id: DocumentId
    requesting_office_id: CustomsOffice
    transport_contract_document: DocumentRef
    container_number: ContainerNumber | None = None
    declared_gross_mass_measure: Mass | None = None
    question: Text256


class VerificationRequestMessage(Message):
    ROOT: ClassVar[str] = "JointVerification"
    head: Head
    declaration: VerificationRequestBody


class VerificationResponseBody(Element):
    verification_id: DocumentId
    result_code: VerificationResult
    recorded_gross_mass_measure: Mass | None = None
    detail: Text512 | None = None


class VerificationResponseMessage(Message):
    ROOT: ClassVar[str] = "JointVerification"
    BODY: ClassVar[str] = "response"
    head: Head
    response: VerificationResponseBody
