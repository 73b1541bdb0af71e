"""Playing one conformance scenario: the kit acts as every other party, exercises a rule of the node under test,
waits for what the node sends about it, and judges it (:mod:`swsim.conformance.judge`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.ledger import DeadLetter, MessageRecord
from gateway.topics import Topics
from schemas.envelope import Message
from swsim.conformance.contract import rule
from swsim.conformance.extras import extras
from swsim.conformance.judge import Check, Match, Stimulus, judge, match, silence
from swsim.demo.driver import Driver, ScenarioFailed
from swsim.node.runtime import Context
from swsim.stack import Stack

GRACE = 2.0
"""A reply is waited for up to GRACE times its time limit (so a late one is told from a missing one)."""
SETTLE_S = 1.0
"""When a reply has come, but to another receiver or naming another cause, the right one may be just behind it."""
QUIET_S = 1.0
"""How long the kit listens for an answer the rule forbids (rules that ask for no reply)."""


def task_topic(prefix: str) -> str:
    """Work orders for nodes under test that initiate filings (the carrier role); key = the party id."""
    return Topics(prefix).tasks


@dataclass
class StepResult:
    title: str
    rule: str | None
    stimulus: str
    checks: list[Check] = field(default_factory=list)
    stimulus_body: str | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "rule": self.rule,
            "ok": self.ok,
            "stimulus": self.stimulus,
            "stimulus_message": self.stimulus_body,
            "checks": [c.to_dict() for c in self.checks],
        }


class Abort(Exception):
    """The scenario cannot go on (a reply it needs never came); its remaining steps are not played."""


class Play:
    """The kit's side of one scenario against the node ``sut`` (its party id)."""

    def __init__(self, stack: Stack, sut: str, time_scale: float, say: Callable[[str], None]) -> None:
        self.stack = stack
        self.sut = sut
        self.time_scale = time_scale
        self.say = say
        self.driver = Driver(stack, lambda _s: None, timeout_s=max(30.0, 60 * time_scale))
        self.ledger = stack.gateway.ledger
        self.steps: list[StepResult] = []
        self.sent: list[MessageRecord] = []
        self.dead: list[DeadLetter] = []
        self._cursor = self.ledger.max_seq()  # what came before this scenario is not looked at
        self._dl_seen = 0
        self._scan()
        self.sent.clear()
        self.dead.clear()
        self.claimed: set[int] = set()
        self.claimed_dl: set[int] = set()
        self._kit: Any = None
        self._used: set[int] = set()
        self.stimuli: dict[str, set[str]] = {}
        """The MessageIDs of this scenario's stimuli so far, each with the message types its rule asks for."""
        self.last: MessageRecord | None = None
        """The stimulus of the latest step."""
        self.judged: list[tuple[Stimulus, Match, StepResult]] = []
        """Every stimulus judged, with its replies and step (:meth:`finish` looks for answers that came later)."""

    # ------------------------------------------------------------ what the node under test sent
    def _scan(self) -> None:
        while True:
            batch = list(self.ledger.iter_messages(self._cursor, 500))
            if not batch:
                break
            self._cursor = batch[-1].seq or self._cursor
            self.sent.extend(r for r in batch if r.sender == self.sut)
        while True:  # the operator's view: a record refused for its signature is the node's too (a wrong key)
            more = self.ledger.list_deadletters(None, 200, self._dl_seen)
            if not more:
                break
            self._dl_seen += len(more)
            self.dead.extend(d for d in more if d.sender == self.sut)

    def record(
        self,
        sender: str,
        mtype: str,
        bill: str,
        delivered: bool = True,
        message_id: str | None = None,
        to: str | None = None,
    ) -> MessageRecord:
        """Wait until the gateway has accepted (and, by default, delivered) a message of ``sender`` (the one named
        ``message_id``, else the first of its type about ``bill`` not used before); return it."""

        def find() -> MessageRecord | None:
            for r in self.ledger.trace(bill, None):
                if r.sender != sender or r.message_type != mtype or r.seq in self._used:
                    continue
                if to is not None and to not in r.receivers:
                    continue
                if (message_id is None or r.message_id == message_id) and (r.delivered_at or not delivered):
                    return r
            return None

        try:
            found: MessageRecord = self.driver.wait(f"{mtype} from {sender} about {bill}", find)
        except ScenarioFailed as e:
            raise Abort(str(e)) from None
        self._used.add(found.seq or 0)
        return found

    # ------------------------------------------------------------ exercising rules
    def send(self, sender: str, build: Callable[[Context], Message]) -> Message:
        """A simulated party sends a message (no rule of the node under test exercised)."""
        return self.driver.send(sender, build)

    def exercise(
        self,
        title: str,
        rule_id: str,
        sender: str,
        build: Callable[[Context], Message],
        role: str,
        **facts: Any,
    ) -> Match:
        """A simulated party sends a message to the node under test; judge the replies."""
        m = self.driver.send(sender, build)
        h = m.head
        r = self.record(sender, h.message_type.value, h.correlation_id or "", False, h.message_id)
        return self._judge(title, role, rule_id, r, **facts)

    def observe(
        self,
        title: str,
        rule_id: str,
        sender: str,
        mtype: str,
        bill: str,
        role: str,
        delivered: bool = False,
        **facts: Any,
    ) -> Match:
        """A simulated party sent the node under test a message of its own accord (e.g. an arrival confirmation);
        judge the replies to it. ``delivered``: wait until the gateway has delivered it (when what follows travels
        under another key, so the node is sure to have it first)."""
        r = self.record(sender, mtype, bill, delivered=delivered, to=self.sut)
        return self._judge(title, role, rule_id, r, **facts)

    def _judge(self, title: str, role: str, rule_id: str, r: MessageRecord, **facts: Any) -> Match:
        self.last = r
        who = {"sender": r.sender, **facts.pop("who", {})}
        stim = Stimulus(rule(role, rule_id), r.correlation_id or "", r.received_at, r.message_id, r.sender, who, facts)
        shown = f"{r.message_type} {r.message_id} from {r.sender} to {', '.join(r.receivers)} about {stim.bill}"
        return self._wait_and_judge(title, stim, shown, r.body.decode("utf-8", "replace"))

    def task(self, title: str, role: str, rule_id: str, order: dict[str, Any]) -> Match:
        """Publish a work order for the node under test (roles that initiate filings); judge the filing."""
        order = {"id": f"T{time.time_ns()}", "party": self.sut, "task": rule_id, **order}
        body = json.dumps(order, sort_keys=True).encode()
        at = time.time()
        if self._kit is None:
            self._kit = self.stack.new_transport("conformance-kit")  # the stack closes it
        t = self._kit
        t.send(task_topic(self.stack.settings.topic_prefix), body, self.sut.encode(), [])
        t.flush()
        stim = Stimulus(
            rule(role, rule_id), order["bill"], at, None, None, {"office": order["office"]}, {"task": order}
        )
        return self._wait_and_judge(title, stim, f"work order {order['id']}: {order['type']}", body.decode())

    def _wait_and_judge(self, title: str, stim: Stimulus, shown: str, body: str) -> Match:
        self.say(f"  {title}")
        others = dict(self.stimuli)
        if stim.message_id is not None:
            self.stimuli[stim.message_id] = {r.type.value for r in stim.rule.replies}
        if not stim.rule.replies:  # the rule asks for silence: give the node a moment to (wrongly) answer
            time.sleep(QUIET_S)
            self._scan()
            claimed = set(self.claimed)
            checks = silence(stim, [r for r in self.sent if r.received_at >= stim.at - 0.001], claimed)
            self.claimed = claimed
            return self._record_step(stim, StepResult(title, stim.rule.id, shown, checks, body), Match())
        limit = max(r.within_s for r in stim.rule.replies) * self.time_scale
        deadline = time.monotonic() + limit * GRACE + 1.0
        settle: float | None = None  # every reply found, but not all as the rule asks: wait a little for those
        while True:
            self._scan()
            sent = [r for r in self.sent if r.received_at >= stim.at - 0.001]
            dead = [d for d in self.dead if d.received_at >= stim.at - 0.001]
            claimed, claimed_dl = set(self.claimed), set(self.claimed_dl)
            m = match(stim, sent, dead, claimed, claimed_dl, others)
            now = time.monotonic()
            if m.complete(stim.rule, exact=True) or now >= deadline:
                break
            if m.complete(stim.rule):
                settle = settle or now + SETTLE_S
                if now >= settle:
                    break
            time.sleep(0.05)
        self.claimed, self.claimed_dl = claimed, claimed_dl
        leftovers = [r for r in sent if r.seq not in self.claimed]
        checks = judge(stim, m, leftovers, self.time_scale)
        checks.extend(extras(stim, m, leftovers, self.claimed, same_type_only=True))  # the rest: see finish()
        return self._record_step(stim, StepResult(title, stim.rule.id, shown, checks, body), m)

    def _record_step(self, stim: Stimulus | None, step: StepResult, m: Match) -> Match:
        self.steps.append(step)
        if stim is not None:
            self.judged.append((stim, m, step))
        self._said(step.checks)
        return m

    def _said(self, checks: list[Check]) -> None:
        for c in checks:
            if not c.ok:
                self.say(f"    FAIL {c.code} ({c.reply}): expected {c.expected}; got {c.received}")

    def finish(self) -> None:
        """After the scenario's last step: wait a moment, then fail every step whose stimulus the node answered
        beyond its rule (a second, contradicting reply that came after the step was judged, or a message no later
        step took as its reply); see :mod:`swsim.conformance.extras`."""
        if not any(stim.message_id for stim, _m, _step in self.judged):
            return
        time.sleep(SETTLE_S)
        self._scan()
        for stim, m, step in self.judged:
            checks = extras(stim, m, self.sent, self.claimed)
            step.checks.extend(checks)
            self._said(checks)

    def line(self, title: str, rule_id: str, role: str, peer: Any, message: Any, since: float) -> None:
        """The simulated peer bureau ``peer`` (a TaxHandler) queued ``message`` for the dedicated line to the bureau
        under test at ``since`` (time.monotonic()): judge the line's answer (the receipt of channel B)."""
        r = rule(role, rule_id)
        assert r.line_s is not None
        self.say(f"  {title}")
        rid, version = message.body.record.record_id, message.body.record.record_version
        limit = r.line_s * self.time_scale
        at = since
        deadline = at + limit * GRACE + 1.0
        entry = None
        while time.monotonic() < deadline:
            entry = next((e for e in peer.books.line_entries() if (e.record_id, e.version) == (rid, version)), None)
            if entry is not None and entry.status != "pending":
                break
            time.sleep(0.05)
        took = time.monotonic() - at
        label = "answer on the dedicated line"
        want = f"HTTP 200 to the {message.head.message_type.value} {rid} version {version}"
        if entry is None or entry.status == "pending":
            why = (entry.last_error if entry is not None else "") or "no answer"
            checks = [Check("receipt", False, want, f"none after {took:.1f} s: {why}", label)]
        else:
            got = "HTTP 200" if entry.status == "delivered" else f"refused: {entry.last_error}"
            checks = [
                Check("receipt", entry.status == "delivered", want, got, label),
                Check("time", took <= limit, f"within {limit:.1f} s", f"after {took:.2f} s", label),
            ]
        shown = f"{message.head.message_type.value} {message.head.message_id} over the line about {rid}"
        self._record_step(None, StepResult(title, rule_id, shown, checks, None), Match())

    def body(self, m: Match, index: int) -> Any:
        """The decoded body of the reply found for the rule's reply ``index``; Abort when there is none."""
        from schemas.codec import decode

        r = m.found.get(index)
        refused = m.refused.get(index)
        if r is None and refused is not None:
            raise Abort(
                f"the gateway refused the reply the rest of the scenario depends on ({', '.join(refused.codes)})"
            )
        if r is None:
            raise Abort("a reply the rest of the scenario depends on never came")
        return decode(r.body).body
