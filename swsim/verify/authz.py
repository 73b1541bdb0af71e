"""Authorization, counted, over the gateway's HTTP API: the full callers x objects x read endpoints matrix (a party
sees only what it sent or received, the operator everything, an anonymous caller nothing; with a message, a receiver
sees only its own receipt, never the sender's rejections of other attempts with the MessageID), and function-level
checks (every party x message type x receiver against the registry's sending rules, and every operator-only
endpoint tried with a party's key).

The expectations come from the registry's rules (:data:`gateway.registry.SEND_RULES`), never from the gateway's
answers: who sent and who received each object is known from how it was made.
"""

from __future__ import annotations

import httpx

from swsim.verify.authz_model import (
    BATCH_ITEMS,
    COLLISION_ENDPOINTS,
    DASHBOARD_ENDPOINTS,
    MAX_FAILURES,
    OBJECT_ENDPOINTS,
    OPERATOR_ONLY,
    RECEIPT_ENDPOINTS,
    AuthzResult,
    Network,
    _Run,
)
from swsim.verify.authz_objects import make_collision, make_objects, make_reused_id
from swsim.verify.authz_reads import deadletter_reads, find_seqs, read_matrix
from swsim.verify.authz_sends import (
    impersonation,
    operator_cannot_send,
    operator_endpoints,
    redrive_keeps_rules,
    send_matrix,
    single_sends,
)
from swsim.verify.target import Target

__all__ = [
    "BATCH_ITEMS",
    "COLLISION_ENDPOINTS",
    "DASHBOARD_ENDPOINTS",
    "MAX_FAILURES",
    "OBJECT_ENDPOINTS",
    "OPERATOR_ONLY",
    "RECEIPT_ENDPOINTS",
    "AuthzResult",
    "check_authz",
    "run_authz",
]

# ---------------------------------------------------------------------------------------------------------------- run


def check_authz(client: httpx.Client, seed: str, operator: str | None = None, workers: int = 1) -> AuthzResult:
    """The whole check against the gateway behind ``client`` (an :class:`httpx.Client` with its base URL, or a
    Starlette TestClient), whose network was derived from ``seed``."""
    run = _Run(client, Network.of(seed, operator), AuthzResult(0, 0, 0, 0), workers)
    callers = run.net.callers()
    objects = make_objects(run)
    reused = make_reused_id(run)
    objects += [reused] if reused is not None else []
    collision = make_collision(run)
    send_matrix(run)
    dead = single_sends(run)
    impersonation(run)
    operator_cannot_send(run)
    find_seqs(run, objects)
    read_matrix(run, callers, objects, collision)
    deadletter_reads(run, callers, dead)
    operator_endpoints(run, callers, next((o.seq for o in objects if o.seq), 1), dead)
    redrive_keeps_rules(run, dead)
    run.result.matrix = {
        "callers": [c.name for c in callers],
        "objects": [o.to_dict() for o in objects],
        "collision": [o.to_dict() for o in collision],
        "object_endpoints": list(OBJECT_ENDPOINTS),
        "collision_endpoints": list(COLLISION_ENDPOINTS),
        "deadletter_objects": {p: ids[0] for p, ids in dead.items()},
        "operator_only": list(OPERATOR_ONLY),
    }
    return run.result


def run_authz(target: Target, workers: int = 4) -> AuthzResult:
    """:func:`check_authz` against a running gateway process."""
    with httpx.Client(base_url=target.base_url, timeout=60) as client:
        return check_authz(client, target.settings.network_seed, target.settings.operator_api_key, workers)
