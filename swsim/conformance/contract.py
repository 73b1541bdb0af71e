"""The role contracts of the conformance kit, as data: what a node in each role receives, what it must send in reply,
to whom, and within what time. The checks (:mod:`swsim.conformance.judge`) and the generated documentation
(``docs/conformance.md``, :mod:`swsim.conformance.docs`) both read these definitions, so they cannot drift apart.

The contracts describe the simulator's model of the exchange [design, after DOMAIN.md §4-5], not a published
government specification.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.message_types import MessageType as T

RECEIPT_S = 10.0
"""Time limit for a receipt (MT9999) and for the other replies, in seconds of real time [design]."""


@dataclass(frozen=True)
class Reply:
    """One message the node under test must send."""

    type: T
    to: str
    """Who must receive it: one of the names in :data:`WHO`, or a party id."""
    within_s: float = RECEIPT_S
    answers: bool = True
    """Its Head/CausationID must be the MessageID of the message it answers."""
    allowed: tuple[str, ...] = ()
    """The codes allowed in it: receipt status, clearance decision, write-off result or refund state."""
    note: str = ""

    @property
    def presence(self) -> str:
        """The check that fails when nothing was sent: ``receipt`` for a receipt, ``reply`` otherwise."""
        return "receipt" if self.type == T.MT9999 else "reply"


@dataclass(frozen=True)
class Rule:
    """When the node receives ``receives`` (in the situation ``when``), it sends ``replies``."""

    id: str
    receives: tuple[T, ...]
    sender: str
    when: str
    replies: tuple[Reply, ...]
    task: bool = False
    """The trigger is a work order on the conformance task topic, not a message (roles that initiate filings)."""
    line_s: float | None = None
    """The message comes over the tax dedicated line (channel B); the node must answer the request (HTTP 200)
    within this many seconds."""


WHO = {
    "sender": "the party that sent the message being answered",
    "declarant": "the party that declared the through-transport (TT101) at the departure office",
    "departure": "the departure office of the through-transport",
    "destination": "the destination office of the through-transport",
    "tax": "the exporter's tax bureau (USCC region 50: Chongqing 15000000000, 51: Sichuan 15100000000)",
    "exporter": "the exporter's exchange id (ExporterID in the refund case)",
    "foreign": "the customs of the destination country (PLCUS for Poland, SGCUS for Singapore)",
    "office": "the customs office named in the work order",
}
"""The names a reply's receiver is given by, resolved by each scenario step."""

ACCEPTED, HELD = "01", "04"
RL, EX, HD = "RL", "EX", "HD"


def _receipt(*allowed: str, note: str = "") -> Reply:
    return Reply(T.MT9999, "sender", allowed=allowed or (ACCEPTED,), note=note)


MANIFESTS = (T.MT1101, T.MT2301, T.MT5101)

