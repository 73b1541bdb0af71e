"""``swsim conformance``: run the gateway and every party but the one under test, play the role's scenarios, and
collect the checks into a report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from gateway.topics import Topics
from swsim.conformance.contract import ROLE_TITLES
from swsim.conformance.judge import unauthenticated
from swsim.conformance.play import Abort, Play, StepResult, task_topic
from swsim.conformance.scenarios import SCENARIOS, Kit, party_of
from swsim.demo.driver import ScenarioFailed
from swsim.network import Role, default_parties
from swsim.node.clock import SimClock
from swsim.settings import Settings
from swsim.stack import Stack, handler_for
from swsim.transport.kafka import KafkaTransport

log = logging.getLogger(__name__)


@dataclass
class ScenarioResult:
    name: str
    title: str
    steps: list[StepResult] = field(default_factory=list)
    aborted: str | None = None
    """Why the scenario stopped before its end (a reply it needed never came, or a simulated party timed out)."""

    @property
    def ok(self) -> bool:
        return self.aborted is None and all(s.ok for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "ok": self.ok,
            "aborted": self.aborted,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass
class Report:
    role: str
    party: str
    bootstrap: str
    time_scale: float
    scenarios: list[ScenarioResult] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    node_messages: int = 0
    """What the node under test sent during the run, refused messages included: 0 means it was never heard from
    (not running, on another broker or topic prefix), which makes ``silence`` checks pass for nothing."""

    node_unauthenticated: int = 0
    """How many of those the gateway refused without authenticating them (a signature that does not verify)."""

    @property
    def heard_nothing(self) -> str | None:
        """The warning when the node under test was never heard from (None when it was)."""
        if self.node_messages:
            return None
        return (f"the node under test sent nothing during the run: is it running, on this broker and topic prefix "
                f"(SWSIM_TOPIC_PREFIX), as party {self.party}? Checks that want no reply passed only because nothing "
                "came")  # fmt: skip

    @property
    def never_authenticated(self) -> str | None:
        """The warning when the gateway authenticated nothing the node sent (None when it did, or nothing came)."""
        if not self.node_messages or self.node_unauthenticated < self.node_messages:
            return None
        return (f"the gateway authenticated none of the {self.node_messages} messages the node sent: their signatures "
                f"do not verify with the key registered for party {self.party}. Sign with that party's private key "
                "(an external system registers its public key in SWSIM_REGISTRY_FILE, with the same "
                "SWSIM_NETWORK_SEED as the kit)")  # fmt: skip

    @property
    def warnings(self) -> list[str]:
        """What makes the checks' outcome mean less than it seems, for the report and the console."""
        return [w for w in (self.heard_nothing, self.never_authenticated) if w]

    @property
    def ok(self) -> bool:
        return bool(self.scenarios) and all(s.ok for s in self.scenarios)

    def counts(self) -> dict[str, int]:
        checks = [c for s in self.scenarios for st in s.steps for c in st.checks]
        return {
            "scenarios": len(self.scenarios),
            "steps": sum(len(s.steps) for s in self.scenarios),
            "checks": len(checks),
            "passed": sum(c.ok for c in checks),
            "failed": sum(not c.ok for c in checks),
            "aborted": sum(s.aborted is not None for s in self.scenarios),
        }

    def failures(self) -> list[tuple[str, str, str]]:
        """(scenario, rule, check code) of every failed check."""
        return [
            (s.name, st.rule or "", c.code) for s in self.scenarios for st in s.steps for c in st.checks if not c.ok
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "role_title": ROLE_TITLES[self.role],
            "party": self.party,
            "bootstrap": self.bootstrap,
            "time_scale": self.time_scale,
            "started": self.started,
            "seconds": round(self.seconds, 2),
            "ok": self.ok,
            "counts": self.counts(),
            "node_messages": self.node_messages,
            "node_unauthenticated": self.node_unauthenticated,
            "warnings": self.warnings,
            "scenarios": [s.to_dict() for s in self.scenarios],
            "simulated": "every party but the one under test, and the gateway, are simulated by swsim",
        }


class KitError(ValueError):
    """The kit cannot run as set up (said plainly to the user)."""


class PrefixTaken(KitError):
    """The topic prefix was used to test another role: the kit would now simulate that role's party on topics (and
    a gateway ledger) where the system under test left messages of its own."""


