"""Send messages into the exchange as the simulated parties: signed, to the ingress topic."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.topics import Topics
from swsim.client import signed_headers
from swsim.network import private_key
from swsim.transport.base import Transport


class Publisher:
    def __init__(self, transport: Transport, topics: Topics, network_seed: str) -> None:
        self.transport = transport
        self.topics = topics
        self.seed = network_seed
        self._keys: dict[str, Ed25519PrivateKey] = {}
        self.sent = 0

    def publish(self, sender: str, body: bytes, key: str | None, message_id: str | None) -> None:
        k = self._keys.get(sender)
        if k is None:
            k = self._keys[sender] = private_key(self.seed, sender)
        headers = signed_headers(k, sender, body, message_id)
        self.transport.send(self.topics.ingress, body, key.encode() if key else None, headers)
        self.sent += 1

    def flush(self) -> None:
        self.transport.flush()
