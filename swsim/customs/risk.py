"""The risk engine: rules over HS codes, parties, origins, measured vs declared mass, and the tax lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from swsim.customs.magic import effect_of
from swsim.node.store import NodeStore

MASS_TOLERANCE = Decimal("0.05")
"""Declared vs measured (tally / inspection) gross mass may differ by 5% before it is a hit [design]."""


@dataclass(frozen=True)
class Hit:
    rule: str
    detail: str


def _active(alert: dict[str, Any], now: datetime) -> bool:
    # epoch seconds: offices may run in different time zones (Beijing time in messages, UTC in clocks)
    return bool(alert["valid_from"] <= now.timestamp() <= alert["valid_until"])


def assess(
    store: NodeStore,
    now: datetime,
    *,
    bill: str,
    hs_codes: list[str],
    parties: list[str],
    origins: list[str],
    declared_mass: Decimal | None,
) -> list[Hit]:
    """Every rule that hits for one consignment (empty: no risk)."""
    hits: list[Hit] = []
    if effect_of(bill) == "risk":
        hits.append(Hit("magic", f"document number {bill} starts with RISK"))
    for alert in store.all("alert"):
        if not _active(alert, now):
            continue
        for t in alert["targets"]:
            if t.get("hs_code") and t["hs_code"] in hs_codes:
                hits.append(Hit("alert-hs", f"HS {t['hs_code']} targeted by alert {alert['id']}"))
            if t.get("party_id") and t["party_id"] in parties:
                hits.append(Hit("alert-party", f"party {t['party_id']} targeted by alert {alert['id']}"))
            if t.get("origin") and t["origin"] in origins:
                hits.append(Hit("alert-origin", f"origin {t['origin']} targeted by alert {alert['id']}"))
            if t.get("bill") and t["bill"] == bill:
                hits.append(Hit("alert-bill", f"consignment {bill} targeted by alert {alert['id']}"))
    for party in parties:
        uscc = party[5:] if party.startswith("USCI+") else party
        if store.get("tax-abnormal", uscc):
            hits.append(Hit("tax-abnormal", f"{uscc} is an abnormal enterprise (非正常户) per the tax bureau"))
        if store.get("tax-high-risk", uscc):
            hits.append(Hit("tax-high-risk", f"{uscc} is a high-risk taxpayer per the tax bureau"))
    measured = store.get("measured-mass", bill)
    if declared_mass is not None and measured is not None and declared_mass > 0:
        diff = abs(Decimal(measured["mass"]) - declared_mass) / declared_mass
        if diff > MASS_TOLERANCE:
            hits.append(Hit("mass", f"measured {measured['mass']} kg vs declared {declared_mass} kg"))
    return hits