def kit_settings(settings: Settings, role: str) -> Settings:
    """The kit's own working state: SQLite files under DATA_DIR/conformance/ROLE, whatever SWSIM_LEDGER_URL or
    SWSIM_STORE_URL say (those belong to a deployment: the kit must not write into its nodes' stores), and a fresh
    ledger each run (a system under test whose MessageIDs start again would otherwise meet its old ones). The
    simulated parties keep their stores, so their MessageIDs never repeat."""
    work = settings.data_dir / "conformance" / role
    ledger = work / "ledger.db"
    for path in (ledger, ledger.with_name("ledger.db-wal"), ledger.with_name("ledger.db-shm")):
        path.unlink(missing_ok=True)
    return settings.model_copy(update={"data_dir": work, "ledger_path": ledger, "ledger_url": None, "store_url": None})


def claim_prefix(settings: Settings, role: str, wait_s: float = 15.0) -> None:
    """Mark the topic prefix as used for ``role`` (the first claim stays); PrefixTaken when another role has it."""
    assert settings.kafka_bootstrap is not None
    topic = Topics(settings.topic_prefix).conformance_role
    t = KafkaTransport(settings.kafka_bootstrap, "conformance-kit")
    try:
        t.ensure_topics({topic: 1})
        owner = _first_record(settings.kafka_bootstrap, topic, wait_s)
        if owner is None:
            t.send(topic, role.encode(), None, [])
            t.flush()
            owner = _first_record(settings.kafka_bootstrap, topic, wait_s) or role  # two kits at once: first wins
    finally:
        t.close()
    if owner != role:
        raise PrefixTaken(
            f"topic prefix {settings.topic_prefix!r} on {settings.kafka_bootstrap} was used to test {owner}; test "
            f"{role} on a prefix of its own (SWSIM_TOPIC_PREFIX) or a fresh broker"
        )


def _first_record(bootstrap: str, topic: str, wait_s: float) -> str | None:
    """The first record of a one-partition topic; None when it is empty (asked of the broker, not guessed from a
    quiet poll: a slow first fetch must not read as "empty")."""
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, client_id="conformance")
    try:
        tp = TopicPartition(topic, 0)
        c.assign([tp])
        if c.end_offsets([tp]).get(tp, 0) <= c.beginning_offsets([tp]).get(tp, 0):
            return None
        c.seek_to_beginning(tp)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            for records in c.poll(timeout_ms=200, max_records=1).values():
                for r in records:
                    return bytes(r.value).decode(errors="replace")
        raise KitError(f"could not read {topic} within {wait_s:.0f} s")
    finally:
        c.close()


def run_conformance(
    role: str,
    settings: Settings,
    only: list[str] | None = None,
    time_scale: float = 1.0,
    say: Callable[[str], None] = lambda _s: None,
    tax_line: str | None = None,
) -> Report:
    """Play ``role``'s scenarios (``only``: these by name) against the node under test on ``settings``' broker;
    ``tax_line``: the dedicated-line endpoint of a tax bureau under test (channel B is checked only with it)."""
    assert settings.kafka_bootstrap is not None
    scenarios = [s for s in SCENARIOS[role] if only is None or s.name in only]
    sut = party_of(role, settings.network_seed)
    report = Report(role, sut, settings.kafka_bootstrap, time_scale)
    claim_prefix(settings, role)
    stack = Stack.start(settings, SimClock(), with_nodes=False)
    try:
        stack.gateway.transport.ensure_topics({task_topic(settings.topic_prefix): 1})
        for p in default_parties(settings.network_seed):
            if p.role != Role.GATEWAY and p.id != sut:
                stack.add_node(p.id, handler_for(p.id, p.role, p.name, settings))
        for router in stack.gateway.routers:
            if not router.joined.wait(30):
                raise KitError(
                    "the kit's gateway did not get the ingress partitions within 30 s: is another gateway running "
                    f"on topic prefix {settings.topic_prefix!r}? The kit must be the only one"
                )
        kit = Kit(role, sut, settings.network_seed, tax_line)
        for s in scenarios:
            say(f"{s.name}: {s.title}")
            play = Play(stack, sut, time_scale, say)
            result = ScenarioResult(s.name, s.title, play.steps)
            try:
                s.run(play, kit)
            except (Abort, ScenarioFailed) as e:
                result.aborted = str(e)
                say(f"  stopped: {e}")
            play.finish()
            report.node_messages += len(play.sent) + len(play.dead)
            report.node_unauthenticated += sum(unauthenticated(d) for d in play.dead)
            report.scenarios.append(result)
    finally:
        stack.stop()
        report.seconds = time.time() - report.started
    return report
