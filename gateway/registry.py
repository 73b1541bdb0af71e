"""The party registry: who exists, how they authenticate, and who may send what to whom."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from schemas.message_types import TYPE_INFO, MessageType
from swsim.errors import SetupError
from swsim.network import GATEWAY_ID, Role, api_key, default_parties, digest, operator_key, private_key
from swsim.settings import Settings
from swsim.signing import load_public_key

C, T, TR, CA, F, G = (Role.CUSTOMS, Role.TAX, Role.TRADER, Role.CARRIER, Role.FOREIGN_CUSTOMS, Role.GATEWAY)
_ANY = frozenset(Role)

# sender role -> message kind -> receiver roles allowed [design: after the plans' division of duties]
SEND_RULES: dict[Role, dict[str, frozenset[Role]]] = {
    TR: {
        **{k: frozenset({C}) for k in ("manifest", "arrival", "loading", "tally", "diversion")},
        "goods_declaration": frozenset({C}),
        "waybill": frozenset({C, CA, TR}),
        "waybill_status": frozenset({C, CA, TR}),
        "transit_declaration": frozenset({C}),
        "receipt": _ANY,
    },
    CA: {
        **{k: frozenset({C}) for k in ("manifest", "arrival", "loading", "tally", "diversion")},
        "waybill": frozenset({C, CA, TR}),
        "waybill_status": frozenset({C, CA, TR}),
        "transit_declaration": frozenset({C}),
        "receipt": _ANY,
    },
    C: {
        **{k: frozenset({C}) for k in ("manifest", "arrival", "loading", "tally", "diversion")},
        "goods_declaration": frozenset({C, T}),
        "receipt": _ANY,
        "clearance": frozenset({TR, CA, C, T}),
        "waybill_status": frozenset({C, CA, TR}),
        "transit_declaration": frozenset({C}),
        "transit_arrival": frozenset({C, TR, CA}),
        "transit_writeoff": frozenset({C, TR, CA, T}),
        "risk_alert": frozenset({C}),
        "inspection_result": frozenset({C}),
        "verification_request": frozenset({F}),
        "tax_refund": frozenset({T}),
    },
    F: {"verification_response": frozenset({C}), "receipt": _ANY},
    T: {
        "tax_registration": frozenset({T}),
        "tax_real_name": frozenset({T}),
        "tax_abnormal": frozenset({T, C}),
        "tax_high_risk": frozenset({T, C}),
        "tax_refund": frozenset({T, C, TR}),
        "receipt": _ANY,
    },
    G: {"receipt": _ANY},
}

BROADCAST_KINDS = frozenset({"risk_alert"})
"""Risk alerts go to every domestic customs office except the issuer, whatever Head/ReceiverID says."""


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    role: Role
    public_key: Ed25519PublicKey | None
    api_key_sha256: str | None


class Registry:
    def __init__(self, parties: list[Party], operator_key_sha256: str) -> None:
        self.parties = {p.id: p for p in parties}
        self._by_key = {p.api_key_sha256: p for p in parties if p.api_key_sha256}
        self.operator_key_sha256 = operator_key_sha256

    def get(self, party_id: str) -> Party | None:
        return self.parties.get(party_id)

    def by_api_key(self, key: str) -> Party | None:
        d = digest(key)
        for known, party in self._by_key.items():
            if hmac.compare_digest(known, d):
                return party
        return None

    def is_operator_key(self, key: str) -> bool:
        return hmac.compare_digest(self.operator_key_sha256, digest(key))

    def allowed(self, sender: Party, message_type: MessageType, receiver: Party) -> bool:
        kind = TYPE_INFO[message_type].kind
        return receiver.role in SEND_RULES.get(sender.role, {}).get(kind, frozenset())

    def receivers_for(self, sender: Party, message_type: MessageType, receiver: Party) -> list[Party]:
        """Where the message goes: the receiver, or every domestic customs office but the sender for broadcasts."""
        if TYPE_INFO[message_type].kind in BROADCAST_KINDS:
            return [p for p in self.parties.values() if p.role == Role.CUSTOMS and p.id != sender.id]
        return [receiver]

    def with_roles(self, *roles: Role) -> list[Party]:
        return [p for p in self.parties.values() if p.role in roles]


def build_registry(settings: Settings) -> Registry:
    """The simulated network's parties (public keys only), plus or replaced by SWSIM_REGISTRY_FILE entries."""
    seed = settings.network_seed
    parties = {
        p.id: Party(p.id, p.name, p.role, private_key(seed, p.id).public_key(), digest(api_key(seed, p.id)))
        for p in default_parties(seed)
        if p.id != GATEWAY_ID
    }
    parties[GATEWAY_ID] = Party(GATEWAY_ID, "Single-window gateway", Role.GATEWAY, None, None)
    if settings.registry_file is not None:
        for entry in load_registry_file(settings.registry_file):
            parties[entry.id] = entry
    op = settings.operator_api_key or operator_key(seed)
    return Registry(list(parties.values()), digest(op))


def load_registry_file(path: Path) -> list[Party]:
    """``{"parties": [{"id", "name", "role", "public_key" (base64 Ed25519), "api_key_sha256"?}]}``. A file that
    cannot be read or is not of this form is a :class:`~swsim.errors.SetupError` naming the file and the entry."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SetupError(f"registry file {path} (SWSIM_REGISTRY_FILE): {e.strerror or e}") from e
    except ValueError as e:
        raise SetupError(f"registry file {path} (SWSIM_REGISTRY_FILE) is not JSON: {e}") from e
    entries = doc.get("parties") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise SetupError(f'registry file {path}: expected {{"parties": [...]}}')
    parties = []
    for i, item in enumerate(entries):
        try:
            parties.append(_party(item))
        except (ValueError, TypeError) as exc:
            raise SetupError(f"registry file {path}: party {i + 1} {exc}") from exc
    return parties


def _party(item: object) -> Party:
    """One entry of a registry file; ValueError says what is wrong with it (after "party N")."""
    if not isinstance(item, dict):
        raise ValueError("is not an object")
    missing = [k for k in ("id", "role") if k not in item]
    if missing:
        raise ValueError(f"has no {' or '.join(repr(k) for k in missing)}")
    if item["role"] not in {r.value for r in Role}:
        raise ValueError(f"has role {item['role']!r}; roles: {', '.join(r.value for r in Role)}")
    key = None
    if item.get("public_key"):
        try:
            key = load_public_key(item["public_key"])
        except (ValueError, TypeError) as e:
            raise ValueError(f"has a public_key that is not a base64 Ed25519 public key ({e})") from e
    return Party(str(item["id"]), str(item.get("name", item["id"])), Role(item["role"]), key,
                 item.get("api_key_sha256"))  # fmt: skip
