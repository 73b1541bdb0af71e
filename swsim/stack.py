"""The whole exchange in one process: broker (embedded unless a bootstrap is set), gateway, and every node."""

from __future__ import annotations

from dataclasses import dataclass, field

import customs_cd
import customs_cq
from gateway.service import Gateway, build_gateway
from swsim.broker import EmbeddedBroker
from swsim.customs.engine import CustomsHandler
from swsim.network import Role, default_parties, private_key
from swsim.node.clock import SimClock
from swsim.node.parties import ForeignCustomsStub, ScriptedParty
from swsim.node.runtime import Handler, Node
from swsim.node.store import NodeStore
from swsim.settings import Settings
from swsim.transport.kafka import KafkaTransport

ROLES = {"customs-cq": "8000", "customs-cd": "7900"}
"""Node roles that `swsim node ROLE` runs as their own process."""


def handler_for(party_id: str, role: Role, name: str) -> Handler:
    if party_id == customs_cq.OFFICE:
        return customs_cq.handler()
    if party_id == customs_cd.OFFICE:
        return customs_cd.handler()
    if role == Role.CUSTOMS:
        return CustomsHandler(party_id, name, peers=[])
    if role == Role.FOREIGN_CUSTOMS:
        return ForeignCustomsStub(party_id)
    return ScriptedParty()


@dataclass
class Stack:
    settings: Settings
    clock: SimClock
    gateway: Gateway
    broker: EmbeddedBroker | None = None
    nodes: dict[str, Node] = field(default_factory=dict)
    transports: list[KafkaTransport] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, clock: SimClock | None = None, with_nodes: bool = True) -> Stack:
        broker = None
        if settings.kafka_bootstrap is None:
            broker = EmbeddedBroker().start()
            settings = settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
        assert settings.kafka_bootstrap is not None
        gw = build_gateway(
            settings, KafkaTransport(settings.kafka_bootstrap, "swsim-gateway", producer=settings.kafka_producer)
        )
        gw.ensure_topics()
        stack = cls(settings, clock or SimClock(), gw, broker)
        router_transport = stack._transport("swsim-router")
        gw.start_router(router_transport)
        if with_nodes:
            for p in default_parties(settings.network_seed):
                if p.role not in (Role.GATEWAY, Role.TAX):  # tax nodes: issue 5
                    stack.add_node(p.id, handler_for(p.id, p.role, p.name))
        return stack

    def _transport(self, client_id: str) -> KafkaTransport:
        assert self.settings.kafka_bootstrap is not None
        t = KafkaTransport(
            self.settings.kafka_bootstrap,
            client_id,
            self.settings.session_timeout_ms,
            producer=self.settings.kafka_producer,
        )
        self.transports.append(t)
        return t

    def add_node(self, party_id: str, handler: Handler, resend_after_s: float = 5.0) -> Node:
        store = NodeStore(self.settings.data_dir / "nodes" / f"{party_id}.db")
        node = Node(
            party_id,
            private_key(self.settings.network_seed, party_id),
            self._transport(f"node-{party_id}"),
            self.gateway.topics,
            store,
            handler,
            self.clock,
            resend_after_s,
        )
        self.nodes[party_id] = node.start()
        return node

    def restart_node(self, party_id: str) -> Node:
        """Stop a node (as if its process died between messages) and start it again on the same store."""
        old = self.nodes.pop(party_id)
        old.stop()
        old.store.close()
        return self.add_node(party_id, old.handler, old.resend_after_s)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()
            node.store.close()
        self.gateway.stop()
        for t in self.transports:
            t.close()
        if self.broker is not None:
            self.broker.stop()
