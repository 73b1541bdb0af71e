"""Every message type: code, title, body kind, transport mode and how real the code is.

Generated once by hand from shared/DOMAIN.md §2 and kept as a table. ``status``: ``fact`` a public China Customs
code, ``inferred`` the public numbering applied to another mode, ``design`` swsim's own code (rail manifests,
waybills, through-transport, risk, verification, tax: no public code exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MessageType(StrEnum):
    """Head/MessageType."""

    MT1101 = "MT1101"
    MT1201 = "MT1201"
    MT1401 = "MT1401"
    MT1301 = "MT1301"
    MT2101 = "MT2101"
    MT2201 = "MT2201"
    MT2401 = "MT2401"
    MT2301 = "MT2301"
    MT3101 = "MT3101"
    MT3201 = "MT3201"
    MT3401 = "MT3401"
    MT3301 = "MT3301"
    MT4101 = "MT4101"
    MT4201 = "MT4201"
    MT4401 = "MT4401"
    MT4301 = "MT4301"
    MT5101 = "MT5101"
    MT5201 = "MT5201"
    MT5401 = "MT5401"
    MT5301 = "MT5301"
    MT5102 = "MT5102"
    MT5202 = "MT5202"
    MT5402 = "MT5402"
    MT5302 = "MT5302"
    MT6101 = "MT6101"
    MT6201 = "MT6201"
    MT6401 = "MT6401"
    MT6301 = "MT6301"
    MT6102 = "MT6102"
    MT6202 = "MT6202"
    MT6402 = "MT6402"
    MT6302 = "MT6302"
    MT9999 = "MT9999"
    CD101 = "CD101"
    DC101 = "DC101"
    WB101 = "WB101"
    WB102 = "WB102"
    TT101 = "TT101"
    TT102 = "TT102"
    TT103 = "TT103"
    RA101 = "RA101"
    RA102 = "RA102"
    JV101 = "JV101"
    JV102 = "JV102"
    TX101 = "TX101"
    TX102 = "TX102"
    TX103 = "TX103"
    TX104 = "TX104"
    TX201 = "TX201"


@dataclass(frozen=True)
class TypeInfo:
    code: MessageType
    title: str
    kind: str
    mode: str
    status: str


TYPE_INFO: dict[MessageType, TypeInfo] = {
    t.code: t
    for t in (
        TypeInfo(MessageType.MT1101, "Original manifest (原始舱单), inbound, sea", "manifest", "sea", "fact"),
        TypeInfo(MessageType.MT1201, "Original manifest (原始舱单), inbound, air", "manifest", "air", "fact"),
        TypeInfo(MessageType.MT1401, "Original manifest (原始舱单), inbound, road", "manifest", "road", "inferred"),
        TypeInfo(MessageType.MT1301, "Original manifest (原始舱单), inbound, rail", "manifest", "rail", "design"),
        TypeInfo(MessageType.MT2101, "Pre-manifest (预配舱单), outbound, sea", "manifest", "sea", "fact"),
        TypeInfo(MessageType.MT2201, "Pre-manifest (预配舱单), outbound, air", "manifest", "air", "fact"),
        TypeInfo(MessageType.MT2401, "Pre-manifest (预配舱单), outbound, road", "manifest", "road", "inferred"),
        TypeInfo(MessageType.MT2301, "Pre-manifest (预配舱单), outbound, rail", "manifest", "rail", "design"),
        TypeInfo(MessageType.MT3101, "Arrival report (运抵报告), sea", "arrival", "sea", "fact"),
        TypeInfo(MessageType.MT3201, "Arrival report (运抵报告), air", "arrival", "air", "fact"),
        TypeInfo(MessageType.MT3401, "Arrival report (运抵报告), road", "arrival", "road", "inferred"),
        TypeInfo(MessageType.MT3301, "Arrival report (运抵报告), rail", "arrival", "rail", "design"),
        TypeInfo(MessageType.MT4101, "Loading list (装载舱单), sea", "loading", "sea", "fact"),
        TypeInfo(MessageType.MT4201, "Loading list (装载舱单), air", "loading", "air", "fact"),
        TypeInfo(MessageType.MT4401, "Loading list (装载舱单), road", "loading", "road", "inferred"),
        TypeInfo(MessageType.MT4301, "Loading list (装载舱单), rail", "loading", "rail", "design"),
        TypeInfo(MessageType.MT5101, "Tally report (理货报告), import, sea", "tally", "sea", "fact"),
        TypeInfo(MessageType.MT5201, "Tally report (理货报告), import, air", "tally", "air", "inferred"),
        TypeInfo(MessageType.MT5401, "Tally report (理货报告), import, road", "tally", "road", "inferred"),
        TypeInfo(MessageType.MT5301, "Tally report (理货报告), import, rail", "tally", "rail", "design"),
        TypeInfo(MessageType.MT5102, "Tally report (理货报告), export, sea", "tally", "sea", "fact"),
        TypeInfo(MessageType.MT5202, "Tally report (理货报告), export, air", "tally", "air", "inferred"),
        TypeInfo(MessageType.MT5402, "Tally report (理货报告), export, road", "tally", "road", "inferred"),
        TypeInfo(MessageType.MT5302, "Tally report (理货报告), export, rail", "tally", "rail", "design"),
        TypeInfo(MessageType.MT6101, "Diversion (分流), sea", "diversion", "sea", "fact"),
        TypeInfo(MessageType.MT6201, "Diversion (分流), air", "diversion", "air", "inferred"),
        TypeInfo(MessageType.MT6401, "Diversion (分流), road", "diversion", "road", "inferred"),
        TypeInfo(MessageType.MT6301, "Diversion (分流), rail", "diversion", "rail", "design"),
        TypeInfo(MessageType.MT6102, "Dispatch (分拨), sea", "diversion", "sea", "fact"),
        TypeInfo(MessageType.MT6202, "Dispatch (分拨), air", "diversion", "air", "inferred"),
        TypeInfo(MessageType.MT6402, "Dispatch (分拨), road", "diversion", "road", "inferred"),
        TypeInfo(MessageType.MT6302, "Dispatch (分拨), rail", "diversion", "rail", "design"),
        TypeInfo(MessageType.MT9999, "Receipt (回执) after MT9999 / CUSRES", "receipt", "", "fact"),
        TypeInfo(
            MessageType.CD101,
            "Clearance decision after CUSRES: released, examination, documents required, held, refused",
            "clearance",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.DC101,
            "Goods declaration (报关单) with HS-coded items",
            "goods_declaration",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.WB101,
            "Multimodal waybill, one document (多式联运一单制), after IFTMIN",
            "waybill",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.WB102,
            "Waybill status event: leg hand-over or title transfer, after IFTSTA",
            "waybill_status",
            "",
            "design",
        ),
        TypeInfo(MessageType.TT101, "Through-transport declaration (转关申报)", "transit_declaration", "", "design"),
        TypeInfo(
            MessageType.TT102,
            "Through-transport arrival confirmation (转关到达确认) with seal check",
            "transit_arrival",
            "",
            "design",
        ),
        TypeInfo(MessageType.TT103, "Through-transport write-off (转关核销)", "transit_writeoff", "", "design"),
        TypeInfo(
            MessageType.RA101,
            "Risk alert, quality-safety early warning (风险预警)",
            "risk_alert",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.RA102,
            "Inspection result, for mutual recognition (查验结果互认)",
            "inspection_result",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.JV101,
            "Joint verification request (联网核查) to a peer customs",
            "verification_request",
            "",
            "design",
        ),
        TypeInfo(MessageType.JV102, "Joint verification answer", "verification_response", "", "design"),
        TypeInfo(
            MessageType.TX101,
            "Tax registration record (登记信息), dual channel",
            "tax_registration",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.TX102,
            "Real-name authentication record (实名认证信息), dual channel",
            "tax_real_name",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.TX103,
            "Abnormal enterprise record (非正常户), dual channel",
            "tax_abnormal",
            "",
            "design",
        ),
        TypeInfo(
            MessageType.TX104,
            "High-risk taxpayer record (高风险纳税人), dual channel",
            "tax_high_risk",
            "",
            "design",
        ),
        TypeInfo(MessageType.TX201, "Departure-port tax refund case (启运港退税)", "tax_refund", "", "design"),
    )
}
