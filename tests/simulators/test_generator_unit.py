"""The traffic generator: deterministic per seed, valid messages, coherent chains, the outcome mix."""

from __future__ import annotations

from collections import Counter

from schemas.codec import encode, validate
from simulators.generator import DEFAULT_MIX, Generator


def _bodies(seed: int, n_s: float = 5) -> list[bytes]:
    return [encode(p.message, "json") for p in Generator(seed).plan(100, n_s)]


def test_the_same_seed_gives_the_same_traffic_and_another_seed_other_traffic() -> None:
    assert _bodies(7) == _bodies(7)
    assert _bodies(7) != _bodies(8)


def test_every_message_is_valid_and_spaced_at_the_rate() -> None:
    plan = list(Generator(3).plan(50, 20))
    assert len(plan) == 1000
    for p in plan:
        validate(encode(p.message, "json"))  # raises MessageError on any invalid message
    assert [round(p.offset_s, 6) for p in plan[:3]] == [0.0, 0.02, 0.04]
    assert {p.message.head.sender_id for p in plan} == {p.sender for p in plan}


def test_each_consignment_is_a_chain_in_order() -> None:
    chains: dict[str, list[str]] = {}
    for p in Generator(4).plan(100, 30):
        if p.message.head.message_type.value != "TX101":
            chains.setdefault(p.key, []).append(p.message.head.message_type.value)
    complete = {
        ("MT2301", "DC101", "MT3301", "TT101", "MT3301"),
        ("MT1101", "MT5101", "TT101", "MT3301", "DC101"),
        ("WB101", "DC101", "WB102", "WB102"),
        ("MT2201", "DC101", "MT3201"),
    }
    # every chain is a prefix of one flow (the last ones may be cut off by the end of the run), most are complete
    assert all(any(tuple(c) == f[: len(c)] for f in complete) for c in chains.values())
    assert sum(tuple(c) in complete for c in chains.values()) > 0.9 * len(chains)


def test_outcomes_follow_the_mix() -> None:
    bills = {p.key for p in Generator(5).plan(200, 60) if p.message.head.message_type.value != "TX101"}
    prefixes = Counter(next((m for m in DEFAULT_MIX if m and b.startswith(m)), "") for b in bills)
    assert 0.85 < prefixes[""] / len(bills) < 0.95
    assert {m for m in DEFAULT_MIX if m} <= set(prefixes)
