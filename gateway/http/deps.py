"""Dependencies: the gateway context and the caller's identity (API key or Ed25519 request signature)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from gateway.http.errors import ApiError
from gateway.registry import Party
from gateway.service import Gateway
from swsim import signing


@dataclass(frozen=True)
class Principal:
    """Who is calling: a registered party, or the operator (who sees everything but sends nothing)."""

    party: Party | None
    operator: bool = False

    @property
    def party_id(self) -> str | None:
        return self.party.id if self.party else None

    @property
    def visibility(self) -> str | None:
        """The party whose view applies (None: the operator's view of everything)."""
        return None if self.operator else self.party_id


def gateway(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


def _signed_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


_API_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    auto_error=False,
    description="A party's or the operator's API key (simulation only: `swsim parties`).",
)
_SIGNATURE = APIKeyHeader(name="X-SW-Signature", scheme_name="signature", auto_error=False,
                          description="An Ed25519 request signature, with X-SW-Sender, X-SW-Created and X-SW-Nonce "
                          "(README: HTTP API).")  # fmt: skip


async def principal(
    request: Request,
    _key: Annotated[str | None, Security(_API_KEY)] = None,
    _signature: Annotated[str | None, Security(_SIGNATURE)] = None,
) -> Principal:
    """The caller. The two security dependencies only document the schemes in OpenAPI (either one will do); the
    headers are read here, with the gateway's own errors."""
    gw = gateway(request)
    h = request.headers
    key = h.get("x-api-key")
    if key:
        if gw.registry.is_operator_key(key):
            return Principal(None, operator=True)
        party = gw.registry.by_api_key(key)
        if party is None:
            raise ApiError(401, "AUTH_INVALID", "the API key is not valid: check X-API-Key")
        return Principal(party)
    sender = h.get("x-sw-sender")
    if sender is None:
        raise ApiError(401, "AUTH_REQUIRED", "send X-API-Key, or X-SW-Sender, X-SW-Created, X-SW-Nonce and "
                       "X-SW-Signature (Ed25519, see README)")  # fmt: skip
    created_s, nonce, sig = h.get("x-sw-created"), h.get("x-sw-nonce"), h.get("x-sw-signature")
    if not (created_s and nonce and sig):
        raise ApiError(401, "SIGNATURE_MISSING", "a signed request needs X-SW-Created, X-SW-Nonce, X-SW-Signature")
    party = gw.registry.get(sender)
    if party is None or party.public_key is None:
        raise ApiError(401, "UNKNOWN_SENDER", f"{sender!r} is not a registered party")
    # as written: int() would also read " 12", "+12" and "1_2", all signing as "12"
    if not signing.well_formed_created(created_s):
        raise ApiError(401, "SIGNATURE_INVALID", "X-SW-Created is a Unix time in whole seconds, in digits")
    if not signing.well_formed_nonce(nonce):  # each is remembered until it expires: no unbounded values in the store
        raise ApiError(401, "SIGNATURE_INVALID", "X-SW-Nonce is 1 to 128 visible ASCII characters (e.g. 32 hex)")
    created = int(created_s)
    body = await request.body()
    ok = signing.verify(party.public_key, sig, request.method, _signed_path(request), sender, created, nonce, body)
    if not ok:
        raise ApiError(401, "SIGNATURE_INVALID", "the signature does not verify: sign method, path, sender, created, "
                       "nonce and the SHA-256 of the exact body (see README)")  # fmt: skip
    window = gw.settings.signature_window_s
    now = time.time()
    if abs(int(now) - created) > window:  # in ints: ``created`` may be of any size (a float would overflow)
        raise ApiError(401, "SIGNATURE_EXPIRED", f"X-SW-Created is more than {window} s from the gateway's clock")
    if not gw.ledger.remember_nonce(sender, nonce, now, 2 * window):
        raise ApiError(401, "NONCE_REPLAYED", "this nonce was used before: a replayed request is refused")
    return Principal(party)


def require_party(p: Principal) -> Party:
    if p.party is None:
        raise ApiError(403, "FORBIDDEN", "the operator key cannot send messages: use a party's credentials")
    return p.party


def require_operator(p: Principal) -> None:
    if not p.operator:
        raise ApiError(403, "FORBIDDEN", "only the operator may do this")
