"""Send messages into the exchange as any of the simulated parties (one signing client per party)."""

from __future__ import annotations

from gateway.topics import Topics
from swsim.client import PartyClient
from swsim.network import private_key
from swsim.transport.base import Transport


class Publisher:
    def __init__(self, transport: Transport, topics: Topics, network_seed: str) -> None:
        self.transport = transport
        self.topics = topics
        self.seed = network_seed
        self._clients: dict[str, PartyClient] = {}
        self.sent = 0

    def publish(self, sender: str, body: bytes, key: str | None, message_id: str | None) -> None:
        client = self._clients.get(sender)
        if client is None:
            client = PartyClient(self.transport, self.topics, sender, private_key(self.seed, sender))
            self._clients[sender] = client
        client.publish(body, key, message_id)
        self.sent += 1

    def flush(self) -> None:
        self.transport.flush()
