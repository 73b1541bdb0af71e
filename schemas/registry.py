"""Which model, root element and namespace each message type uses."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.envelope import Message
from schemas.manifest import ArrivalMessage, DiversionMessage, LoadingMessage, ManifestMessage, TallyMessage
from schemas.message_types import TYPE_INFO, MessageType, TypeInfo
from schemas.response import ClearanceMessage, GoodsDeclarationMessage, ReceiptMessage
from schemas.risk import (
    InspectionResultMessage,
    RiskAlertMessage,
    VerificationRequestMessage,
    VerificationResponseMessage,
)
from schemas.tax import (
    AbnormalMessage,
    HighRiskMessage,
    RealNameMessage,
    RefundCaseMessage,
    RegistrationMessage,
)
from schemas.transit import TransitArrivalMessage, TransitDeclarationMessage, TransitWriteOffMessage
from schemas.waybill import WaybillMessage, WaybillStatusMessage

_BY_KIND: dict[str, type[Message]] = {
    "manifest": ManifestMessage,
    "arrival": ArrivalMessage,
    "loading": LoadingMessage,
    "tally": TallyMessage,
    "diversion": DiversionMessage,
    "receipt": ReceiptMessage,
    "clearance": ClearanceMessage,
    "goods_declaration": GoodsDeclarationMessage,
    "waybill": WaybillMessage,
    "waybill_status": WaybillStatusMessage,
    "transit_declaration": TransitDeclarationMessage,
    "transit_arrival": TransitArrivalMessage,
    "transit_writeoff": TransitWriteOffMessage,
    "risk_alert": RiskAlertMessage,
    "inspection_result": InspectionResultMessage,
    "verification_request": VerificationRequestMessage,
    "verification_response": VerificationResponseMessage,
    "tax_registration": RegistrationMessage,
    "tax_real_name": RealNameMessage,
    "tax_abnormal": AbnormalMessage,
    "tax_high_risk": HighRiskMessage,
    "tax_refund": RefundCaseMessage,
}


@dataclass(frozen=True)
class MessageSpec:
    info: TypeInfo
    model: type[Message]

    @property
    def code(self) -> MessageType:
        return self.info.code

    @property
    def namespace(self) -> str:
        if self.code.startswith("MT"):
            return f"urn:Declaration:datamodel:standard:CN:{self.code}:1"
        return f"urn:swsim:datamodel:{self.code}:1"

    @property
    def root(self) -> str:
        return self.model.ROOT

    @property
    def body_element(self) -> str:
        return self.model.model_fields[self.model.BODY].alias or self.model.BODY


SPECS: dict[MessageType, MessageSpec] = {
    code: MessageSpec(info, _BY_KIND[info.kind]) for code, info in TYPE_INFO.items()
}
BY_NAMESPACE: dict[str, MessageSpec] = {s.namespace: s for s in SPECS.values()}


def spec_for(code: str) -> MessageSpec | None:
    try:
        return SPECS[MessageType(code)]
    except ValueError:
        return None