CUSTOMS = (
    Rule(
        "filing",
        (*MANIFESTS, T.WB101),
        "carrier or trader",
        "a manifest, tally report or multimodal waybill filed at this office",
        (_receipt(ACCEPTED, note="ReferenceMessageID names the filing; status 01 accepted"),),
    ),
    Rule(
        "waybill-event",
        (T.WB102,),
        "carrier",
        "a leg event (hand-over, arrival) on a waybill filed at this office",
        (_receipt(ACCEPTED),),
    ),
    Rule(
        "endorsement-refused",
        (T.WB102,),
        "carrier",
        "a leg event that endorses a title pledged to a bank to another party: refuse the whole event",
        (_receipt("03", note="03 rejected, with the reason in Error"),),
    ),
    Rule(
        "arrival-of-export",
        (T.MT3301,),
        "carrier",
        "an arrival report for an export whose declaration waits for the goods' arrival",
        (
            _receipt(ACCEPTED),
            Reply(T.CD101, "declarant", allowed=(RL,), answers=False, note="release on arrival (运抵)"),
        ),
    ),
    Rule(
        "transit-arrival",
        (T.MT3301,),
        "carrier",
        "an arrival report for goods under a through-transport (转关) declared to this office as destination",
        (
            _receipt(ACCEPTED),
            Reply(T.TT102, "departure", allowed=("intact",), note="arrival confirmed, every seal checked"),
        ),
    ),
    Rule(
        "forwarded-transit",
        (T.TT101,),
        "the departure customs office",
        "a through-transport declaration forwarded by its departure office: expect the goods, answer nothing",
        (),
    ),
    Rule(
        "transit-declaration-refund",
        (T.TT101,),
        "trader",
        "a through-transport to an exit port for an export released here (departure-port tax refund, 启运港退税)",
        (
            _receipt(ACCEPTED),
            Reply(T.TT101, "destination", note="the declaration forwarded to the destination office"),
            Reply(T.TX201, "tax", answers=False, allowed=("RELEASED",), note="the refund case opened, state RELEASED"),
        ),
    ),
    Rule(
        "exit-confirmed",
        (T.TT102,),
        "the border exit office",
        "the exit office confirmed arrival of an export under departure-port refund, bound abroad",
        (
            Reply(T.TT103, "destination", allowed=("OK",), note="the through-transport written off (结关核销)"),
            Reply(T.TT103, "declarant", allowed=("OK",)),
            Reply(T.JV101, "foreign", note="joint verification (联网核查) with the destination country's customs"),
            Reply(T.TX201, "tax", allowed=("EXITED",), note="the refund case: the goods exited"),
        ),
    ),
    Rule(
        "exit-confirmed-refund",
        (T.TT102,),
        "the exit customs office",
        "the exit office confirmed arrival of an export under departure-port refund",
        (
            Reply(T.TT103, "destination", allowed=("OK",), note="the through-transport written off (结关核销)"),
            Reply(T.TT103, "declarant", allowed=("OK",)),
            Reply(T.TX201, "tax", allowed=("EXITED",), note="the refund case: the goods exited"),
        ),
    ),
    Rule(
        "declaration-release",
        (T.DC101,),
        "trader",
        "a goods declaration matching an accepted manifest, waybill or through-transport, with no risk",
        (Reply(T.CD101, "sender", allowed=(RL,), note="clearance decision: released"),),
    ),
    Rule(
        "declaration-export",
        (T.DC101,),
        "trader",
        "an export declaration for goods that have not arrived at the supervised place yet",
        (_receipt(ACCEPTED, note="accepted; release follows the arrival report (运抵)"),),
    ),
    Rule(
        "declaration-alerted",
        (T.DC101,),
        "trader",
        "a goods declaration whose goods match an active risk alert (own or shared by another customs office)",
        (Reply(T.CD101, "sender", allowed=(HD, EX), note="held or examined on the strength of the alert"),),
    ),
    Rule(
        "risk-alert",
        (T.RA101,),
        "another customs office, through the gateway",
        "a shared risk alert (风险预警): keep it and apply it to later declarations; answer nothing",
        (),
    ),
    Rule(
        "refund-decided",
        (T.TX201,),
        "tax bureau",
        "the tax bureau's decision on a refund case this office opened: keep it; answer nothing",
        (),
    ),
)

