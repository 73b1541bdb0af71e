"""Drives a scenario: sends as a scripted party, waits on what arrives (event-driven), moves simulated time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from schemas.envelope import Message
from schemas.types import CST
from swsim.node.runtime import Context
from swsim.stack import Stack

Say = Callable[[str], None]


class ScenarioFailed(Exception):
    pass


class Driver:
    def __init__(self, stack: Stack, say: Say, timeout_s: float = 60.0) -> None:
        self.stack = stack
        self.say = say
        self.timeout_s = timeout_s

    def send(self, party: str, build: Callable[[Context], Message]) -> Message:
        node = self.stack.nodes[party]
        ctx = node.ctx()
        with node.store.transaction():
            message = build(ctx)
            ctx.send(message)
        return message

    def act(self, party: str, action: Callable[[Context], object]) -> object:
        """Let a node act on its own (e.g. a tax bureau publishing a record), in one store transaction."""
        node = self.stack.nodes[party]
        ctx = node.ctx()
        with node.store.transaction():
            return action(ctx)

    def wait(self, what: str, check: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.05)
        raise ScenarioFailed(f"timed out after {self.timeout_s:.0f} s waiting for {what}")

    def received(
        self, party: str, sender: str, mtype: str, ref: str, answering: Message | None = None
    ) -> dict[str, Any]:
        """Wait until ``party`` has received a ``mtype`` message from ``sender`` about ``ref`` (and, if given, in
        answer to the message ``answering``); return it."""
        cause = answering.head.message_id if answering is not None else None

        def check() -> dict[str, Any] | None:
            for r in self.stack.nodes[party].store.all("received"):
                same = r["sender"] == sender and r["type"] == mtype and r["ref"] == ref
                if same and (cause is None or r.get("cause") == cause):
                    return r
            return None

        found: dict[str, Any] = self.wait(f"{mtype} from {sender} to {party} about {ref}", check)
        return found

    def doc(self, party: str, kind: str, doc_id: str, ok: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            d = self.stack.nodes[party].store.get(kind, doc_id)
            return d if d is not None and ok(d) else None

        found: dict[str, Any] = self.wait(f"{kind} {doc_id} at {party}", check)
        return found

    def advance(self, delta: timedelta, why: str) -> None:
        self.stack.clock.advance(delta)
        now = self.stack.clock.now().astimezone(CST)  # Beijing time, as the messages' SendTime and the timeline
        self.say(f"  ... simulated time +{delta} ({why}); now {now:%Y-%m-%d %H:%M} Beijing time")
