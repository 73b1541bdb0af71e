"""Outcome control for testers: document numbers whose prefix forces a branch [design].

Integration teams drive every branch on purpose by choosing the transport document (B/L, waybill) number of the
consignment. The prefixes are matched case-sensitively at the start of ``TransportContractDocument/ID``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Magic:
    prefix: str
    effect: str
    description: str


MAGIC: tuple[Magic, ...] = (
    Magic("REJ", "reject", "Customs rejects the manifest or declaration (MT9999 status 03, code 19010)."),
    Magic("HOLD", "hold", "Customs holds the filing for manual review (MT9999 status 04, code 19003)."),
    Magic("INSP", "inspect", "The goods declaration is answered with examination (CD101 EX) instead of release."),
    Magic(
        "RISK", "risk", "A risk hit: the consignment is held (CD101 HD) and a risk alert goes to every other customs."
    ),
    Magic("SEAL", "seal", "Seals are found broken at arrival: the transit is written off with a discrepancy."),
    Magic("LATE", "late", "The goods never arrive: the through-transport passes its deadline and is flagged overdue."),
    Magic("DLY", "delay", "Customs answers (receipts, decisions) are withheld until 2 simulated hours have passed."),
)


DELAY_HOURS = 2


def effect_of(document_id: str | None) -> str | None:
    if not document_id:
        return None
    for m in MAGIC:
        if document_id.startswith(m.prefix):
            return m.effect
    return None
