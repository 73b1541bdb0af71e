"""Through-transport (转关) between customs offices [inferred process, design structure; DOMAIN.md §4]."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from schemas.base import Element
from schemas.codes import CustomsOffice, ImportExport, SealStatus, WriteOffResult
from schemas.envelope import Head, Message
from schemas.parts import DocumentRef, EquipmentId, Packaging, Party, TransportEquipment, TransportMeansRef
from schemas.types import (
    CustomsDate,
    CustomsDateTime,
    DeclarationNumber,
    DocumentId,
    Mass,
    Text35,
    Text256,
)


class TransitDeclarationBody(Element):
    transit_id: DocumentId
    direction_code: ImportExport
    departure_office_id: CustomsOffice
    destination_office_id: CustomsOffice
    transport_contract_document: DocumentRef
    declaration_number: DeclarationNumber | None = None
    carrier: Party
    border_transport_means: TransportMeansRef
    transport_equipment: Annotated[list[TransportEquipment], Field(min_length=1, max_length=99)]
    consignment_packaging: Packaging
    total_gross_mass_measure: Mass
    departure_date_time: CustomsDateTime
    arrival_deadline_date: CustomsDate


class TransitDeclarationMessage(Message):
    ROOT: ClassVar[str] = "TransitDeclaration"
    head: Head
    declaration: TransitDeclarationBody


class SealCheck(Element):
    equipment_identification: EquipmentId
    seal_id: Text35
    status_code: SealStatus


class TransitArrivalBody(Element):
    transit_id: DocumentId
    arrival_office_id: CustomsOffice
    arrival_date_time: CustomsDateTime
    seal_check: Annotated[list[SealCheck], Field(min_length=1, max_length=999)]
    remark: Text256 | None = None


class TransitArrivalMessage(Message):
    ROOT: ClassVar[str] = "TransitArrival"
    head: Head
    declaration: TransitArrivalBody


class TransitWriteOffBody(Element):
    transit_id: DocumentId
    office_id: CustomsOffice
    write_off_date_time: CustomsDateTime
    result_code: WriteOffResult
    remark: Text256 | None = None


class TransitWriteOffMessage(Message):
    ROOT: ClassVar[str] = "TransitWriteOff"
    head: Head
    declaration: TransitWriteOffBody
