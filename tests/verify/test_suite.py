"""The verdict of `swsim verify` (``Report.problems``): a claim passes only when the data shows it. A zero that
could not have been anything else (an authorization matrix whose reads all failed) is a failure, and so is every
measured figure over its stated bound."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from swsim.verify.authz import check_authz
from swsim.verify.faults import FaultResult
from swsim.verify.hostile import MEMORY_GROWTH_BOUND_MB
from swsim.verify.suite import Report
from swsim.verify.target import SEED

AUTHZ_OK = {
    "reads": 2670, "cross_party_reads": 0, "allowed_reads": 467, "allowed_reads_ok": 467, "function_checks": 6446,
    "function_violations": 0, "allowed_sends": 1556, "allowed_sends_ok": 1556, "misrouted": 0, "problems": 0,
    "failures": [], "matrix": {},
}  # fmt: skip
HOSTILE_OK = {"inputs": 1488, "refused": 1488, "server_errors": 0, "outbound_connections": 0, "files_read": 0,
              "memory_growth_mb": -1.0, "memory_growth_bound_mb": MEMORY_GROWTH_BOUND_MB, "failures": []}  # fmt: skip


def test_a_full_clean_report_passes() -> None:
    assert Report(authz=AUTHZ_OK, hostile=HOSTILE_OK).problems() == []


def test_a_gateway_refusing_everything_fails_the_authorization_verdict() -> None:
    """No read answered, no send delivered: 0 cross-party reads and 0 violations, and not a pass."""
    client = httpx.Client(base_url="http://down.invalid", transport=httpx.MockTransport(
        lambda _r: httpx.Response(503, json={"error": {"code": "DOWN"}})))  # fmt: skip
    with client:
        authz = check_authz(client, SEED).to_dict()
    assert (authz["cross_party_reads"], authz["function_violations"]) == (0, 0)
    problems = Report(authz=authz).problems()
    assert any("entitled reads" in p for p in problems)
    assert any("allowed sends" in p for p in problems)
    assert not Report(authz=authz).to_dict()["ok"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"allowed_reads_ok": 466}, "466 of 467 entitled reads"),
        ({"allowed_reads": 0, "allowed_reads_ok": 0}, "0 of 0 entitled reads"),
        ({"allowed_sends_ok": 1500}, "1500 of 1556 allowed sends"),
        ({"allowed_sends": 0, "allowed_sends_ok": 0}, "0 of 0 allowed sends"),
        ({"function_checks": 0}, "no function-level check"),
        ({"misrouted": 2, "problems": 2, "failures": [{"kind": "misrouted"}] * 2}, "2 messages misrouted"),
        ({"problems": 1, "failures": [{"kind": "receipts_not_as_expected"}]}, "receipts_not_as_expected 1"),
    ],
)
def test_each_shortfall_of_the_matrix_fails_it(change: dict[str, Any], said: str) -> None:
    problems = Report(authz={**AUTHZ_OK, **change}).problems()
    assert any(said in p for p in problems), problems


def test_hostile_memory_over_its_bound_fails() -> None:
    grown = {**HOSTILE_OK, "memory_growth_mb": MEMORY_GROWTH_BOUND_MB + 10}
    assert Report(hostile=grown).problems() == [
        f"hostile: the gateway's memory grew {MEMORY_GROWTH_BOUND_MB + 10:g} MB (bound {MEMORY_GROWTH_BOUND_MB:g} MB)"
    ]
    assert Report(hostile={**HOSTILE_OK, "inputs": 0, "refused": 0}).problems()  # nothing sent is no pass either


def test_an_unmet_requirement_fails_a_fault_scenario_and_is_named() -> None:
    r = FaultResult("tax-channel-down", 10, 10, 10, 0, 0, 1.0, judged={"arrived_on_a == sent": False})
    assert not r.ok
    assert not r.to_dict()["ok"]
    [problem] = Report(faults=[r]).problems()
    assert problem.endswith("not met: arrived_on_a == sent")
