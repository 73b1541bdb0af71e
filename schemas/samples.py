"""A valid sample of every message type, built from synthetic parties (deterministic for a seed)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from schemas import codes as c
from schemas.envelope import Head, Message
from schemas.manifest import (
    ArrivalDeclaration,
    ArrivalMessage,
    Consignment,
    ConsignmentItem,
    ConsignmentSummary,
    DiversionDeclaration,
    DiversionMessage,
    DivertedConsignment,
    LoadingDeclaration,
    LoadingMessage,
    ManifestDeclaration,
    ManifestMessage,
    TalliedConsignment,
    TallyDeclaration,
    TallyMessage,
)
from schemas.message_types import TYPE_INFO, MessageType
from schemas.parts import (
    Address,
    BorderTransportMeans,
    CarrierRef,
    Commodity,
    DocumentRef,
    EquipmentId,
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
from schemas.registry import SPECS
from schemas.response import (
    ClearanceBody,
    ClearanceMessage,
    ConsignmentResponse,
    GoodsDeclarationBody,
    GoodsDeclarationMessage,
    GoodsItem,
    JourneyRef,
    ReceiptBody,
    ReceiptMessage,
    ResponseType,
)
from schemas.risk import (
    InspectionResultBody,
    InspectionResultMessage,
    RiskAlertBody,
    RiskAlertMessage,
    RiskTarget,
    VerificationRequestBody,
    VerificationRequestMessage,
    VerificationResponseBody,
    VerificationResponseMessage,
)
from schemas.synthetic import make_container, make_org_sender, make_uscc
from schemas.tax import (
    AbnormalBody,
    AbnormalMessage,
    HighRiskBody,
    HighRiskMessage,
    RealNameBody,
    RealNameMessage,
    RefundCaseBody,
    RefundCaseMessage,
    RegistrationBody,
    RegistrationMessage,
    TaxRecordHeader,
    Transition,
)
from schemas.transit import (
    SealCheck,
    TransitArrivalBody,
    TransitArrivalMessage,
    TransitDeclarationBody,
    TransitDeclarationMessage,
    TransitWriteOffBody,
    TransitWriteOffMessage,
)
from schemas.types import CST
from schemas.waybill import (
    Endorsement,
    HandOver,
    Leg,
    Pledge,
    Title,
    WaybillBody,
    WaybillMessage,
    WaybillStatusBody,
    WaybillStatusMessage,
)

BASE_TIME = datetime(2026, 3, 14, 9, 30, 0, 123000, tzinfo=CST)
CQ_TAX = "15000000000"
SC_TAX = "15100000000"

_MODE_MEANS = {
    "1": (c.TransportMode.SEA, "9876543", "CHANGJIANG STAR", "V2603E"),
    "2": (c.TransportMode.AIR, "B-2345", "SICHUAN CARGO", "3U8501"),
    "3": (c.TransportMode.RAIL, "X8083", "CHENGDU-EUROPE EXPRESS", "X8083-0314"),
    "4": (c.TransportMode.ROAD, "YU-A12345", "CQ TRUCKING 07", "R0314-07"),
}


class SampleFactory:
    """Builds coherent samples: one consignment (B/L, container, parties) threaded through every type."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.shipper = Party(
            id="USCI+" + make_uscc(rng, "510100"),
            name="Synthetic Chengdu Electronics Co., Ltd.",
            address=Address(line="1 Tianfu Avenue", city_name="Chengdu", country_code="CN"),
        )
        self.consignee = Party(
            id="AEO+PL0000012345",
            name="Synthetic Lodz Trading Sp. z o.o.",
            address=Address(line="5 Rail Street", city_name="Lodz", country_code="PL"),
        )
        self.carrier = Party(id="USCI+" + make_uscc(rng, "500000"), name="Synthetic Chongqing Rail Logistics")
        self.barge = Party(id="USCI+" + make_uscc(rng, "500000"), name="Synthetic Yangtze Shipping")
        self.bank = Party(id="USCI+" + make_uscc(rng, "500000"), name="Synthetic Bank Chongqing Branch")
        self.buyer = Party(id="USCI+" + make_uscc(rng, "500000"), name="Synthetic Chongqing Importer")
        self.exporter_uscc = make_uscc(rng, "510100")
        self.container = make_container(rng)
        self.container2 = make_container(rng)
        self.sender = make_org_sender(rng, "7900")
        self.bill = "SWBL26031400001"
        self._n = 0

    def head(self, mt: MessageType, sender: str | None = None, receiver: str = "7900") -> Head:
        self._n += 1
        return Head(
            message_id=f"SAMPLE-{mt.value}-{self._n:04d}",
            function_code=c.FunctionCode.ORIGINAL,
            message_type=mt,
            sender_id=sender or self.sender,
            receiver_id=receiver,
            send_time=BASE_TIME + timedelta(seconds=self._n),
            correlation_id=self.bill,
        )

    def equipment(self) -> list[TransportEquipment]:
        return [
            TransportEquipment(
                equipment_identification=EquipmentId(id=self.container),
                characteristic_code=c.EquipmentSize.HQ40,
                fullness_code=c.FullnessCode.FULL,
                seal_id=["SWSEAL000123"],
            )
        ]

    def summary(self) -> dict[str, object]:
        return {
            "transport_contract_document": DocumentRef(id=self.bill),
            "consignment_packaging": Packaging(quantity_quantity=120, type_code=c.PackageType.CARTON),
            "total_gross_mass_measure": Decimal("2450.500"),
            "transport_equipment": self.equipment(),
        }

    def means_ref(self, mode: str) -> TransportMeansRef:
        tm, means_id, _, journey = _MODE_MEANS[mode]
        return TransportMeansRef(journey_id=journey, type_code=tm, id=means_id)

    def manifest(self, mt: MessageType) -> Message:
        info = TYPE_INFO[mt]
        mode = mt.value[3]
        kind = info.kind
        office = c.CustomsOffice.CHENGDU
        if kind == "manifest":
            tm, means_id, name, journey = _MODE_MEANS[mode]
            items = [
                ConsignmentItem(
                    sequence_numeric=i + 1,
                    consignment_item_packaging=Packaging(quantity_quantity=q, type_code=c.PackageType.CARTON),
                    commodity=Commodity(cargo_description=desc),
                    goods_measure=GoodsMeasure(gross_mass_measure=Decimal(m)),
                )
                for i, (q, desc, m) in enumerate(
                    [(80, "Portable computers", "1650.250"), (40, "Computer monitors", "800.250")]
                )
            ]
            consignment = Consignment(
                transport_contract_document=DocumentRef(id=self.bill),
                associated_transport_document=DocumentRef(id="SWHB26031400001"),
                loading_location=LoadingLocation(id=c.Locode.CNCTU, loading_date=BASE_TIME),
                unloading_location=UnloadingLocation(id=c.Locode.PLMAA, arrival_date=BASE_TIME.date()),
                customs_status_code=c.CustomsStatus.EXPORT,
                freight_payment=FreightPaymentTerms(method_code=c.FreightPayment.PREPAID),
                consignment_packaging=Packaging(quantity_quantity=120, type_code=c.PackageType.CARTON),
                total_gross_mass_measure=Decimal("2450.500"),
                consignor=self.shipper,
                consignee=self.consignee,
                notify_party=self.consignee,
                transport_equipment=self.equipment(),
                consignment_item=items,
            )
            decl = ManifestDeclaration(
                declaration_office_id=office,
                exit_customs_office=OfficeRef(id=c.CustomsOffice.ALASHANKOU),
                carrier=CarrierRef(id="SWRAIL"),
                representative_person=NamedPerson(name="Synthetic Declarant"),
                border_transport_means=BorderTransportMeans(
                    journey_id=journey,
                    type_code=tm,
                    id=means_id,
                    name=name,
                    first_arrival_location_id=c.Locode.PLMAA,
                    departure_date_time=BASE_TIME,
                    arrival_date_time=BASE_TIME + timedelta(days=12),
                ),
                consignment=[consignment],
            )
            return ManifestMessage(head=self.head(mt), declaration=decl)
        means = self.means_ref(mode)
        if kind == "arrival":
            return ArrivalMessage(
                head=self.head(mt),
                declaration=ArrivalDeclaration(
                    declaration_office_id=office,
                    border_transport_means=means,
                    unloading_location=UnloadingLocation(id=c.Locode.CNCTU),
                    arrival_date_time=BASE_TIME,
                    consignment=[ConsignmentSummary(**self.summary())],  # type: ignore[arg-type]
                ),
            )
        if kind == "loading":
            return LoadingMessage(
                head=self.head(mt),
                declaration=LoadingDeclaration(
                    declaration_office_id=office,
                    border_transport_means=means,
                    loading_location=LoadingLocation(id=c.Locode.CNCTU, loading_date=BASE_TIME),
                    consignment=[ConsignmentSummary(**self.summary())],  # type: ignore[arg-type]
                ),
            )
        if kind == "tally":
            return TallyMessage(
                head=self.head(mt),
                declaration=TallyDeclaration(
                    declaration_office_id=office,
                    tally_party=NamedPerson(name="Synthetic Tally Co."),
                    border_transport_means=means,
                    consignment=[TalliedConsignment(**self.summary(), tally_remark="Counted 120 cartons")],  # type: ignore[arg-type]
                ),
            )
        return DiversionMessage(
            head=self.head(mt),
            declaration=DiversionDeclaration(
                declaration_office_id=office,
                border_transport_means=means,
                consignment=[
                    DivertedConsignment(
                        **self.summary(),  # type: ignore[arg-type]
                        destination_office=OfficeRef(id=c.CustomsOffice.CHENGDU_RAILWAY_PORT),
                        destination_location_id="CDRP-YARD-3",
                    )
                ],
            ),
        )

    def build(self, mt: MessageType) -> Message:
        if mt.value.startswith("MT") and mt != MessageType.MT9999:
            return self.manifest(mt)
        return getattr(self, "_" + mt.value.lower())(mt)  # type: ignore[no-any-return]

    def _mt9999(self, mt: MessageType) -> Message:
        return ReceiptMessage(
            head=self.head(mt, sender="7900", receiver=self.sender),
            response=ReceiptBody(
                reference_message_id="SAMPLE-MT2301-0001",
                reference_message_type=MessageType.MT2301,
                status_code=c.ResponseStatus.ACCEPTED,
                response_type=ResponseType(code=c.ReceiptCode.ACCEPTED, text="Accepted"),
                border_transport_means=JourneyRef(journey_id="X8083-0314"),
                consignment=[
                    ConsignmentResponse(
                        transport_contract_document=DocumentRef(id=self.bill),
                        response_type=ResponseType(code=c.ReceiptCode.ACCEPTED, text="Accepted"),
                    )
                ],
            ),
        )

    def _cd101(self, mt: MessageType) -> Message:
        return ClearanceMessage(
            head=self.head(mt, sender="7900", receiver=self.sender),
            response=ClearanceBody(
                declaration_number="790020260000012345",
                transport_contract_document=DocumentRef(id=self.bill),
                decision_code=c.ClearanceDecision.RELEASED,
                decision_office_id=c.CustomsOffice.CHENGDU,
                decision_date_time=BASE_TIME + timedelta(hours=2),
                reason="Documents in order",
            ),
        )

    def _dc101(self, mt: MessageType) -> Message:
        items = [
            GoodsItem(
                sequence_numeric=1,
                hs_code="8471300000",
                description="Portable computers",
                quantity_quantity=800,
                unit_code="PCE",
                gross_mass_measure=Decimal("1650.250"),
                value_amount=Decimal("320000.00"),
                origin_country_code="CN",
            ),
            GoodsItem(
                sequence_numeric=2,
                hs_code="8528520000",
                description="Computer monitors",
                quantity_quantity=400,
                unit_code="PCE",
                gross_mass_measure=Decimal("800.250"),
                value_amount=Decimal("60000.00"),
                origin_country_code="CN",
            ),
        ]
        return GoodsDeclarationMessage(
            head=self.head(mt),
            declaration=GoodsDeclarationBody(
                declaration_number="790020260000012345",
                declaration_office_id=c.CustomsOffice.CHENGDU,
                import_export_code=c.ImportExport.EXPORT,
                declarant=self.shipper,
                consignor=self.shipper,
                consignee=self.consignee,
                transport_contract_document=DocumentRef(id=self.bill),
                transport_mode_code=c.TransportMode.RAIL,
                trade_country_code="PL",
                departure_date=BASE_TIME.date(),
                currency_code="USD",
                total_gross_mass_measure=Decimal("2450.500"),
                total_value_amount=Decimal("380000.00"),
                goods_item=items,
            ),
        )

    def _wb101(self, mt: MessageType) -> Message:
        t0 = BASE_TIME
        legs = [
            Leg(
                sequence_numeric=1,
                mode_code=c.TransportMode.RAIL,
                carrier=self.carrier,
                journey_id="X9001",
                departure_location_id=c.Locode.CNCTU,
                arrival_location_id=c.Locode.CNCKG,
                planned_departure_date_time=t0,
                planned_arrival_date_time=t0 + timedelta(hours=6),
                actual_departure_date_time=t0 + timedelta(minutes=10),
                actual_arrival_date_time=t0 + timedelta(hours=6, minutes=5),
                status_code=c.LegStatus.HANDED_OVER,
                hand_over=[
                    HandOver(
                        event_date_time=t0 + timedelta(hours=7),
                        location_id=c.Locode.CNCKG,
                        from_party=self.carrier,
                        to_party=self.barge,
                        remark="Tuanjiecun to Guoyuan port transfer",
                    )
                ],
            ),
            Leg(
                sequence_numeric=2,
                mode_code=c.TransportMode.INLAND_WATER,
                carrier=self.barge,
                journey_id="YZ2603",
                departure_location_id=c.Locode.CNCKG,
                arrival_location_id=c.Locode.CNSHA,
                planned_departure_date_time=t0 + timedelta(hours=12),
                planned_arrival_date_time=t0 + timedelta(days=8),
                status_code=c.LegStatus.PLANNED,
            ),
        ]
        title = Title(
            status_code=c.TitleStatus.PLEDGED,
            holder=self.buyer,
            endorsement=[
                Endorsement(
                    sequence_numeric=1,
                    from_party=self.shipper,
                    to_party=self.buyer,
                    endorsement_date_time=t0 + timedelta(hours=1),
                )
            ],
            pledge=Pledge(
                bank=self.bank,
                amount=Decimal("250000.00"),
                currency_code="CNY",
                pledge_date_time=t0 + timedelta(hours=2),
            ),
        )
        return WaybillMessage(
            head=self.head(mt, receiver="8000"),
            declaration=WaybillBody(
                waybill_id="SWMW26031400001",
                issue_date_time=t0,
                issuer=self.carrier,
                shipper=self.shipper,
                consignee=self.buyer,
                goods_description="Portable computers and monitors",
                consignment_packaging=Packaging(quantity_quantity=120, type_code=c.PackageType.CARTON),
                total_gross_mass_measure=Decimal("2450.500"),
                transport_equipment=self.equipment(),
                leg=legs,
                direct_option_code=c.DirectOption.DIRECT_LOADING,
                title=title,
            ),
        )

    def _wb102(self, mt: MessageType) -> Message:
        return WaybillStatusMessage(
            head=self.head(mt, receiver="8000"),
            declaration=WaybillStatusBody(
                waybill_id="SWMW26031400001",
                leg_sequence_numeric=1,
                status_code=c.LegStatus.HANDED_OVER,
                event_date_time=BASE_TIME + timedelta(hours=7),
                location_id=c.Locode.CNCKG,
                hand_over=HandOver(
                    event_date_time=BASE_TIME + timedelta(hours=7),
                    location_id=c.Locode.CNCKG,
                    from_party=self.carrier,
                    to_party=self.barge,
                ),
            ),
        )

    def _tt101(self, mt: MessageType) -> Message:
        return TransitDeclarationMessage(
            head=self.head(mt, receiver="7200"),
            declaration=TransitDeclarationBody(
                transit_id="TT720026031400001",
                direction_code=c.ImportExport.IMPORT,
                departure_office_id=c.CustomsOffice.NANNING,
                destination_office_id=c.CustomsOffice.CHONGQING,
                transport_contract_document=DocumentRef(id=self.bill),
                carrier=self.carrier,
                border_transport_means=self.means_ref("3"),
                transport_equipment=self.equipment(),
                consignment_packaging=Packaging(quantity_quantity=120, type_code=c.PackageType.CARTON),
                total_gross_mass_measure=Decimal("2450.500"),
                departure_date_time=BASE_TIME,
                arrival_deadline_date=(BASE_TIME + timedelta(days=14)).date(),
            ),
        )

    def _tt102(self, mt: MessageType) -> Message:
        return TransitArrivalMessage(
            head=self.head(mt, sender="8000", receiver="7200"),
            declaration=TransitArrivalBody(
                transit_id="TT720026031400001",
                arrival_office_id=c.CustomsOffice.CHONGQING,
                arrival_date_time=BASE_TIME + timedelta(days=2),
                seal_check=[
                    SealCheck(
                        equipment_identification=EquipmentId(id=self.container),
                        seal_id="SWSEAL000123",
                        status_code=c.SealStatus.INTACT,
                    )
                ],
            ),
        )

    def _tt103(self, mt: MessageType) -> Message:
        return TransitWriteOffMessage(
            head=self.head(mt, sender="7200", receiver="8000"),
            declaration=TransitWriteOffBody(
                transit_id="TT720026031400001",
                office_id=c.CustomsOffice.NANNING,
                write_off_date_time=BASE_TIME + timedelta(days=2, hours=1),
                result_code=c.WriteOffResult.CLOSED,
            ),
        )

    def _ra101(self, mt: MessageType) -> Message:
        return RiskAlertMessage(
            head=self.head(mt, sender="8000", receiver="7900"),
            declaration=RiskAlertBody(
                alert_id="RA800026031400001",
                issuing_office_id=c.CustomsOffice.CHONGQING,
                level_code=c.RiskLevel.HIGH,
                category_code=c.RiskCategory.QUALITY_SAFETY,
                title="Lithium batteries with falsified test reports",
                description="Consignments declared as portable computers carry batteries without valid UN38.3 reports.",
                valid_from=BASE_TIME,
                valid_until=BASE_TIME + timedelta(days=30),
                target=[RiskTarget(hs_code="8471300000", origin_country_code="CN")],
                measure_code=[c.RiskMeasure.DOCUMENT_CHECK, c.RiskMeasure.SAMPLING],
            ),
        )

    def _ra102(self, mt: MessageType) -> Message:
        return InspectionResultMessage(
            head=self.head(mt, sender="7900", receiver="8000"),
            declaration=InspectionResultBody(
                inspection_id="IN790026031400001",
                office_id=c.CustomsOffice.CHENGDU,
                transport_contract_document=DocumentRef(id=self.bill),
                alert_id="RA800026031400001",
                inspection_date_time=BASE_TIME + timedelta(hours=3),
                outcome_code=c.InspectionOutcome.CONFORM,
                measured_gross_mass_measure=Decimal("2449.800"),
                finding="Test reports verified with the manufacturer.",
            ),
        )

    def _jv101(self, mt: MessageType) -> Message:
        return VerificationRequestMessage(
            head=self.head(mt, sender="7900", receiver="PLCUS"),
            declaration=VerificationRequestBody(
                verification_id="JV790026031400001",
                requesting_office_id=c.CustomsOffice.CHENGDU,
                transport_contract_document=DocumentRef(id=self.bill),
                container_number=self.container,
                declared_gross_mass_measure=Decimal("2450.500"),
                question="Confirm arrival and gross mass at Lodz terminal.",
            ),
        )

    def _jv102(self, mt: MessageType) -> Message:
        return VerificationResponseMessage(
            head=self.head(mt, sender="PLCUS", receiver="7900"),
            response=VerificationResponseBody(
                verification_id="JV790026031400001",
                result_code=c.VerificationResult.MATCH,
                recorded_gross_mass_measure=Decimal("2450.500"),
            ),
        )

    def _record(self, kind: str, version: int = 1) -> TaxRecordHeader:
        return TaxRecordHeader(
            record_id=f"{kind}-{self.exporter_uscc}",
            record_version=version,
            taxpayer_uscc=self.exporter_uscc,
            authority_id=SC_TAX,
            record_date_time=BASE_TIME,
        )

    def _tx101(self, mt: MessageType) -> Message:
        return RegistrationMessage(
            head=self.head(mt, sender=SC_TAX, receiver=CQ_TAX),
            declaration=RegistrationBody(
                record=self._record("REG"),
                taxpayer_name="Synthetic Chengdu Electronics Co., Ltd.",
                legal_representative="Synthetic Person A",
                taxpayer_type="Limited company",
                industry_code="C3911",
                tax_office_name="Synthetic Gaoxin District Tax Office",
                status_code=c.TaxpayerStatus.NORMAL,
                address="1 Tianfu Avenue, Chengdu",
                registration_date=BASE_TIME.date() - timedelta(days=900),
                credit_grade=c.CreditGrade.A,
                refund_class_code=c.RefundClass.CLASS_1,
            ),
        )

    def _tx102(self, mt: MessageType) -> Message:
        return RealNameMessage(
            head=self.head(mt, sender=SC_TAX, receiver=CQ_TAX),
            declaration=RealNameBody(
                record=self._record("RNA"),
                role_code=c.RealNameRole.LEGAL_REPRESENTATIVE,
                id_document_type_code=c.IdDocumentType.RESIDENT_ID,
                id_document_hash="5f" * 32,
                masked_phone="138****1234",
                auth_date_time=BASE_TIME,
                channel_code=c.AuthChannel.APP,
            ),
        )

    def _tx103(self, mt: MessageType) -> Message:
        return AbnormalMessage(
            head=self.head(mt, sender=SC_TAX, receiver=CQ_TAX),
            declaration=AbnormalBody(
                record=self._record("ABN"),
                abnormal_date=BASE_TIME.date() - timedelta(days=40),
                reason="Not reachable at the registered address",
                office_name="Synthetic Gaoxin District Tax Office",
                lifted_date=BASE_TIME.date(),
            ),
        )

    def _tx104(self, mt: MessageType) -> Message:
        return HighRiskMessage(
            head=self.head(mt, sender=SC_TAX, receiver=CQ_TAX),
            declaration=HighRiskBody(
                record=self._record("HRT"),
                risk_level_code=c.RiskLevel.MEDIUM,
                indicator_code=c.HighRiskIndicator.REFUND_FRAUD,
                push_date=BASE_TIME.date(),
                handling_status_code=c.HandlingStatus.PUSHED,
            ),
        )

    def _tx201(self, mt: MessageType) -> Message:
        t0 = BASE_TIME
        return RefundCaseMessage(
            head=self.head(mt, sender=CQ_TAX, receiver="8000"),
            declaration=RefundCaseBody(
                case_id="RF800326031400001",
                exporter_uscc=self.exporter_uscc,
                exporter_id=self.sender,
                declaration_number="800320260000054321",
                departure_port_id=c.Locode.CNCKG,
                departure_office_id=c.CustomsOffice.GUOYUAN,
                exit_port_id=c.Locode.CNSHA,
                exit_office_id=c.CustomsOffice.SHANGHAI,
                refund_class_code=c.RefundClass.CLASS_1,
                customs_credit_code=c.CustomsCredit.AEO,
                export_value_amount=Decimal("380000.00"),
                refund_amount=Decimal("49400.00"),
                currency_code="CNY",
                release_date_time=t0,
                exit_deadline_date=(t0 + timedelta(days=60)).date(),
                state_code=c.RefundState.REFUNDED,
                transition=[
                    Transition(
                        to_state_code=c.RefundState.RELEASED,
                        caused_by_message_id="SAMPLE-CD101-0001",
                        transition_date_time=t0,
                    ),
                    Transition(
                        from_state_code=c.RefundState.RELEASED,
                        to_state_code=c.RefundState.REFUNDED,
                        caused_by_message_id="SAMPLE-TX-APPLY-0001",
                        transition_date_time=t0 + timedelta(days=1),
                    ),
                ],
            ),
        )


def all_samples(seed: int = 7) -> dict[MessageType, Message]:
    """One valid sample per message type, in registry order."""
    factory = SampleFactory(seed)
    return {mt: factory.build(mt) for mt in SPECS}
