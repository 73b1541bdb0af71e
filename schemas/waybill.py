"""Multimodal "one document" waybill (多式联运一单制) [design, after IFTMIN/IFTSTA and the UN/CEFACT MMT model].

One waybill covers every leg (rail, water, road, air); each leg hands over with a status event; the waybill can
be a document of title: a holder, a chain of endorsements, and a pledge to a bank for trade finance.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from schemas.base import Element
from schemas.codes import DirectOption, LegStatus, Locode, TitleStatus, TransportMode
from schemas.envelope import Head, Message
from schemas.parts import Packaging, Party, TransportEquipment
from schemas.types import (
    Amount,
    CurrencyCode,
    CustomsDateTime,
    DocumentId,
    JourneyId,
    Mass,
    Sequence,
    Text256,
    Text512,
)


class HandOver(Element):
    """Custody passes from one carrier (or terminal) to the next at a place and time."""

    event_date_time: CustomsDateTime
    location_id: Locode
    from_party: Party
    to_party: Party
    remark: Text256 | None = None


class Leg(Element):
    sequence_numeric: Sequence
    mode_code: TransportMode
    carrier: Party
    journey_id: JourneyId | None = None
    departure_location_id: Locode
    arrival_location_id: Locode
    planned_departure_date_time: CustomsDateTime
    planned_arrival_date_time: CustomsDateTime
    actual_departure_date_time: CustomsDateTime | None = None
    actual_arrival_date_time: CustomsDateTime | None = None
    status_code: LegStatus
    hand_over: Annotated[list[HandOver], Field(max_length=9)] = []


class Endorsement(Element):
    sequence_numeric: Sequence
    from_party: Party
    to_party: Party
    endorsement_date_time: CustomsDateTime


class Pledge(Element):
    bank: Party
    amount: Amount
    currency_code: CurrencyCode
    pledge_date_time: CustomsDateTime
    released_date_time: CustomsDateTime | None = None


class Title(Element):
    """Document of title (railway B/L with property rights): who holds it and how it got there."""

    status_code: TitleStatus
    holder: Party
    endorsement: Annotated[list[Endorsement], Field(max_length=99)] = []
    pledge: Pledge | None = None


class WaybillBody(Element):
    waybill_id: DocumentId
    issue_date_time: CustomsDateTime
    issuer: Party
    shipper: Party
    consignee: Party
    goods_description: Text512
    consignment_packaging: Packaging
    total_gross_mass_measure: Mass
    transport_equipment: Annotated[list[TransportEquipment], Field(max_length=99)] = []
    leg: Annotated[list[Leg], Field(min_length=1, max_length=9)]
    direct_option_code: DirectOption | None = None
    title: Title | None = None


class WaybillMessage(Message):
    ROOT: ClassVar[str] = "MultimodalWaybill"
    head: Head
    declaration: WaybillBody


class WaybillStatusBody(Element):
    """A status event for one leg (departure, arrival, hand-over) and/or a title transfer."""

    waybill_id: DocumentId
    leg_sequence_numeric: Sequence
    status_code: LegStatus
    event_date_time: CustomsDateTime
    location_id: Locode
    hand_over: HandOver | None = None
    endorsement: Endorsement | None = None
    title_status_code: TitleStatus | None = None


class WaybillStatusMessage(Message):
    ROOT: ClassVar[str] = "WaybillStatus"
    head: Head
    declaration: WaybillStatusBody
