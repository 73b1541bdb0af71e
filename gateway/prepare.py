"""The CPU steps of the pipeline, before any ledger: authenticate, decode and validate, authorize. They need only
the party registry and two limits, so a :class:`Preparer` can run anywhere: in the thread that records the message,
or in a process of its own (:mod:`gateway.prepare_workers`)."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field

from gateway.registry import Party, Registry
from schemas.codec import Format, decode_with_spec, detect_format
from schemas.envelope import Message
from schemas.errors import Issue, MessageError
from schemas.message_types import MessageType
from schemas.registry import MessageSpec
from swsim import signing

log = logging.getLogger(__name__)


@dataclass
class Signature:
    sender: str
    created: int
    nonce: str
    signature: str


@dataclass
class Inbound:
    body: bytes
    channel: str  # "kafka" | "http"
    claimed_sender: str | None = None
    signature: Signature | None = None
    authenticated: Party | None = None  # set by the HTTP layer after API-key/signature checks
    key: bytes | None = None
    fallback_id: str = "UNKNOWN"  # what a receipt refers to when the body has no readable MessageID
    appended_at: float | None = None  # Kafka: when the record entered the log (the signature's freshness is
    # judged against it, so a backlog that waited out a gateway outage is not refused as expired)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Prepared:
    """A message after the CPU-only steps, ready for :meth:`Pipeline.commit`."""

    inbound: Inbound
    now: float
    digest: str
    message_id: str
    sender: Party | None = None
    issues: list[Issue] = field(default_factory=list)
    fmt: Format = "json"
    mtype: MessageType | None = None
    correlation: str | None = None
    causation: str | None = None
    receivers: list[str] = field(default_factory=list)


def _internal_error(p: Prepared) -> Issue:
    """Log the exception being handled (with its traceback, under a reference) and make the issue that refuses the
    message: the sender sees the reference, never the traceback."""
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error preparing %s from %s (reference %s)", p.message_id, p.inbound.claimed_sender, ref)
    return Issue("INTERNAL_ERROR", f"the gateway failed on this message (reference {ref}): it was dead-lettered", "")


class Preparer:
    """Everything of :meth:`gateway.pipeline.Pipeline.prepare`: the CPU-only steps."""

    def __init__(self, registry: Registry, max_bytes: int, window_s: int = 300) -> None:
        self.registry = registry
        self.max_bytes = max_bytes
        self.window_s = window_s

    def _authenticate(self, inbound: Inbound, now: float) -> tuple[Party | None, list[Issue]]:
        if inbound.authenticated is not None:
            return inbound.authenticated, []
        sig = inbound.signature
        if sig is None:
            return None, [
                Issue(
                    "SIGNATURE_MISSING",
                    "sign the record: add sw-sender, sw-created, sw-nonce and "
                    "sw-signature headers (Ed25519 over the body, see README)",
                    "headers",
                )
            ]
        party = self.registry.get(sig.sender)
        if party is None or party.public_key is None:
            return None, [Issue("UNKNOWN_SENDER", f"sender {sig.sender!r} is not a registered party", "headers")]
        ok = signing.verify(
            party.public_key,
            sig.signature,
            signing.KAFKA_METHOD,
            signing.KAFKA_PATH,
            sig.sender,
            sig.created,
            sig.nonce,
            inbound.body,
        )
        if not ok:
            return None, [
                Issue(
                    "SIGNATURE_INVALID",
                    "the signature does not verify for this sender and body: sign "
                    "the exact bytes with the sender's Ed25519 key",
                    "headers",
                )
            ]
        if not self._fresh(sig.created, inbound, now):
            return None, [
                Issue(
                    "SIGNATURE_EXPIRED",
                    f"created {sig.created} is outside the {self.window_s} s signature window of the gateway's "
                    "clock: sign again with the current time",
                    "headers",
                )
            ]
        return party, []

    def _fresh(self, created: int, inbound: Inbound, now: float) -> bool:
        """Whether a signature's ``created`` (Unix seconds, any size of int) is recent enough.

        Judged by the gateway's own clock, since a Kafka record's timestamp is whatever its producer set
        (CreateTime): a producer replaying a captured record could set it to match an old ``created``. A Kafka record
        may be up to ``window_s`` old when appended, then wait in the topic up to one more ``window_s`` (the gateway
        down or behind): no older than ``2 * window_s`` in all. A longer backlog is refused safely: a sender re-sends,
        re-signed, every few seconds until it gets a receipt (``swsim.node.runtime.Node.pump``), and an expired
        record gets no receipt (it is not authenticated), so the fresh copies queued behind the stale one (same key,
        same partition) are delivered. The record's timestamp is still checked as well (``created`` within
        ``window_s`` of it), which is strict where the topic stamps records at append time (LogAppendTime)."""
        waited = self.window_s if inbound.channel == "kafka" else 0
        age = int(now) - created
        if not -self.window_s <= age <= self.window_s + waited:
            return False
        appended = inbound.appended_at
        return appended is None or abs(int(appended) - created) <= self.window_s

    def prepare(self, inbound: Inbound, now: float | None = None) -> Prepared:
        """The CPU part (authenticate, decode and validate, authorize): touches no ledger, takes no lock, so
        callers can run it for many messages at once and keep the ledger's lock for :meth:`commit` only.

        Never raises for what one message holds: an unexpected error is logged with its traceback and the message
        is refused with INTERNAL_ERROR (dead-lettered), so one poison record cannot fail its whole batch, which the
        router would otherwise retry for ever, stalling the ingress."""
        now = time.time() if now is None else now
        p = Prepared(inbound, now, hashlib.sha256(inbound.body).hexdigest(), inbound.fallback_id)
        try:
            self._prepare(p)
        except Exception:
            p.issues = [_internal_error(p)]
        return p

    def _prepare(self, p: Prepared) -> None:
        """Fill ``p``: the sender, the decoded message's head, its receivers, or the issues that refuse it."""
        sender, p.issues = self._authenticate(p.inbound, p.now)
        p.sender = sender
        if p.issues:
            return
        decoded = self._decode(p)
        if decoded is None:
            return
        head, spec = decoded[0].head, decoded[1]
        p.message_id, p.mtype, p.correlation, p.causation = (
            head.message_id,
            spec.code,
            head.correlation_id,
            head.causation_id,
        )
        assert sender is not None
        p.issues = self._authorize(sender, head.sender_id, spec.code, head.receiver_id)
        if not p.issues:
            receiver = self.registry.get(head.receiver_id)
            assert receiver is not None
            p.receivers = [r.id for r in self.registry.receivers_for(sender, spec.code, receiver)]

    def _decode(self, p: Prepared) -> tuple[Message, MessageSpec] | None:
        """Size-check, detect the format of, decode and fully validate the body; None with ``p.issues`` set if it
        is refused. The size is checked first, whatever the format: a Kafka record is not size-checked by the HTTP
        layer, and may be far larger than the limit."""
        body = p.inbound.body
        if len(body) > self.max_bytes:
            p.issues = [
                Issue("PAYLOAD_TOO_LARGE", f"the message has {len(body)} bytes; the limit is {self.max_bytes}", "")
            ]
            return None
        try:
            p.fmt = detect_format(body)
            return decode_with_spec(body, p.fmt, self.max_bytes)
        except MessageError as e:
            p.issues = e.issues
            return None

    def _authorize(self, sender: Party, head_sender: str, mtype: MessageType, head_receiver: str) -> list[Issue]:
        if head_sender != sender.id:
            return [
                Issue(
                    "SENDER_MISMATCH",
                    f"Head/SenderID is {head_sender} but the message is authenticated as {sender.id}: send as yourself",
                    "/Head/SenderID",
                )
            ]
        receiver = self.registry.get(head_receiver)
        if receiver is None:
            return [
                Issue(
                    "UNKNOWN_RECEIVER",
                    f"{head_receiver} is not a registered party: check Head/ReceiverID",
                    "/Head/ReceiverID",
                )
            ]
        if not self.registry.allowed(sender, mtype, receiver):
            return [
                Issue(
                    "NOT_AUTHORIZED",
                    f"a {sender.role} may not send {mtype} to a {receiver.role} ({receiver.id})",
                    "/Head/MessageType",
                )
            ]
        return []
