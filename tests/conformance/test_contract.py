"""The role contracts: the documentation is generated from the definitions the checks use; the checks judge what
they should (unit tests, no broker)."""

from __future__ import annotations

from types import SimpleNamespace

from gateway.ledger import DeadLetter, MessageRecord
from schemas import codes as c
from schemas.message_types import MessageType
from swsim.conformance import docs
from swsim.conformance.contract import CHECKS, ROLE_RULES, WHO, rule
from swsim.conformance.judge import Stimulus, judge, match, silence, transition_problems


def test_the_committed_documentation_is_what_the_contracts_say() -> None:
    assert docs.PATH.read_text(encoding="utf-8") == docs.render(), "run: python -m swsim.conformance.docs"


def test_every_receiver_name_and_check_is_explained() -> None:
    for rules in ROLE_RULES.values():
        for r in rules:
            for reply in r.replies:
                assert reply.to in WHO, (r.id, reply.to)
                assert reply.presence in CHECKS


def _t(frm: str | None, to: str) -> SimpleNamespace:
    return SimpleNamespace(from_state_code=c.RefundState(frm) if frm else None, to_state_code=c.RefundState(to))


def _case(*steps: tuple[str | None, str]) -> SimpleNamespace:
    ts = [_t(f, t) for f, t in steps]
    return SimpleNamespace(transition=ts, state_code=ts[-1].to_state_code)


def test_transitions_follow_the_state_machine_and_the_known_history() -> None:
    good = _case((None, "RELEASED"), ("RELEASED", "REFUNDED"), ("REFUNDED", "EXITED"), ("EXITED", "WRITTEN_OFF"))
    assert transition_problems(good, ["RELEASED", "REFUNDED", "EXITED"]) == []
    rewritten = _case((None, "RELEASED"), ("RELEASED", "REFUSED"), ("REFUSED", "EXITED"), ("EXITED", "WRITTEN_OFF"))
    assert transition_problems(rewritten, None) == []  # legal on its own ...
    assert transition_problems(rewritten, ["RELEASED", "REFUNDED", "EXITED"])  # ... but not the case's history
    skipped = _case((None, "RELEASED"), ("RELEASED", "WRITTEN_OFF"))
    assert any("not allowed" in p for p in transition_problems(skipped, None))
    gap = _case((None, "RELEASED"), ("REFUNDED", "EXITED"))
    assert any("starts from" in p for p in transition_problems(gap, None))


def _rec(seq: int, mtype: str, to: str, corr: str, cause: str | None, at: float = 1.0) -> MessageRecord:
    return MessageRecord("8000", f"8000-{seq}", mtype, [to], corr, cause, "json", "", b"{}", "kafka", at, seq=seq)


def test_replies_are_paired_with_the_right_receiver_first_and_never_twice() -> None:
    stim = Stimulus(
        rule("customs-cq", "transit-arrival"), "B1", 0.5, "C-1", "CARRIER", {"sender": "CARRIER", "departure": "7200"}
    )
    sent = [
        _rec(1, "TT102", "7200", "B1", "C-1"),
        _rec(2, "MT9999", "OTHER", "B1", "C-1"),
        _rec(3, "MT9999", "CARRIER", "B1", "C-1"),
    ]
    claimed: set[int] = set()
    m = match(stim, sent, [], claimed, set())
    assert m.found[0].seq == 3
    assert m.found[1].seq == 1
    assert claimed == {1, 3}
    again = match(stim, sent, [], claimed, set())  # a later stimulus cannot take them again
    assert 1 not in {r.seq for r in again.found.values()}
    assert again.found.get(0) is not None
    assert again.found[0].seq == 2


def test_nothing_sent_fails_presence_and_a_dead_letter_fails_schema() -> None:
    stim = Stimulus(rule("customs-cq", "filing"), "B1", 0.5, "C-1", "CARRIER", {"sender": "CARRIER"})
    m = match(stim, [], [], set(), set())
    checks = judge(stim, m, [])
    assert [(x.code, x.ok) for x in checks] == [("receipt", False)]
    dl = DeadLetter(
        "8000",
        "8000-9",
        ["XML_SCHEMA"],
        [{"code": "XML_SCHEMA", "location": "/Manifest", "message": "missing StatusCode"}],
        b"<Manifest>MT9999 <ReferenceMessageID>C-1</ReferenceMessageID></Manifest>",
        {},
        "kafka",
        1.0,
        id=7,
    )
    m = match(stim, [], [dl], set(), set())
    checks = judge(stim, m, [])
    assert [(x.code, x.ok) for x in checks] == [("receipt", True), ("signature", True), ("schema", False)]
    assert "missing StatusCode" in checks[2].received


