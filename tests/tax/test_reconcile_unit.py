"""Reconciliation over known books: each kind of finding, and what makes a report clean."""

from __future__ import annotations

from tax_exchange.books import Arrival, Sent
from tax_exchange.reconcile import BookView, reconcile

CQ, SC = "15000000000", "15100000000"
T0 = 1_000_000.0


def _sent(rid: str, at: float = T0, digest: str = "d1") -> Sent:
    return Sent(rid, 1, CQ, "TX101", digest, at)


def _arr(rid: str, ch: str, at: float, digest: str = "d1") -> Arrival:
    return Arrival(rid, 1, ch, SC, digest, f"m-{rid}", at)


def _views(sent: list[Sent], arrivals: list[Arrival], applied: dict[tuple[str, int], int]) -> tuple[BookView, ...]:
    return BookView(SC, sent, [], {}), BookView(CQ, [], arrivals, applied)


def test_both_channels_in_time_is_clean() -> None:
    sc, cq = _views([_sent("R1")], [_arr("R1", "A", T0 + 1), _arr("R1", "B", T0 + 0.2)], {("R1", 1): 1})
    r = reconcile(sc, cq, threshold_s=30, now=T0 + 100)
    assert r.clean
    assert r.findings == []
    d = next(x for x in r.directions if x.sender == SC)
    assert (d.sent, d.arrived, d.applied_once) == (1, {"A": 1, "B": 1}, 1)


def test_each_kind_of_finding() -> None:
    sent = [_sent("MISS"), _sent("LATE"), _sent("BAD"), _sent("TWICE"), _sent("FLIGHT", at=T0 + 95)]
    arrivals = [
        _arr("MISS", "B", T0 + 1),
        _arr("LATE", "A", T0 + 1),
        _arr("LATE", "B", T0 + 60),
        _arr("BAD", "A", T0 + 1),
        _arr("BAD", "B", T0 + 1, digest="tampered"),
        _arr("TWICE", "A", T0 + 1),
        _arr("TWICE", "B", T0 + 1),
        _arr("FLIGHT", "B", T0 + 96),
        _arr("GHOST", "A", T0 + 1),
    ]
    applied = {("MISS", 1): 1, ("LATE", 1): 1, ("BAD", 1): 1, ("TWICE", 1): 2, ("FLIGHT", 1): 1, ("GHOST", 1): 1}
    r = reconcile(*_views(sent, arrivals, applied), threshold_s=30, now=T0 + 100)
    got = {(f.kind, f.record_id, f.channel) for f in r.findings}
    assert got == {
        ("missing", "MISS", "A"),
        ("late", "LATE", "B"),
        ("mismatch", "BAD", "B"),
        ("applied", "TWICE", ""),
        ("unexpected", "GHOST", "A"),
    }
    assert not r.clean
    d = next(x for x in r.directions if x.sender == SC)
    assert d.in_flight == {"A": 1, "B": 0}  # FLIGHT: sent 5 s ago, not yet on A: not (yet) missing


def test_late_alone_keeps_the_report_clean() -> None:
    sc, cq = _views([_sent("R1")], [_arr("R1", "A", T0 + 300), _arr("R1", "B", T0 + 1)], {("R1", 1): 1})
    r = reconcile(sc, cq, threshold_s=30, now=T0 + 400)
    assert r.clean
    assert r.count("late") == 1
    assert r.to_dict()["counts"]["late"] == 1