TAX = (
    Rule(
        "peer-record",
        (T.TX101, T.TX102, T.TX103, T.TX104),
        "the peer tax bureau (dual channel, channel A)",
        "a record from the peer bureau: apply it once, whichever channel brings it first; answer nothing",
        (),
    ),
    Rule(
        "peer-record-line",
        (T.TX101, T.TX102, T.TX103, T.TX104),
        "the peer tax bureau (dual channel, channel B: the dedicated line)",
        "the same record over the dedicated line (checked when the kit is given the node's line, --tax-line URL)",
        (),
        line_s=RECEIPT_S,
    ),
    Rule(
        "refund-opened",
        (T.TX201,),
        "customs office",
        "a departure-port refund case opened by customs (state RELEASED) for an exporter of refund class 1 with "
        "general customs credit, whose registration the peer bureau shared (so the refund is granted)",
        (
            Reply(T.TX201, "sender", allowed=("REFUNDED",), note="the decision, back to customs"),
            Reply(T.TX201, "exporter", allowed=("REFUNDED",), note="the same case, to the exporter"),
        ),
    ),
    Rule(
        "refund-exited",
        (T.TX201,),
        "customs office",
        "customs reports the goods exited (state EXITED) on a refunded case",
        (
            Reply(T.TX201, "sender", allowed=("WRITTEN_OFF",), note="EXITED -> WRITTEN_OFF, back to customs"),
            Reply(T.TX201, "exporter", allowed=("WRITTEN_OFF",)),
        ),
    ),
    Rule(
        "refund-not-arrived",
        (T.TX201,),
        "customs office",
        "customs reports the goods never reached the exit port (state NOT_ARRIVED) on a refunded case",
        (
            Reply(T.TX201, "sender", allowed=("CLAWBACK",), note="NOT_ARRIVED -> CLAWBACK, back to customs"),
            Reply(T.TX201, "exporter", allowed=("CLAWBACK",)),
        ),
    ),
)


def _task(rule_id: str, mt: T, what: str) -> Rule:
    return Rule(
        rule_id,
        (mt,),
        "the conformance kit (work order)",
        what,
        (Reply(mt, "office", answers=False, note=f"the {mt.value} the work order asks for, about its bill"),),
        task=True,
    )


CARRIER = (
    _task("file-manifest", T.MT1101, "file the original manifest (原始舱单) of an inbound sea consignment"),
    _task("file-tally", T.MT5101, "file the tally report (理货报告) of an inbound sea consignment"),
    _task("file-pre-manifest", T.MT2301, "file the rail pre-manifest (预配舱单) of an export consignment"),
    _task("report-arrival", T.MT3301, "report the arrival (运抵) of a consignment at a railway port"),
    _task("report-leg", T.WB102, "report a leg event (hand-over or arrival) on a multimodal waybill"),
)

ROLE_RULES: dict[str, tuple[Rule, ...]] = {
    # 8000's exports leave by the domestic exit port Qinzhou, 7900's by the border exit Alashankou (see the scenarios)
    "customs-cq": tuple(r for r in CUSTOMS if r.id != "exit-confirmed"),
    "customs-cd": tuple(r for r in CUSTOMS if r.id != "exit-confirmed-refund"),
    "tax-cq": TAX,
    "tax-sc": TAX,
    "carrier": CARRIER,
}
ROLE_TITLES = {
    "customs-cq": "Chongqing customs, 关区 8000",
    "customs-cd": "Chengdu customs, 关区 7900",
    "tax-cq": "Chongqing tax bureau, 15000000000",
    "tax-sc": "Sichuan tax bureau, 15100000000",
    "carrier": "a rail carrier (the first carrier of the simulated network)",
}
ROLES = tuple(ROLE_RULES)


def rule(role: str, rule_id: str) -> Rule:
    found = next((r for r in ROLE_RULES[role] if r.id == rule_id), None)
    if found is None:
        raise KeyError(f"role {role} has no rule {rule_id!r}")
    return found


CHECKS = {
    "receipt": "a receipt (MT9999) was sent for the message received",
    "reply": "the reply was sent (a message of the expected type, about the same consignment)",
    "type": "the reply has the expected message type",
    "signature": "the reply was signed with the key registered for the node's party (the gateway authenticated it)",
    "schema": "the reply passed the gateway's schema validation (not dead-lettered)",
    "receiver": "the reply went to the expected party",
    "correlation": "CorrelationID is the consignment reference; CausationID names the message answered",
    "content": "the reply says what the rule asks: the message it refers to, the allowed codes",
    "transition": "every state transition in the reply is allowed (refund case state machine)",
    "time": "the reply reached the gateway within the rule's time limit",
    "silence": "nothing was sent in answer where the rule asks for no reply",
}
"""Every check the kit makes, by its stable code (reports and scripts rely on these codes)."""