def test_a_dead_letter_refused_for_its_signature_fails_signature_not_schema() -> None:
    """A node signing with the wrong key was failed on `schema`, which sent its developers to their XML."""
    stim = Stimulus(rule("customs-cq", "filing"), "B1", 0.5, "C-1", "CARRIER", {"sender": "CARRIER"})
    error = {"code": "SIGNATURE_INVALID", "location": None, "message": "the signature does not verify"}
    dl = DeadLetter("8000", "8000-9", ["SIGNATURE_INVALID"], [error],
                    b"<Manifest>MT9999 <ReferenceMessageID>C-1</ReferenceMessageID></Manifest>", {}, "kafka", 1.0,
                    id=8)  # fmt: skip
    checks = judge(stim, match(stim, [], [dl], set(), set()), [])
    assert [(x.code, x.ok) for x in checks] == [("receipt", True), ("signature", False)]
    assert "SIGNATURE_INVALID" in checks[1].received
    assert "registered for 8000" in checks[1].expected


def test_a_reply_of_another_type_fails_the_type_check() -> None:
    stim = Stimulus(rule("customs-cq", "declaration-release"), "B1", 0.5, "C-1", "TRADER", {"sender": "TRADER"})
    wrong = _rec(4, "MT9999", "TRADER", "B1", "C-1")
    m = match(stim, [wrong], [], set(), set())
    checks = judge(stim, m, [wrong])
    assert [(x.code, x.ok) for x in checks] == [("type", False)]
    assert MessageType.MT9999.value in checks[0].received


def test_a_late_answer_to_an_earlier_step_is_not_taken_for_this_one() -> None:
    stim = Stimulus(rule("customs-cq", "waybill-event"), "W1", 0.5, "BARGE-2", "BARGE", {"sender": "BARGE"})
    late = _rec(5, "MT9999", "CARRIER", "W1", "CARRIER-1")  # the receipt of the previous step's WB102
    own = _rec(6, "MT9999", "BARGE", "W1", "BARGE-2")
    m = match(stim, [late, own], [], set(), set(), others={"CARRIER-1": {"MT9999"}})
    assert m.found[0].seq == 6
    assert m.complete(stim.rule, exact=True)
    m = match(stim, [late], [], set(), set(), others={"CARRIER-1": {"MT9999"}})
    assert m.found == {}


def test_a_dead_letter_counts_only_when_it_is_about_the_stimulus() -> None:
    stim = Stimulus(rule("customs-cq", "filing"), "B1", 0.5, "C-1", "CARRIER", {"sender": "CARRIER"})
    other = DeadLetter(
        "8000", "8000-8", ["XML_SCHEMA"], [], b"<Manifest>MT9999 B7 C-7</Manifest>", {}, "kafka", 1.0, id=8
    )
    assert match(stim, [], [other], set(), set()).refused == {}
    mine = DeadLetter("8000", "8000-9", ["XML_SCHEMA"], [], b"<Manifest>MT9999 C-1</Manifest>", {}, "kafka", 1.0, id=9)
    assert match(stim, [], [other, mine], set(), set()).refused[0].id == 9


def test_a_rule_that_asks_for_no_reply_fails_on_an_answer() -> None:
    stim = Stimulus(rule("customs-cq", "risk-alert"), "R1", 0.5, "7900-1", "7900", {"sender": "7900"})
    quiet = silence(stim, [_rec(7, "MT9999", "7900", "R2", "7900-0")], set())
    assert [(c.code, c.ok) for c in quiet] == [("silence", True)]
    claimed: set[int] = set()
    loud = silence(stim, [_rec(8, "MT9999", "7900", "R1", "7900-1")], claimed)
    assert [(c.code, c.ok) for c in loud] == [("silence", False)]
    assert claimed == {8}


def test_a_later_consequence_of_an_earlier_stimulus_still_counts() -> None:
    """The release on arrival names the declaration (an earlier stimulus, whose rule asked for a receipt) as its
    cause: it is this step's reply, not a late answer to the declaration."""
    stim = Stimulus(
        rule("customs-cq", "arrival-of-export"),
        "B1",
        0.5,
        "C-2",
        "CARRIER",
        {"sender": "CARRIER", "declarant": "TRADER"},
    )
    receipt = _rec(9, "MT9999", "CARRIER", "B1", "C-2")
    release = _rec(10, "CD101", "TRADER", "B1", "T-1")
    m = match(stim, [receipt, release], [], set(), set(), others={"T-1": {"MT9999"}})
    assert m.complete(stim.rule, exact=True)
