"""A party's side of the exchange over Kafka: sign and publish to the ingress topic, read its inbox."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.topics import Topics
from swsim import signing
from swsim.transport.base import Consumer, Headers, Transport


def signed_headers(key: Ed25519PrivateKey, sender: str, body: bytes, message_id: str | None = None) -> Headers:
    sig = signing.sign(key, signing.KAFKA_METHOD, signing.KAFKA_PATH, sender, body)
    headers: Headers = [
        ("sw-sender", sender.encode()),
        ("sw-created", sig["created"].encode()),
        ("sw-nonce", sig["nonce"].encode()),
        ("sw-signature", sig["signature"].encode()),
    ]
    if message_id:
        headers.append(("sw-message-id", message_id.encode()))
    return headers


class PartyClient:
    def __init__(self, transport: Transport, topics: Topics, party_id: str, key: Ed25519PrivateKey) -> None:
        self.transport = transport
        self.topics = topics
        self.party_id = party_id
        self.key = key

    def publish(self, body: bytes, key: str | None = None, message_id: str | None = None) -> None:
        """Queue one message for the gateway (call :meth:`flush` to confirm delivery to the broker)."""
        headers = signed_headers(self.key, self.party_id, body, message_id)
        self.transport.send(self.topics.ingress, body, key.encode() if key else None, headers)

    def flush(self, timeout_s: float = 30.0) -> None:
        self.transport.flush(timeout_s)

    def inbox(self, group: str, from_beginning: bool = True) -> Consumer:
        """This party's inbox: one reader, partitions assigned directly (no group-join wait)."""
        return self.transport.consumer([self.topics.inbox(self.party_id)], group, from_beginning, assign=True)
