"""The tax dual channel with one channel down for part of the run: Sichuan tax publishes N registration records to
Chongqing tax on both channels (A: Kafka through the gateway; B: the dedicated line, direct HTTP) while channel A is
down for the middle third (the gateway's routers stopped). Counted per record:

- acknowledged: the gateway's receipt settled channel A's outbox entry, or the peer acknowledged it on channel B;
- applied: Chongqing tax applied the record (its books count applications per record version);
- lost: acknowledged but never applied; duplicated: applied more than once (two channels, one application).

Channel B is never down, so these counts alone would hold with channel A gone for good. What is judged besides
(``judged``): every record also arrived on *both* channels (channel A catches up when it is back), and no wait gave
up on its deadline (``timed_out`` names any that did). ``redelivered``: records that arrived on the second channel
after one had brought them (each applied once all the same).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from schemas.message_types import MessageType
from schemas.samples import all_samples
from schemas.synthetic import make_uscc
from schemas.tax import RegistrationBody, TaxRecordHeader
from swsim.network import TAX_CQ, TAX_SC, Role, default_parties
from swsim.node.clock import SimClock
from swsim.settings import Settings
from swsim.stack import Stack, handler_for
from swsim.verify.faults import FaultResult, Progress
from swsim.verify.target import SEED

SENDER, RECEIVER = TAX_SC, TAX_CQ


def _bodies(n: int, tag: str) -> list[RegistrationBody]:
    rng = random.Random(n)  # noqa: S311 (synthetic taxpayer numbers, not secrets)
    sample = all_samples()[MessageType.TX101].body
    assert isinstance(sample, RegistrationBody)
    out = []
    for i in range(n):
        header = TaxRecordHeader(record_id=f"{tag}-{i:06d}", record_version=1, taxpayer_uscc=make_uscc(rng, "510100"),
                                 authority_id=SENDER, record_date_time=datetime.now(UTC))  # fmt: skip
        out.append(sample.model_copy(update={"record": header}))
    return out


@dataclass
class _Count:
    acknowledged: set[str]
    applied: dict[str, int]
    arrived_a: set[str]
    arrived_b: set[str]

    def complete(self, n: int) -> bool:
        return all(len(x) == n for x in (self.acknowledged, self.applied, self.arrived_a, self.arrived_b))

    def __str__(self) -> str:
        return (f"acknowledged {len(self.acknowledged)}, applied {len(self.applied)}, "
                f"on A {len(self.arrived_a)}, on B {len(self.arrived_b)}")  # fmt: skip


def _count(stack: Stack, ids: set[str]) -> _Count:
    """Narrow queries (no message bodies): the stores are shared with the running nodes and their line endpoints."""
    sender, receiver = stack.nodes[SENDER].store, stack.nodes[RECEIVER].store
    on_a = {
        r[0] for r in sender.rows("SELECT key FROM outbox WHERE status = 'delivered' AND receiver = ?", (RECEIVER,))
    }
    on_b = {r[0] for r in sender.rows("SELECT record_id FROM dc_line WHERE status = 'delivered'")}
    applied = {str(r[0]): int(r[1]) for r in receiver.rows("SELECT record_id, applications FROM dc_applied")}
    arrivals = receiver.rows("SELECT record_id, channel FROM dc_arrival")
    by_channel = {ch: {r[0] for r in arrivals if r[1] == ch} & ids for ch in "AB"}
    return _Count((on_a | on_b) & ids, {k: v for k, v in applied.items() if k in ids}, by_channel["A"], by_channel["B"])


def tax_channel_down(workdir: Path, n: int, progress: Progress, rate: float = 200.0) -> FaultResult:
    settings = Settings(topic_prefix="vt" + uuid.uuid4().hex[:8], data_dir=workdir, network_seed=SEED)
    stack = Stack.start(settings, SimClock(speed=0), with_nodes=False)
    t0 = time.monotonic()
    timed_out: list[str] = []
    try:
        for p in default_parties(SEED):
            if p.id in (SENDER, RECEIVER):
                assert p.role == Role.TAX
                stack.add_node(p.id, handler_for(p.id, p.role, p.name, settings))
        stack.wire_tax_line()
        tag = settings.topic_prefix[-6:]
        bodies, ids = _bodies(n, tag), {f"{tag}-{i:06d}" for i in range(n)}
        node, handler = stack.nodes[SENDER], stack.tax(SENDER)
        down_at, up_at, chunk = n // 3, 2 * n // 3, 20
        for start in range(0, n, chunk):
            if start <= down_at < start + chunk:
                if not _until_a_flows(stack, ids, max(1, start // 2)):
                    timed_out.append("channel A flowing before the outage")
                progress(f"channel A down at {start} of {n} published")
                stack.gateway.stop_routers()
            if start <= up_at < start + chunk:
                progress(f"channel A back at {start} of {n} published")
                stack.start_router()
            with node.store.transaction():
                for body in bodies[start : start + chunk]:
                    handler.publish(node.ctx(), body)
            lag = (start + chunk) / rate - (time.monotonic() - t0)
            if lag > 0:
                time.sleep(lag)
        c = _settle(stack, ids, progress, time.monotonic() + 240)
        if not c.complete(len(ids)):
            timed_out.append("settle")
    finally:
        stack.stop()
    return _result(n, c, timed_out, time.monotonic() - t0)


def _result(n: int, c: _Count, timed_out: list[str], seconds: float) -> FaultResult:
    """The counts, and the judged requirements: on channel A and on B, every record; no wait timed out."""
    on_a, on_b = len(c.arrived_a), len(c.arrived_b)
    return FaultResult(
        scenario="tax-channel-down",
        sent=n,
        acknowledged=len(c.acknowledged),
        applied=len(c.applied),
        lost=len(c.acknowledged - set(c.applied)),
        duplicated=sum(1 for times in c.applied.values() if times > 1),
        seconds=round(seconds, 1),
        detail={"channel_down": "A", "arrived_on_a": on_a, "arrived_on_b": on_b, "timed_out": timed_out},
        judged={"arrived_on_a == sent": on_a == n, "arrived_on_b == sent": on_b == n, "timed_out == []": not timed_out},
        redelivered=len(c.arrived_a & c.arrived_b & set(c.applied)),
    )


def _until_a_flows(stack: Stack, ids: set[str], count: int, timeout_s: float = 60) -> bool:
    """Until channel A has carried ``count`` records: the outage strikes a channel in full flow. (It also keeps
    the routers from being stopped while they join their consumer group: measured here, a member that leaves the
    embedded broker's group mid-join leaves the group unable to take new members.) False if the time ran out."""
    deadline = time.monotonic() + timeout_s
    while len(_count(stack, ids).arrived_a) < count:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _settle(stack: Stack, ids: set[str], progress: Progress, deadline: float) -> _Count:
    """Until every record is acknowledged, applied, and has arrived on both channels (or the deadline: the caller
    sees it in the count, which is then not complete)."""
    last = 0.0
    while True:
        c = _count(stack, ids)
        if c.complete(len(ids)) or time.monotonic() > deadline:
            return c
        if time.monotonic() - last > 5:
            last = time.monotonic()
            progress(str(c))
        time.sleep(2)
