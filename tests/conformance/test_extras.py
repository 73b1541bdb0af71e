"""Answers beyond the rule fail a check: a contradicting or repeated reply, a reply of a type the rule does not ask
for; a message to a third party is not judged. Unit tests on ledger records, then a self-contradicting node run
through the kit over the real embedded broker (the built-in nodes passing is tests/conformance/test_kit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import swsim.conformance.faulty as faulty
from gateway.ledger import MessageRecord
from schemas import codes as c
from schemas.codec import encode
from schemas.message_types import MessageType as T
from schemas.response import ResponseError, ResponseType
from schemas.samples import all_samples
from swsim.broker import EmbeddedBroker
from swsim.conformance.contract import rule
from swsim.conformance.extras import extras
from swsim.conformance.judge import Match, Stimulus
from swsim.node.runtime import Context
from tests.conformance.test_kit import _kit

FILER, FILING = "8000LH6UJQR7M", "FILING-1"


_CODE_OF = {
    c.ResponseStatus.ACCEPTED: c.ReceiptCode.ACCEPTED,
    c.ResponseStatus.REJECTED: c.ReceiptCode.REJECTED_INVALID,
}
"""A receipt's ResponseType code that goes with its StatusCode (the validator refuses other pairs)."""


def _record(seq: int, mtype: T, mid: str, to: str, cause: str | None, **body: Any) -> MessageRecord:
    sample = all_samples()[mtype]
    if "status_code" in body and "response_type" not in body:
        body["response_type"] = ResponseType(code=_CODE_OF[body["status_code"]], text="as its status says")
    head = sample.head.model_copy(update={"message_id": mid, "receiver_id": to, "causation_id": cause})
    message = sample.model_copy(update={"head": head, sample.BODY: sample.body.model_copy(update=body)})
    return MessageRecord("8000", mid, mtype.value, [to], "B1", cause, "json", "d", encode(message, "json"), "kafka",
                         1.0, seq=seq)  # fmt: skip


def _receipt(seq: int, mid: str, status: c.ResponseStatus, cause: str | None = FILING) -> MessageRecord:
    return _record(seq, T.MT9999, mid, FILER, cause, status_code=status, reference_message_id=FILING)


def _judged(*others: MessageRecord, same_type_only: bool = False) -> list[tuple[str, str]]:
    stim = Stimulus(rule("customs-cq", "filing"), "B1", 0.0, FILING, FILER, {"sender": FILER})
    first = _receipt(1, "R1", c.ResponseStatus.ACCEPTED)
    claimed = {1}
    checks = extras(stim, Match(found={0: first}, exact={0}), [first, *others], claimed, same_type_only)
    assert all(not x.ok for x in checks)
    assert claimed == {1} | {r.seq for r in others if any(r.message_id in x.received for x in checks)}
    return [(x.code, x.received) for x in checks]


def test_a_contradicting_receipt_fails_content_but_third_parties_and_other_answers_are_not_judged() -> None:
    told = _record(3, T.MT9999, "A3", "7900", FILING, status_code=c.ResponseStatus.REJECTED)
    other = _record(4, T.MT9999, "R4", FILER, "ANOTHER-1", status_code=c.ResponseStatus.REJECTED,
                    reference_message_id="ANOTHER-1")  # fmt: skip
    got = _judged(_receipt(2, "R2", c.ResponseStatus.REJECTED), told, other)
    assert got == [("content", f"also MT9999 R2 to {FILER} saying 03: it contradicts R1 saying 01, the reply "
                               "judged above")]  # fmt: skip


def test_a_receipt_naming_the_message_only_as_its_reference_counts_too() -> None:
    got = _judged(_receipt(2, "R2", c.ResponseStatus.REJECTED, cause=None))
    assert [code for code, _ in got] == ["content"]
    assert "contradicts R1" in got[0][1]


def test_a_repeated_receipt_fails_content() -> None:
    got = _judged(_receipt(2, "R2", c.ResponseStatus.ACCEPTED))
    assert got == [("content", f"also MT9999 R2 to {FILER} saying 01: a second answer to the same message, after R1")]


def test_a_reply_of_another_type_to_the_sender_fails_type_once_no_step_can_take_it() -> None:
    decision = _record(2, T.CD101, "D2", FILER, FILING)
    assert _judged(decision, same_type_only=True) == []  # a later step may still take it as its reply
    got = _judged(decision)
    assert [code for code, _ in got] == ["type"]
    assert "a reply the rule does not ask for" in got[0][1]


def _contradicting_send(
    self: Any, message: Any, fmt: Any = "json", *, body: Any = None, not_before: float = 0.0
) -> None:
    """Every accepted receipt is followed by a rejected one about the same message (another MessageID)."""
    Context.send(self, message, fmt, body=body, not_before=not_before)
    h = message.head
    if h.message_type == T.MT9999 and message.body.status_code == c.ResponseStatus.ACCEPTED:
        no = message.body.model_copy(update={
            "status_code": c.ResponseStatus.REJECTED,
            "response_type": ResponseType(code=c.ReceiptCode.REJECTED_INVALID, text="Rejected"),
            "error": [ResponseError(code="X", location="/", description="contradiction")],
        })  # fmt: skip
        head = h.model_copy(update={"message_id": h.message_id + "X"})
        Context.send(self, message.model_copy(update={"head": head, "response": no}), fmt)


def test_a_node_that_contradicts_itself_fails(
    broker: EmbeddedBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(faulty._FaultyContext, "send", _contradicting_send)
    report = _kit(broker, tmp_path, "customs-cq", "late-reply", ["multimodal"])  # the fault's send is replaced
    failed = [c for s in report.scenarios for st in s.steps for c in st.checks if not c.ok]
    assert not report.ok
    assert len(failed) == 3, failed  # the receipts of the filing and of two leg events (the refusal is no 01)
    for check in failed:
        assert check.code == "content"
        assert "saying 03: it contradicts" in check.received
        assert "saying 01" in check.received
