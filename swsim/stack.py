"""The whole exchange in one process: broker (embedded unless a bootstrap is set), gateway, and every node."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import customs_cd
import customs_cq
from gateway.registry import build_registry
from gateway.service import Gateway, build_gateway, gateway_transport
from swsim.broker import EmbeddedBroker
from swsim.customs.engine import CustomsHandler
from swsim.network import TAX_CQ, TAX_PEER, TAX_SC, Role, default_parties, private_key, tax_pepper
from swsim.node.clock import SimClock
from swsim.node.parties import ForeignCustomsStub, ScriptedParty
from swsim.node.runtime import Handler, Node
from swsim.node.store import StoreRef
from swsim.settings import Settings
from swsim.transport.kafka import KafkaTransport
from swsim.transport.mux import InboxMux
from tax_exchange.handler import TaxHandler

ROLES = {"customs-cq": "8000", "customs-cd": "7900", "tax-cq": TAX_CQ, "tax-sc": TAX_SC, "customs-pl": "PLCUS",
         "customs-sg": "SGCUS"}  # fmt: skip
"""Node roles that `swsim node ROLE` runs as their own process."""


def store_ref(settings: Settings, party_id: str) -> StoreRef:
    """Where a node's store lives: its schema in SWSIM_STORE_URL if set, else its SQLite file under the data dir."""
    return StoreRef(party_id, settings.data_dir / "nodes" / f"{party_id}.db", settings.store_url)


def handler_for(party_id: str, role: Role, name: str, settings: Settings) -> Handler:
    if role == Role.TAX:
        return TaxHandler(
            party_id,
            build_registry(settings),
            listen=settings.tax_line_cq if party_id == TAX_CQ else settings.tax_line_sc,
            peer_url=settings.tax_line_peer_url,
            peer_store=store_ref(settings, TAX_PEER[party_id]),
            threshold_s=settings.tax_reconcile_threshold_s,
            pepper=tax_pepper(settings.network_seed),
        )
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
    mux: InboxMux | None = None
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    """Run first by :meth:`stop` (e.g. stop serving the dashboard)."""
    """Every node's inbox through one consumer (see swsim/transport/mux.py)."""

    @classmethod
    def start(cls, settings: Settings, clock: SimClock | None = None, with_nodes: bool = True) -> Stack:
        broker = None
        if settings.kafka_bootstrap is None:
            broker = EmbeddedBroker().start()
            settings = settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
        assert settings.kafka_bootstrap is not None
        gw: Gateway | None = None
        try:
            gw = build_gateway(settings, gateway_transport(settings, "swsim-gateway"))
            gw.ensure_topics()
            stack = cls(settings, clock or SimClock(), gw, broker)
        except BaseException:  # a failure or Ctrl-C part way: stop what started, the broker above all
            with contextlib.suppress(Exception):
                if gw is not None:
                    gw.stop()
            if broker is not None:
                broker.stop()
            raise
        try:
            stack._assemble(with_nodes)
        except BaseException:
            try:
                with contextlib.suppress(Exception):
                    stack.stop()  # the broker too, unless something before it fails
            finally:
                if broker is not None:
                    broker.stop()  # does nothing if already stopped
            raise
        return stack

    def _assemble(self, with_nodes: bool) -> None:
        """The gateway's watch and router, and (``with_nodes``) every node of the network."""
        gw = self.gateway
        gw.start_watch().listeners.append(self._broker_lost_state)
        self.start_router()
        if with_nodes:
            for p in default_parties(self.settings.network_seed):
                if p.role != Role.GATEWAY:
                    self.add_node(p.id, handler_for(p.id, p.role, p.name, self.settings))
            self.wire_tax_line()
            gw.status_providers["tax"] = lambda: [self.tax(p).status() for p in (TAX_CQ, TAX_SC) if p in self.nodes]

    def _broker_lost_state(self, _generation: str) -> None:
        for t in self.transports:
            t.reset_producer()
        for node in self.nodes.values():
            node.request_rewind()

    def start_router(self) -> None:
        """One more gateway router (a consumer-group member) on its own Kafka client (the gateway's clients, as
        set: ``SWSIM_KAFKA_CONSUMER`` applies here); the stack closes it when it stops."""
        t = gateway_transport(self.settings, "swsim-router")
        self.transports.append(t)
        self.gateway.start_router(t)

    def tax(self, party_id: str) -> TaxHandler:
        handler = self.nodes[party_id].handler
        assert isinstance(handler, TaxHandler)
        return handler

    def wire_tax_line(self) -> None:
        """In one process, each bureau's dedicated line points at the other's endpoint (unless configured)."""
        if TAX_CQ in self.nodes and TAX_SC in self.nodes:
            cq, sc = self.tax(TAX_CQ), self.tax(TAX_SC)
            assert cq.line is not None
            assert sc.line is not None
            cq.peer_url = cq.peer_url or sc.line.url
            sc.peer_url = sc.peer_url or cq.line.url

    def new_transport(self, client_id: str) -> KafkaTransport:
        """A Kafka client of its own on the stack's broker; the stack closes it when it stops."""
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
        store = store_ref(self.settings, party_id).open(getattr(handler, "store_schema", ""))
        if self.mux is None:
            self.mux = InboxMux(self.new_transport("nodes-inbox"), f"nodes-{self.settings.topic_prefix}")
        node = Node(
            party_id,
            private_key(self.settings.network_seed, party_id),
            self.new_transport(f"node-{party_id}"),
            self.gateway.topics,
            store,
            handler,
            self.clock,
            resend_after_s,
            inbox=self.mux.view(self.gateway.topics.inbox(party_id)),
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
        for fn in self.on_stop:
            fn()
        for node in self.nodes.values():
            node.stop()
            node.store.close()
        if self.mux is not None:
            self.mux.close()
        self.gateway.stop()
        for t in self.transports:
            t.close()
        if self.broker is not None:
            self.broker.stop()
