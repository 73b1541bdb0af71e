"""Cargo manifests after China Customs' new-manifest structure (DOMAIN.md §2) [fact unless marked].

One body per manifest kind; each serves the codes of every transport mode (see :mod:`schemas.message_types`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from schemas.base import Element
from schemas.codes import CustomsOffice, CustomsStatus
from schemas.envelope import Head, Message
from schemas.parts import (
    AdditionalInformation,
    BorderTransportMeans,
    CarrierRef,
    Commodity,
    DocumentRef,
    FreightPaymentTerms,
    GoodsMeasure,
    LoadingLocation,
    NamedPerson,
    OfficeRef,
    Packaging,
    Party,
    TransportEquipment,
    TransportMeansRef,
    UnloadingLocation,
)
from schemas.types import CustomsDateTime, Mass, Sequence, Text35, Text256


class ConsignmentItem(Element):
    sequence_numeric: Sequence
    consignment_item_packaging: Packaging
    commodity: Commodity
    goods_measure: GoodsMeasure


class Consignment(Element):
    transport_contract_document: DocumentRef
    associated_transport_document: DocumentRef | None = None
    loading_location: LoadingLocation
    unloading_location: UnloadingLocation
    customs_status_code: CustomsStatus
    freight_payment: FreightPaymentTerms
    consignment_packaging: Packaging
    total_gross_mass_measure: Mass
    consignor: Party
    consignee: Party
    notify_party: Party | None = None
    transport_equipment: Annotated[list[TransportEquipment], Field(max_length=999)] = []
    consignment_item: Annotated[list[ConsignmentItem], Field(min_length=1, max_length=999)]


class ManifestDeclaration(Element):
    """Original manifest (MTx1x01, inbound) and pre-manifest (MTx2x01, outbound)."""

    declaration_office_id: CustomsOffice
    exit_customs_office: OfficeRef | None = None
    carrier: CarrierRef
    representative_person: NamedPerson
    border_transport_means: BorderTransportMeans
    consignment: Annotated[list[Consignment], Field(min_length=1, max_length=9999)]
    additional_information: AdditionalInformation | None = None


class ConsignmentSummary(Element):
    """A consignment as later manifest messages refer to it: document, packages, mass, equipment."""

    transport_contract_document: DocumentRef
    associated_transport_document: DocumentRef | None = None
    consignment_packaging: Packaging
    total_gross_mass_measure: Mass
    transport_equipment: Annotated[list[TransportEquipment], Field(max_length=999)] = []


class ArrivalDeclaration(Element):
    """Arrival report (运抵报告, MT3x01): the goods have reached the supervised place."""

    declaration_office_id: CustomsOffice
    border_transport_means: TransportMeansRef
    unloading_location: UnloadingLocation
    arrival_date_time: CustomsDateTime
    consignment: Annotated[list[ConsignmentSummary], Field(min_length=1, max_length=9999)]


class LoadingDeclaration(Element):
    """Loading list (装载舱单, MT4x01): what was loaded onto the means of transport."""

    declaration_office_id: CustomsOffice
    border_transport_means: TransportMeansRef
    loading_location: LoadingLocation
    consignment: Annotated[list[ConsignmentSummary], Field(min_length=1, max_length=9999)]


class TalliedConsignment(ConsignmentSummary):
    tally_remark: Text256 | None = None


class TallyDeclaration(Element):
    """Tally report (理货报告, MT5x01 import / MT5x02 export): counted packages and weighed mass."""

    declaration_office_id: CustomsOffice
    tally_party: NamedPerson
    border_transport_means: TransportMeansRef
    consignment: Annotated[list[TalliedConsignment], Field(min_length=1, max_length=9999)]


class DivertedConsignment(ConsignmentSummary):
    destination_office: OfficeRef
    destination_location_id: Text35


class DiversionDeclaration(Element):
    """Diversion (分流, MT6x01) / dispatch (分拨, MT6x02) to another supervised place."""

    declaration_office_id: CustomsOffice
    border_transport_means: TransportMeansRef
    consignment: Annotated[list[DivertedConsignment], Field(min_length=1, max_length=9999)]


class ManifestMessage(Message):
    ROOT: ClassVar[str] = "Manifest"
    head: Head
    declaration: ManifestDeclaration


class ArrivalMessage(Message):
    head: Head
    declaration: ArrivalDeclaration


class LoadingMessage(Message):
    head: Head
    declaration: LoadingDeclaration


class TallyMessage(Message):
    head: Head
    declaration: TallyDeclaration


class DiversionMessage(Message):
    head: Head
    declaration: DiversionDeclaration
