"""Building blocks shared by several message bodies (new-manifest element names [fact])."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from schemas.base import Element
from schemas.codes import (
    CustomsOffice,
    EquipmentSize,
    FreightPayment,
    FullnessCode,
    Locode,
    PackageType,
    TransportMode,
)
from schemas.types import (
    ContainerNumber,
    Count,
    CountryCode,
    CustomsDate,
    CustomsDateTime,
    DocumentId,
    JourneyId,
    Mass,
    PartyCode,
    Text17,
    Text35,
    Text70,
    Text256,
    Text512,
)


class DocumentRef(Element):
    """``TransportContractDocument`` / ``AssociatedTransportDocument``: a master or house B/L or waybill."""

    id: DocumentId


class OfficeRef(Element):
    id: CustomsOffice


class CarrierRef(Element):
    id: Text17


class NamedPerson(Element):
    name: Text70


class Address(Element):
    line: Text256
    city_name: Text35 | None = None
    country_code: CountryCode


class Party(Element):
    """Consignor / Consignee / NotifyParty and other named parties."""

    id: PartyCode
    name: Text70
    address: Address | None = None


class LoadingLocation(Element):
    id: Locode
    loading_date: CustomsDateTime | None = None


class UnloadingLocation(Element):
    id: Locode
    arrival_date: CustomsDate | None = None


class FreightPaymentTerms(Element):
    method_code: FreightPayment


class Packaging(Element):
    """``ConsignmentPackaging`` / item packaging: how many of what kind of package."""

    quantity_quantity: Count
    type_code: PackageType


class EquipmentId(Element):
    id: ContainerNumber


class TransportEquipment(Element):
    equipment_identification: EquipmentId
    characteristic_code: EquipmentSize | None = None
    fullness_code: FullnessCode | None = None
    seal_id: Annotated[list[Text35], Field(max_length=9)] = []


class TransportMeansRef(Element):
    """The vessel, flight, train or truck a message refers to."""

    journey_id: JourneyId
    type_code: TransportMode
    id: Text35


class BorderTransportMeans(Element):
    journey_id: JourneyId
    type_code: TransportMode
    id: Text35
    name: Text70
    first_arrival_location_id: Locode | None = None
    arrival_date_time: CustomsDateTime | None = None
    departure_date_time: CustomsDateTime | None = None


class Commodity(Element):
    cargo_description: Text512


class GoodsMeasure(Element):
    gross_mass_measure: Mass


class AdditionalInformation(Element):
    content: Text512
