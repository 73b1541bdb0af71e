"""The benchmark manifest: a 4-5 KiB rail pre-manifest (MT2301) with 2 consignments of 3 items each."""

from __future__ import annotations

from decimal import Decimal

from schemas import codes as c
from schemas.manifest import Consignment, ConsignmentItem, ManifestDeclaration, ManifestMessage
from schemas.message_types import MessageType
from schemas.parts import (
    BorderTransportMeans,
    CarrierRef,
    Commodity,
    DocumentRef,
    EquipmentId,
    FreightPaymentTerms,
    GoodsMeasure,
    LoadingLocation,
    NamedPerson,
    Packaging,
    Party,
    TransportEquipment,
    UnloadingLocation,
)
from schemas.samples import BASE_TIME, SampleFactory


def bench_manifest(consignments: int = 2, items: int = 3, seed: int = 11) -> ManifestMessage:
    f = SampleFactory(seed)
    out = []
    for k in range(consignments):
        its = [
            ConsignmentItem(
                sequence_numeric=i + 1,
                consignment_item_packaging=Packaging(quantity_quantity=10 + i, type_code=c.PackageType.CARTON),
                commodity=Commodity(cargo_description=f"Portable computers model {k}-{i}"),
                goods_measure=GoodsMeasure(gross_mass_measure=Decimal("120.500") + i),
            )
            for i in range(items)
        ]
        out.append(
            Consignment(
                transport_contract_document=DocumentRef(id=f"SWBL2603140{k:04d}"),
                loading_location=LoadingLocation(id=c.Locode.CNCTU),
                unloading_location=UnloadingLocation(id=c.Locode.PLMAA),
                customs_status_code=c.CustomsStatus.EXPORT,
                freight_payment=FreightPaymentTerms(method_code=c.FreightPayment.PREPAID),
                consignment_packaging=Packaging(
                    quantity_quantity=sum(10 + i for i in range(items)), type_code=c.PackageType.CARTON
                ),
                total_gross_mass_measure=sum((Decimal("120.500") + i for i in range(items)), Decimal(0)),
                consignor=Party(id=f.shipper.id, name=f.shipper.name),
                consignee=Party(id=f.consignee.id, name=f.consignee.name),
                transport_equipment=[
                    TransportEquipment(
                        equipment_identification=EquipmentId(id=f.container),
                        characteristic_code=c.EquipmentSize.HQ40,
                        seal_id=["SWSEAL0001"],
                    )
                ],
                consignment_item=its,
            )
        )
    return ManifestMessage(
        head=f.head(MessageType.MT2301),
        declaration=ManifestDeclaration(
            declaration_office_id=c.CustomsOffice.CHENGDU,
            carrier=CarrierRef(id="SWRAIL"),
            representative_person=NamedPerson(name="Synthetic Declarant"),
            border_transport_means=BorderTransportMeans(
                journey_id="X8083-0314",
                type_code=c.TransportMode.RAIL,
                id="X8083",
                name="CHENGDU-EUROPE EXPRESS",
                departure_date_time=BASE_TIME,
            ),
            consignment=out,
        ),
    )
