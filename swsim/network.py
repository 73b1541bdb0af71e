"""The simulated network: its parties, their roles, and their (simulation-only) credentials.

Every simulated party's Ed25519 key and API key is derived from ``SWSIM_NETWORK_SEED`` so that the nodes, the
traffic generator and the tests can act as those parties. That is a convenience of the simulator, not a security
design: the gateway itself only ever holds public keys and API-key digests (see :mod:`gateway.registry`), and an
external system plugged into the network registers its own public key in ``SWSIM_REGISTRY_FILE``.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.synthetic import make_org_sender


class Role(StrEnum):
    CUSTOMS = "customs"
    TAX = "tax"
    TRADER = "trader"
    CARRIER = "carrier"
    FOREIGN_CUSTOMS = "foreign_customs"
    GATEWAY = "gateway"


@dataclass(frozen=True)
class PartyInfo:
    id: str
    name: str
    role: Role


GATEWAY_ID = "SWGW"
TAX_CQ = "15000000000"
TAX_SC = "15100000000"
TAX_PEER = {TAX_CQ: TAX_SC, TAX_SC: TAX_CQ}
"""The two bureaus of the dual channel (双通道), each the other's peer."""
DOMESTIC_CUSTOMS = ("8000", "7900")
"""The customs offices whose risk engines receive the tax bureaus' abnormal-enterprise and high-risk lists."""


def tax_bureau_for(uscc: str, office: str) -> str:
    """The tax bureau of a taxpayer: by the USCC's administrative division (50 Chongqing, 51 Sichuan), else by the
    customs office's own region."""
    region = uscc[2:4]
    if region == "50":
        return TAX_CQ
    if region == "51":
        return TAX_SC
    return TAX_SC if office.startswith("79") else TAX_CQ


def default_parties(seed: str) -> list[PartyInfo]:
    """The parties of the simulated network. Trader/carrier IDs are synthetic (customs code + org code)."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    return [
        PartyInfo("8000", "Chongqing Customs (simulated)", Role.CUSTOMS),
        PartyInfo("7900", "Chengdu Customs (simulated)", Role.CUSTOMS),
        PartyInfo("7200", "Nanning Customs, Qinzhou port (simulated)", Role.CUSTOMS),
        PartyInfo("9402", "Alashankou Customs, border exit (simulated)", Role.CUSTOMS),
        PartyInfo(TAX_CQ, "Chongqing Tax Bureau (simulated)", Role.TAX),
        PartyInfo(TAX_SC, "Sichuan Tax Bureau (simulated)", Role.TAX),
        PartyInfo("SGCUS", "Singapore Customs (simulated stub)", Role.FOREIGN_CUSTOMS),
        PartyInfo("PLCUS", "Polish Customs, Lodz/Lublin (simulated stub)", Role.FOREIGN_CUSTOMS),
        PartyInfo(make_org_sender(rng, "7900"), "Synthetic Chengdu Exporter", Role.TRADER),
        PartyInfo(make_org_sender(rng, "8000"), "Synthetic Chongqing Importer", Role.TRADER),
        PartyInfo(make_org_sender(rng, "8000"), "Synthetic Chongqing Rail Carrier", Role.CARRIER),
        PartyInfo(make_org_sender(rng, "8000"), "Synthetic Yangtze Barge Operator", Role.CARRIER),
        PartyInfo(GATEWAY_ID, "Single-window gateway", Role.GATEWAY),
    ]


def _derive(seed: str, party: str, purpose: str) -> bytes:
    return hmac.new(seed.encode(), f"{purpose}|{party}".encode(), hashlib.sha256).digest()


def private_key(seed: str, party: str) -> Ed25519PrivateKey:
    """The simulated party's signing key (derived from the seed; simulation only)."""
    return Ed25519PrivateKey.from_private_bytes(_derive(seed, party, "ed25519"))


def tax_pepper(seed: str) -> bytes:
    """The key both tax bureaus use to digest identity numbers in real-name records (simulation only)."""
    return _derive(seed, "tax-bureaus", "real-name-pepper")


def api_key(seed: str, party: str) -> str:
    """The simulated party's API key (derived from the seed; simulation only)."""
    return "sk_" + _derive(seed, party, "api-key").hex()[:40]


def operator_key(seed: str) -> str:
    return "op_" + _derive(seed, "operator", "api-key").hex()[:40]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
