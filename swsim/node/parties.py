"""Simple node behaviours: foreign customs stubs (joint verification) and scripted traders/carriers."""

from __future__ import annotations

from dataclasses import dataclass

from schemas import codes as c
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.risk import VerificationResponseBody, VerificationResponseMessage
from schemas.summary import summary
from swsim.customs.magic import effect_of
from swsim.node.runtime import Context


@dataclass
class ForeignCustomsStub:
    """Singapore / Polish customs (simulated stubs): answer every joint verification request (联网核查)."""

    party_id: str

    def handle(self, m: Message, ctx: Context) -> None:
        if m.head.message_type != MessageType.JV101:
            return
        d = m.body
        bill = d.transport_contract_document.id
        result = c.VerificationResult.MISMATCH if effect_of(bill) in ("reject", "risk") else c.VerificationResult.MATCH
        body = VerificationResponseBody(
            verification_id=d.verification_id,
            result_code=result,
            recorded_gross_mass_measure=d.declared_gross_mass_measure,
            detail=f"Simulated answer of {self.party_id}",
        )
        ctx.send(VerificationResponseMessage(
            head=ctx.head(MessageType.JV102, m.head.sender_id, m.head.correlation_id, m.head.message_id),
            response=body,
        ))  # fmt: skip

    def tick(self, ctx: Context) -> None:
        return None


class ScriptedParty:
    """A trader or carrier driven by a script (demos, tests): keeps every message it receives."""

    def handle(self, m: Message, ctx: Context) -> None:
        h = m.head
        ctx.store.put("received", f"{h.sender_id}:{h.message_id}", {
            "id": h.message_id, "sender": h.sender_id, "type": h.message_type.value, "ref": h.correlation_id,
            "cause": h.causation_id,
            "at": ctx.now.isoformat(), "summary": summary(m),
        })  # fmt: skip

    def tick(self, ctx: Context) -> None:
        return None
