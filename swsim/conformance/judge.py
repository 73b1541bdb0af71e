"""Judging what the node under test sent in answer to one stimulus, against the rule the stimulus exercises.

Everything is read from the gateway's ledger (messages it accepted) and dead letters (messages it refused), so an
external system is judged exactly as it behaves on the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.ledger import UNAUTHENTICATED_CODES, DeadLetter, MessageRecord
from schemas.codec import decode
from schemas.errors import MessageError
from schemas.message_types import MessageType
from schemas.tax import ALLOWED_REFUND_TRANSITIONS
from swsim.conformance.contract import Reply, Rule

SHOWN = 20_000
"""At most this many characters of a message are kept in the report."""


@dataclass
class Stimulus:
    """What the kit did to exercise one rule, and what it knows that the replies must agree with."""

    rule: Rule
    bill: str
    at: float
    """When it reached the gateway (gateway clock), or when a work order was published."""
    message_id: str | None = None
    sender: str | None = None
    who: dict[str, str] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    """Facts the replies must carry: ``transit`` (TransitID), ``case`` (CaseID), ``history`` (the refund case's
    states so far), ``task`` (the work order)."""


@dataclass
class Check:
    code: str
    ok: bool
    expected: str
    received: str
    reply: str = ""
    """Which reply of the rule it is about (e.g. "MT9999 to sender")."""
    message: str | None = None
    """The message concerned, as sent (the first SHOWN characters)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.code,
            "ok": self.ok,
            "reply": self.reply,
            "expected": self.expected,
            "received": self.received,
            "message": self.message,
        }


