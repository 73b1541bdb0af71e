"""Code lists used by the messages.

Marks in the docstrings follow shared/DOMAIN.md: [fact] seen in a public source, [inferred] a reasonable
reading, [design] swsim's own choice where nothing public exists.
"""

from __future__ import annotations

from enum import StrEnum


class FunctionCode(StrEnum):
    """Head/FunctionCode. [fact] 2 add, 3 delete, 9 original; [inferred] 5 change."""

    ADD = "2"
    DELETE = "3"
    CHANGE = "5"
    ORIGINAL = "9"


class TransportMode(StrEnum):
    """UN/ECE Recommendation 19 transport mode codes [fact]."""

    SEA = "1"
    RAIL = "2"
    ROAD = "3"
    AIR = "4"
    MAIL = "5"
    MULTIMODAL = "6"
    INLAND_WATER = "8"


class PackageType(StrEnum):
    """UN/ECE Recommendation 21 package type codes (the subset the simulator uses) [fact]."""

    CARTON = "CT"
    PACKAGE = "PK"
    PALLET = "PX"
    BAG = "BG"
    CASE = "CS"
    BOX = "BX"
    DRUM = "DR"
    BALE = "BL"


class FreightPayment(StrEnum):
    """FreightPayment/MethodCode [fact]: PP prepaid, CC collect."""

    PREPAID = "PP"
    COLLECT = "CC"


class EquipmentSize(StrEnum):
    """TransportEquipment/CharacteristicCode (ISO 6346 size-type, common ones) [fact]."""

    GP20 = "20GP"
    GP40 = "40GP"
    HQ40 = "40HQ"
    RF20 = "20RF"
    RF40 = "40RF"
    OT20 = "20OT"
    TK20 = "20TK"


class FullnessCode(StrEnum):
    """TransportEquipment/FullnessCode: 5 full, 4 empty, 7 LCL consolidated [inferred from UN/EDIFACT 8169]."""

    FULL = "5"
    EMPTY = "4"
    LCL = "7"


class CustomsStatus(StrEnum):
    """Consignment/CustomsStatusCode [inferred]: goods status under customs control."""

    IMPORT = "001"
    EXPORT = "002"
    TRANSIT = "003"
    TRANSSHIPMENT = "004"
    THROUGH_TRANSPORT = "005"


class CustomsOffice(StrEnum):
    """Customs district codes (关区代码). Districts are [fact]; sub-offices are synthetic [design]."""

    CHENGDU = "7900"
    CHENGDU_RAILWAY_PORT = "7901"  # synthetic sub-office: Chengdu international railway port
    CHENGDU_AIRPORT = "7902"  # synthetic sub-office: Chengdu Shuangliu/Tianfu airport
    LUZHOU = "7903"  # synthetic sub-office: Luzhou port
    YIBIN = "7904"  # synthetic sub-office: Yibin port
    CHONGQING = "8000"
    CHONGQING_RAILWAY_PORT = "8001"  # synthetic sub-office: Tuanjiecun railway port
    CHONGQING_AIRPORT = "8002"  # synthetic sub-office: Jiangbei airport
    GUOYUAN = "8003"  # synthetic sub-office: Guoyuan port
    WANZHOU = "8004"  # synthetic sub-office: Wanzhou port
    NANNING = "7200"  # Qinzhou port is under Nanning customs
    SHANGHAI = "2200"
    ALASHANKOU = "9402"
    KHORGOS = "9403"


SYNTHETIC_OFFICES = frozenset(
    {
        CustomsOffice.CHENGDU_RAILWAY_PORT,
        CustomsOffice.CHENGDU_AIRPORT,
        CustomsOffice.LUZHOU,
        CustomsOffice.YIBIN,
        CustomsOffice.CHONGQING_RAILWAY_PORT,
        CustomsOffice.CHONGQING_AIRPORT,
        CustomsOffice.GUOYUAN,
        CustomsOffice.WANZHOU,
    }
)


class Locode(StrEnum):
    """UN/LOCODEs the simulator knows [fact: codes; the subset is ours]."""

    CNCKG = "CNCKG"  # Chongqing
    CNCTU = "CNCTU"  # Chengdu
    CNWZH = "CNWZH"  # Wanzhou
    CNLUZ = "CNLUZ"  # Luzhou
    CNYIB = "CNYIB"  # Yibin
    CNQZH = "CNQZH"  # Qinzhou
    CNSHA = "CNSHA"  # Shanghai
    CNNNG = "CNNNG"  # Nanning
    CNAKL = "CNAKL"  # Alashankou
    CNHRG = "CNHRG"  # Khorgos
    PLMAA = "PLMAA"  # Małaszewicze
    PLLOD = "PLLOD"  # Łódź
    PLLUL = "PLLUL"  # Lublin
    DEDUI = "DEDUI"  # Duisburg
    DEHAM = "DEHAM"  # Hamburg
    NLRTM = "NLRTM"  # Rotterdam
    SGSIN = "SGSIN"  # Singapore
    VNHPH = "VNHPH"  # Haiphong
    THLCH = "THLCH"  # Laem Chabang
    KZDRU = "KZDRU"  # Dostyk
    BYBRS = "BYBRS"  # Brest


class RiskLevel(StrEnum):
    """Risk alert level [design]."""

    LOW = "1"
    MEDIUM = "2"
    HIGH = "3"
    CRITICAL = "4"


class RiskCategory(StrEnum):
    """Risk alert category [design, after the plans' quality-safety early warning]."""

    QUALITY_SAFETY = "QS"
    IPR = "IP"
    SANITARY = "SP"
    VALUATION = "VA"
    ORIGIN = "OR"
    SECURITY = "SE"
    TAX = "TX"


