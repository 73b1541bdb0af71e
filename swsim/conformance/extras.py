"""What the node under test sent in answer to a stimulus beyond the replies its rule asks for.

A node that answers one message twice (a second receipt, a decision and its opposite) leaves its partners not
knowing which to believe, even when one of the answers is right; so every such message fails a check:

- a second reply of a type the rule asks for fails ``content``: it contradicts the reply judged (another code,
  e.g. an accepted 01 receipt and a rejected 03 one) or repeats it;
- a message of a type the rule does not ask for fails ``type``;
- for a rule that asks for no reply, any answer fails ``silence``.

Only messages to a party the rule's replies go to are judged so: a node may tell third parties when it answers
(e.g. share a risk alert with the other customs offices when it holds a declaration).

A message answers a stimulus when it names it as its cause (CausationID) or, for a receipt, as the message it is
about (ReferenceMessageID).
"""

from __future__ import annotations

from typing import Any

from gateway.ledger import MessageRecord
from schemas.codec import decode
from schemas.errors import MessageError
from schemas.message_types import MessageType
from swsim.conformance.judge import Check, Match, Stimulus, _code, _receiver, _shown


def answers(r: MessageRecord, message_id: str) -> bool:
    """Whether ``r`` answers the message ``message_id``."""
    if r.causation_id == message_id:
        return True
    if r.message_type != MessageType.MT9999.value:
        return False
    body = _body(r)
    return body is not None and body.reference_message_id == message_id


def _body(r: MessageRecord) -> Any:
    try:
        return decode(r.body, rules=False).body
    except MessageError:
        return None


def _said(r: MessageRecord) -> str:
    """The code a reply says, as shown in a check ("" when it has none)."""
    body = _body(r)
    code = _code(MessageType(r.message_type), body) if body is not None else None
    return f" saying {code}" if code is not None else ""


def extras(
    stim: Stimulus, m: Match, sent: list[MessageRecord], claimed: set[int], same_type_only: bool = False
) -> list[Check]:
    """A failed check for each message in ``sent`` not in ``claimed`` that answers ``stim`` (``same_type_only``: of
    a type its rule asks for; the others may still be claimed by a later step), but those a check of ``m``'s step
    shows already. Each one is added to ``claimed``."""
    if stim.message_id is None:
        return []
    types = {reply.type.value for reply in stim.rule.replies}
    answered = {_receiver(reply, stim) for reply in stim.rule.replies}
    checks = []
    for r in sent:
        if r.seq in claimed or r.seq in m.shown or not answers(r, stim.message_id):
            continue
        if (answered and answered.isdisjoint(r.receivers)) or (same_type_only and r.message_type not in types):
            continue
        claimed.add(r.seq or 0)
        checks.append(_check(stim, m, r, types))
    return checks


def _check(stim: Stimulus, m: Match, r: MessageRecord, types: set[str]) -> Check:
    got = f"also {r.message_type} {r.message_id} to {', '.join(r.receivers)}{_said(r)}"
    if not types:
        return Check("silence", False, "nothing in answer", got, "no reply", _shown(r.body))
    if r.message_type not in types:
        wanted = " and ".join(f"{x.type.value} to {_receiver(x, stim)}" for x in stim.rule.replies)
        return Check(
            "type",
            False,
            f"only {wanted} in answer to {stim.message_id}",
            f"{got}, a reply the rule does not ask for",
            f"{r.message_type} to {', '.join(r.receivers)}",
            _shown(r.body),
        )
    index = next(i for i, x in enumerate(stim.rule.replies) if x.type.value == r.message_type)
    reply = stim.rule.replies[index]
    label = f"{reply.type.value} to {reply.to}"
    want = f"one {reply.type.value} to {_receiver(reply, stim)} in answer to {stim.message_id}"
    first = m.found.get(index)
    if first is None:
        why = "a second answer to the same message"
    elif _said(first) != _said(r):
        why = f"it contradicts {first.message_id}{_said(first)}, the reply judged above"
    else:
        why = f"a second answer to the same message, after {first.message_id}"
    return Check("content", False, want, f"{got}: {why}", label, _shown(r.body))