def _shown(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= SHOWN else text[:SHOWN] + f"... ({len(text)} characters)"


def _receiver(reply: Reply, stim: Stimulus) -> str:
    return stim.who.get(reply.to, reply.to)


def _about(r: MessageRecord, stim: Stimulus, others: dict[str, set[str]]) -> bool:
    """Whether ``r`` can be a reply to ``stim``: it names the stimulus as its cause, or it is about the same
    consignment (CorrelationID, or for a work order the bill in its body) and is not a late answer of the kind an
    earlier stimulus asked for (every step of a scenario shares the bill). ``others``: the earlier stimuli's
    MessageIDs, each with the message types its rule asks for."""
    if stim.message_id is not None and r.causation_id == stim.message_id:
        return True
    if r.causation_id is not None and r.message_type in others.get(r.causation_id, ()):
        return False
    return r.correlation_id == stim.bill or ("task" in stim.expect and stim.bill.encode() in r.body)


@dataclass
class Match:
    """The replies found for a stimulus so far (by reply index), and the dead letters attributed to them."""

    found: dict[int, MessageRecord] = field(default_factory=dict)
    refused: dict[int, DeadLetter] = field(default_factory=dict)
    exact: set[int] = field(default_factory=set)
    """The replies whose message is just as the rule asks (receiver, and cause where it must answer)."""
    shown: set[int] = field(default_factory=set)
    """Other messages a failed check shows in place of a missing reply (ledger seqs)."""

    def complete(self, rule: Rule, exact: bool = False) -> bool:
        done = len(self.exact) if exact else len(self.found)
        return done + len(self.refused) == len(rule.replies)


def _tier(reply: Reply, stim: Stimulus, r: MessageRecord) -> int:
    """How well ``r`` fits ``reply``: 0 right receiver and cause, 1 right cause, 2 right receiver, 3 neither."""
    caused = not (reply.answers and stim.message_id) or r.causation_id == stim.message_id
    addressed = _receiver(reply, stim) in r.receivers
    return (0 if addressed else 1) if caused else (2 if addressed else 3)


def match(
    stim: Stimulus,
    sent: list[MessageRecord],
    dead: list[DeadLetter],
    claimed: set[int],
    claimed_dl: set[int],
    others: dict[str, set[str]] | None = None,
) -> Match:
    """Pair each reply of the rule with one message the node sent about this stimulus (the best fitting first:
    right receiver and cause), or with one of its dead letters that names the reply's type and the consignment or
    the stimulus. ``claimed`` and ``claimed_dl`` (ledger seqs, dead letter ids) are the ones earlier stimuli took;
    they are updated. ``others``: see :func:`_about`."""
    m = Match()
    candidates = [r for r in sent if r.seq not in claimed and _about(r, stim, others or {})]
    for tier in range(4):
        for i, reply in enumerate(stim.rule.replies):
            if i in m.found:
                continue
            for r in candidates:
                if r.seq in claimed or r.message_type != reply.type or _tier(reply, stim, r) != tier:
                    continue
                m.found[i] = r
                if tier == 0:
                    m.exact.add(i)
                claimed.add(r.seq or 0)
                break
    marks = [stim.bill.encode()] + ([stim.message_id.encode()] if stim.message_id else [])
    for i, reply in enumerate(stim.rule.replies):
        if i in m.found:
            continue
        for d in dead:
            if d.id in claimed_dl or reply.type.value.encode() not in d.body:
                continue
            if not any(mark in d.body for mark in marks):
                continue
            m.refused[i] = d
            claimed_dl.add(d.id or 0)
            break
    return m


def silence(stim: Stimulus, sent: list[MessageRecord], claimed: set[int]) -> list[Check]:
    """For a rule that asks for no reply: the node sent nothing naming the stimulus as its cause."""
    if stim.message_id is None:
        return []
    answers = [r for r in sent if r.seq not in claimed and r.causation_id == stim.message_id]
    claimed.update(r.seq or 0 for r in answers)
    got = "; ".join(f"{r.message_type} {r.message_id} to {', '.join(r.receivers)}" for r in answers)
    return [
        Check(
            "silence",
            not answers,
            "nothing in answer",
            got or "nothing",
            "no reply",
            _shown(answers[0].body) if answers else None,
        )
    ]


def judge(stim: Stimulus, m: Match, leftovers: list[MessageRecord], time_scale: float = 1.0) -> list[Check]:
    """Every check for every reply of the stimulus's rule. ``leftovers``: what else the node sent about it."""
    checks: list[Check] = []
    for i, reply in enumerate(stim.rule.replies):
        to = _receiver(reply, stim)
        label = f"{reply.type.value} to {reply.to}" + (f" ({to})" if to != reply.to else "")
        want = f"{reply.type.value} to {to} about {stim.bill}" + (f" ({reply.note})" if reply.note else "")
        if i in m.refused:
            d = m.refused[i]
            checks.append(Check(reply.presence, True, want, f"a {reply.type.value} (refused by the gateway)", label))
            errors = "; ".join(f"{e.get('code')} at {e.get('location') or '-'}: {e.get('message')}" for e in d.errors)
            if unauthenticated(d):  # refused before its content was looked at: its signature is what failed
                checks.append(Check("signature", False, f"signed with the key registered for {d.sender}",
                                    f"dead-lettered: {errors}"[:2000], label, _shown(d.body)))  # fmt: skip
                continue
            checks.append(Check("signature", True, f"signed with the key registered for {d.sender}", "authenticated",
                                label))  # fmt: skip
            checks.append(
                Check(
                    "schema",
                    False,
                    "a message the gateway accepts",
                    f"dead-lettered: {errors}"[:2000],
                    label,
                    _shown(d.body),
                )
            )
            continue
        r = m.found.get(i)
        if r is None:
            other = next((x for x in leftovers if stim.message_id and x.causation_id == stim.message_id), None)
            if other is not None:
                m.shown.add(other.seq or 0)
                got = f"{other.message_type} {other.message_id} to {', '.join(other.receivers)}"
                checks.append(Check("type", False, want, got, label, _shown(other.body)))
            else:
                checks.append(Check(reply.presence, False, want, "nothing", label))
            continue
        checks.extend(_checks_of(reply, stim, r, label, want, time_scale))
    return checks


def _checks_of(reply: Reply, stim: Stimulus, r: MessageRecord, label: str, want: str, time_scale: float) -> list[Check]:
    shown = _shown(r.body)
    to = _receiver(reply, stim)
    got = f"{r.message_type} {r.message_id} to {', '.join(r.receivers)}"
    out = [
        Check(reply.presence, True, want, got, label, shown),
        Check("signature", True, f"signed with the key registered for {r.sender}", "authenticated", label),
        Check("schema", True, "a message the gateway accepts", "accepted", label),
    ]
    out.append(Check("receiver", to in r.receivers, f"ReceiverID {to}", f"ReceiverID {', '.join(r.receivers)}", label))
    corr_want = f"CorrelationID {stim.bill}"
    corr_got = f"CorrelationID {r.correlation_id}"
    corr_ok = r.correlation_id == stim.bill
    if reply.answers and stim.message_id:
        corr_want += f", CausationID {stim.message_id}"
        corr_got += f", CausationID {r.causation_id}"
        corr_ok = corr_ok and r.causation_id == stim.message_id
    out.append(Check("correlation", corr_ok, corr_want, corr_got, label))
    try:
        message = decode(r.body)
    except MessageError as e:  # accepted by the gateway, so only a version skew gets here
        out.append(Check("content", False, "a message the kit can read", f"{e.codes}", label, shown))
        return out
    problems = _content(reply, stim, message)
    out.append(
        Check("content", not problems, _content_wanted(reply, stim), "; ".join(problems) or "as expected", label)
    )
    if reply.type == MessageType.TX201:
        bad = transition_problems(message.body, stim.expect.get("history"))
        history = " -> ".join(str(t.to_state_code.value) for t in message.body.transition)
        out.append(
            Check(
                "transition",
                not bad,
                "every transition allowed, continuing the case's history",
                "; ".join(bad) or history,
                label,
            )
        )
    limit = reply.within_s * time_scale
    took = r.received_at - stim.at
    out.append(Check("time", took <= limit, f"within {limit:.1f} s", f"after {took:.2f} s", label))
    return out


def _content_wanted(reply: Reply, stim: Stimulus) -> str:
    parts = []
    if reply.type == MessageType.MT9999 and stim.message_id:
        parts.append(f"ReferenceMessageID {stim.message_id}")
    if reply.allowed:
        parts.append("code in " + "/".join(reply.allowed))
    for k in ("transit", "case"):
        if k in stim.expect:
            parts.append(f"{k} {stim.expect[k]}")
    return ", ".join(parts) or f"about {stim.bill}"


def _content(reply: Reply, stim: Stimulus, m: Any) -> list[str]:
    """What in the message's body disagrees with the rule and the stimulus (empty: nothing)."""
    b = m.body
    t = reply.type
    problems: list[str] = []
    code = _code(t, b)
    if t == MessageType.MT9999:
        if stim.message_id and b.reference_message_id != stim.message_id:
            problems.append(f"ReferenceMessageID is {b.reference_message_id}, not {stim.message_id}")
    elif t == MessageType.CD101:
        if b.transport_contract_document.id != stim.bill:
            problems.append(f"the decision is about {b.transport_contract_document.id}, not {stim.bill}")
    elif t == MessageType.TX201:
        if "case" in stim.expect and b.case_id != stim.expect["case"]:
            problems.append(f"CaseID is {b.case_id}, not {stim.expect['case']}")
    elif t == MessageType.JV101 and b.transport_contract_document.id != stim.bill:
        problems.append(f"the request is about {b.transport_contract_document.id}, not {stim.bill}")
    transit = t in (MessageType.TT101, MessageType.TT102, MessageType.TT103)
    if transit and "transit" in stim.expect and b.transit_id != stim.expect["transit"]:
        problems.append(f"TransitID is {b.transit_id}, not {stim.expect['transit']}")
    task = stim.expect.get("task")
    if task is not None:
        problems.extend(task_problems(task, m))
    if reply.allowed and code is not None and code not in reply.allowed:
        problems.append(f"code {code} is not one of {'/'.join(reply.allowed)}")
    return problems


def _code(t: MessageType, b: Any) -> str | None:
    """The code a reply of type ``t`` says (``b``: its body), the one a rule's ``allowed`` names; None: none."""
    if t == MessageType.MT9999:
        return str(b.status_code.value)
    if t == MessageType.CD101:
        return str(b.decision_code.value)
    if t == MessageType.TT102:
        broken = [s.seal_id for s in b.seal_check if s.status_code.value != "OK"]
        return "broken" if broken or not b.seal_check else "intact"
    if t == MessageType.TT103:
        return str(b.result_code.value)
    if t == MessageType.TX201:
        return str(b.state_code.value)
    return None


def task_problems(task: dict[str, Any], m: Any) -> list[str]:
    """Whether a filing does what its work order asked (the kit's own task format, see docs/conformance.md)."""
    b = m.body
    if m.head.message_type != MessageType(task["type"]):
        return [f"the work order asked for {task['type']}, not {m.head.message_type.value}"]
    if task["type"] == MessageType.WB102.value:
        problems = []
        if b.waybill_id != task["bill"]:
            problems.append(f"WaybillID is {b.waybill_id}, not {task['bill']}")
        if b.leg_sequence_numeric != task["leg"] or b.status_code.value != task["status"]:
            problems.append(
                f"leg {b.leg_sequence_numeric} {b.status_code.value}, not leg {task['leg']} {task['status']}"
            )
        return problems
    bills = [x.transport_contract_document.id for x in getattr(b, "consignment", [])]
    problems = [] if task["bill"] in bills else [f"the filing is about {', '.join(bills)}, not {task['bill']}"]
    if b.declaration_office_id.value != task["office"]:
        problems.append(f"DeclarationOfficeID is {b.declaration_office_id.value}, not {task['office']}")
    return problems


def transition_problems(case: Any, known: list[str] | None) -> list[str]:
    """The refund case's history (``Transition``) checked against the state machine: each step allowed from the
    state before it, the history continuous, the current state its last step, and (``known``: the states the kit
    has seen the case in, oldest first) the earlier history kept."""
    problems = []
    before = None
    states = []
    for t in case.transition:
        frm = t.from_state_code
        if frm != before:
            problems.append(
                f"a transition starts from {frm.value if frm else 'nothing'}, but the case was in "
                f"{before.value if before else 'no state'}"
            )
        if t.to_state_code not in ALLOWED_REFUND_TRANSITIONS.get(frm, frozenset()):
            problems.append(f"{frm.value if frm else 'nothing'} -> {t.to_state_code.value} is not allowed")
        before = t.to_state_code
        states.append(t.to_state_code.value)
    if before != case.state_code:
        problems.append(
            f"StateCode is {case.state_code.value}, but the last transition is to "
            f"{before.value if before else 'nothing'}"
        )
    if known and states[: len(known)] != known:
        problems.append(f"the history {' -> '.join(states)} does not continue {' -> '.join(known)}")
    return problems


def unauthenticated(d: DeadLetter) -> bool:
    """The gateway refused ``d`` without authenticating its sender (a missing, wrong or expired signature, an
    unknown sender, a replayed nonce): its sender is only what it claimed."""
    return not UNAUTHENTICATED_CODES.isdisjoint(d.codes)
