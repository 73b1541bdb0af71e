"""A deliberately faulty node: a built-in node whose replies are spoiled in one way, to show (and test) that the
conformance kit catches it. ``swsim node ROLE --fault KIND`` runs one.

Each fault spoils one kind of message only, so exactly one check fails wherever that message is expected:
receipts (MT9999) for the first four, the refund case's write-off (TX201 WRITTEN_OFF) for illegal-transition, and
the signature of every record sent for wrong-key.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import codes as c
from schemas.codec import Format, encode
from schemas.envelope import Message
from schemas.message_types import MessageType
from swsim.network import Role, default_parties, private_key
from swsim.node.runtime import Context, Handler

FAULTS = {
    "wrong-receiver": "receipts (MT9999) go to another party than the filer",
    "missing-receipt": "no receipt (MT9999) is sent",
    "invalid-xml": "receipts are sent as XML without their required StatusCode element",
    "late-reply": "receipts are sent LATE_S seconds late",
    "illegal-transition": "a refund write-off (TX201) rewrites the case's history: REFUNDED becomes REFUSED",
    "wrong-key": "everything it sends on Kafka is signed with a key other than the one registered for its party",
}
FAILS = {
    "wrong-receiver": "receiver",
    "missing-receipt": "receipt",
    "invalid-xml": "schema",
    "late-reply": "time",
    "illegal-transition": "transition",
    "wrong-key": "signature",
}
"""The check each fault makes fail (and no other)."""
LATE_S = 15.0
"""Past the 10 s limit of a receipt, inside the kit's wait of twice the limit (at the default --time-scale 1)."""
FAULT_ROLES = {
    "wrong-receiver": ("customs-cq", "customs-cd"),
    "missing-receipt": ("customs-cq", "customs-cd"),
    "invalid-xml": ("customs-cq", "customs-cd"),
    "late-reply": ("customs-cq", "customs-cd"),
    "illegal-transition": ("tax-cq", "tax-sc"),
    "wrong-key": ("customs-cq", "customs-cd", "carrier"),
}
"""The roles whose built-in node sends what each fault spoils (receipts: customs; refund write-offs: tax; signed
Kafka records: the roles whose every reply goes over Kafka, as a tax bureau's also go on its line)."""
WRONG_KEY_SEED = "not-the-registered-key"
"""What ``wrong-key`` derives its node's signing key from instead of the network seed (see :func:`signing_key`)."""


class _FaultyContext(Context):
    def __init__(self, inner: Context, fault: str, others: list[str]) -> None:
        super().__init__(inner.node, inner.now)
        self.fault = fault
        self.others = others

    def send(
        self, message: Message, fmt: Format = "json", *, body: bytes | None = None, not_before: float = 0.0
    ) -> None:
        h = message.head
        receipt = h.message_type == MessageType.MT9999
        if receipt and self.fault == "missing-receipt":
            self.note("fault_dropped", id=h.message_id)
            return
        if receipt and self.fault == "wrong-receiver":
            other = next(p for p in self.others if p != h.receiver_id)
            message = message.model_copy(update={"head": h.model_copy(update={"receiver_id": other})})
        if receipt and self.fault == "invalid-xml":
            xml = encode(message, "xml")
            body = re.sub(rb"<([A-Za-z0-9_:]*)StatusCode>[^<]*</\1StatusCode>", b"", xml, count=1)
        if receipt and self.fault == "late-reply":
            not_before = time.time() + LATE_S
        if self.fault == "illegal-transition" and h.message_type == MessageType.TX201:
            message = _rewrite_decision(message)
        super().send(message, fmt, body=body, not_before=not_before)


def _rewrite_decision(message: Any) -> Any:
    case = message.body
    if case.state_code != c.RefundState.WRITTEN_OFF:
        return message
    steps = []
    for t in case.transition:
        if t.to_state_code == c.RefundState.REFUNDED:
            t = t.model_copy(update={"to_state_code": c.RefundState.REFUSED})
        elif t.from_state_code == c.RefundState.REFUNDED:
            t = t.model_copy(update={"from_state_code": c.RefundState.REFUSED})
        steps.append(t)
    return message.model_copy(update={"declaration": case.model_copy(update={"transition": steps})})


@dataclass
class FaultyHandler:
    """Wraps a built-in handler; everything it sends passes through the fault."""

    inner: Handler
    fault: str
    seed: str

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; choose one of: {', '.join(FAULTS)}")
        self.others = [p.id for p in default_parties(self.seed) if p.role in (Role.TRADER, Role.CARRIER)]
        self.store_schema = getattr(self.inner, "store_schema", "")

    def handle(self, message: Message, ctx: Context) -> None:
        self.inner.handle(message, _FaultyContext(ctx, self.fault, self.others))

    def tick(self, ctx: Context) -> None:
        self.inner.tick(_FaultyContext(ctx, self.fault, self.others))

    def on_start(self, node: Any) -> None:
        start = getattr(self.inner, "on_start", None)
        if start is not None:
            start(node)

    def on_stop(self) -> None:
        stop = getattr(self.inner, "on_stop", None)
        if stop is not None:
            stop()


def signing_key(seed: str, party_id: str, fault: str | None) -> Ed25519PrivateKey:
    """The key a node signs with: its party's, or with ``wrong-key`` one the registry does not hold for it."""
    return private_key(WRONG_KEY_SEED if fault == "wrong-key" else seed, party_id)