class RiskMeasure(StrEnum):
    """Measures a risk alert asks for [design]."""

    DOCUMENT_CHECK = "DOC"
    PHYSICAL_INSPECTION = "INS"
    SAMPLING = "SMP"
    HOLD = "HLD"
    DENY_ENTRY = "DNY"
    WATCH = "WCH"


class InspectionOutcome(StrEnum):
    """Inspection result outcome (for mutual recognition) [design]."""

    CONFORM = "C"
    NON_CONFORM = "N"
    NOT_INSPECTED = "X"


class ResponseStatus(StrEnum):
    """Receipt status after CUSRES [inferred]: accepted, accepted with warnings, rejected, held, released."""

    ACCEPTED = "01"
    ACCEPTED_WITH_WARNINGS = "02"
    REJECTED = "03"
    HELD = "04"
    RELEASED = "05"


class ReceiptCode(StrEnum):
    """MT9999 Response/ResponseType codes. 19000-19004 [fact, road manifests]; the rest [design]."""

    ACCEPTED = "19000"
    REJECTED_EXISTS = "19001"
    MANUAL_REVIEW = "19003"
    UNLOADING_PLACE_MISMATCH = "19004"
    REJECTED_INVALID = "19010"
    REJECTED_UNAUTHORIZED = "19011"
    DELIVERED = "19020"
    HELD_FOR_RISK = "19030"
    RELEASED = "19040"


class ClearanceDecision(StrEnum):
    """Clearance decision codes after CUSRES [inferred]."""

    RELEASED = "RL"
    EXAMINATION = "EX"
    DOCUMENTS_REQUIRED = "DR"
    HELD = "HD"
    REFUSED = "RF"


class LegStatus(StrEnum):
    """Multimodal leg status [design, after IFTSTA]."""

    PLANNED = "PLN"
    DEPARTED = "DEP"
    ARRIVED = "ARR"
    HANDED_OVER = "HND"


class TitleStatus(StrEnum):
    """Document-of-title status [design]."""

    NEGOTIABLE = "NEG"
    PLEDGED = "PLG"
    RELEASED = "REL"
    SURRENDERED = "SUR"


class SealStatus(StrEnum):
    """Seal check result at arrival [design]."""

    INTACT = "OK"
    BROKEN = "BR"
    MISSING = "MS"


class TaxRecordKind(StrEnum):
    """Dual-channel record categories [design]."""

    REGISTRATION = "REG"
    REAL_NAME = "RNA"
    ABNORMAL = "ABN"
    HIGH_RISK = "HRT"


class TaxpayerStatus(StrEnum):
    NORMAL = "03"
    SUSPENDED = "05"
    CANCELLED = "07"
    ABNORMAL = "09"


class CreditGrade(StrEnum):
    """Tax credit grades [fact]."""

    A = "A"
    B = "B"
    M = "M"
    C = "C"
    D = "D"


class RealNameRole(StrEnum):
    LEGAL_REPRESENTATIVE = "LR"
    FINANCIAL_OFFICER = "FO"
    TAX_AGENT = "TA"
    PURCHASER = "PU"


class IdDocumentType(StrEnum):
    RESIDENT_ID = "201"
    PASSPORT = "227"
    HK_MACAU_PERMIT = "233"
    FOREIGN_PERMANENT = "208"


class AuthChannel(StrEnum):
    APP = "APP"
    COUNTER = "CTR"
    WEB = "WEB"


class HighRiskIndicator(StrEnum):
    FALSE_INVOICING = "FI"
    REFUND_FRAUD = "RF"
    SHELL_COMPANY = "SC"
    ABNORMAL_DEDUCTION = "AD"


class HandlingStatus(StrEnum):
    PUSHED = "P"
    VERIFYING = "V"
    CLEARED = "C"
    CONFIRMED = "F"


class RefundClass(StrEnum):
    """Export refund management class 1-4 [fact]: 1 and 2 may use departure-port refund."""

    CLASS_1 = "1"
    CLASS_2 = "2"
    CLASS_3 = "3"
    CLASS_4 = "4"


class RefundState(StrEnum):
    """Departure-port tax refund case states (DOMAIN.md §5)."""

    RELEASED = "RELEASED"
    REFUNDED = "REFUNDED"
    REFUSED = "REFUSED"
    EXITED = "EXITED"
    WRITTEN_OFF = "WRITTEN_OFF"
    NOT_ARRIVED = "NOT_ARRIVED"
    CLAWBACK = "CLAWBACK"


class CustomsCredit(StrEnum):
    """Customs enterprise credit [fact]: AEO advanced, general, dishonest."""

    AEO = "AEO"
    GENERAL = "GEN"
    DISHONEST = "DIS"


class VerificationResult(StrEnum):
    """Joint verification (联网核查) answer [design]."""

    MATCH = "MATCH"
    MISMATCH = "MISMATCH"
    NOT_FOUND = "NOTFOUND"


class ImportExport(StrEnum):
    IMPORT = "I"
    EXPORT = "E"


class DirectOption(StrEnum):
    """Fast-clearance options [fact: the plans name them]: release may precede arrival."""

    SHIP_SIDE_PICKUP = "SSP"  # 船边直提: import pickup at ship side
    DIRECT_LOADING = "DLA"  # 抵港直装: export loading on arrival


class WriteOffResult(StrEnum):
    CLOSED = "OK"
    DISCREPANCY = "DS"
