"""One built-in node as its own process (``swsim node ROLE``): the node, its broker-generation watch and, for the
carrier, its work-order reader."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.topics import Topics
from swsim.network import PartyInfo, Role, default_parties, private_key
from swsim.node.carrier import CarrierTasks
from swsim.node.clock import SimClock
from swsim.node.runtime import Handler, Node
from swsim.settings import Settings
from swsim.stack import ROLES, handler_for, store_ref
from swsim.transport.generation import GenerationWatch
from swsim.transport.kafka import KafkaTransport

STANDALONE_ROLES = (*ROLES, "carrier")


def party_for(role: str, seed: str) -> PartyInfo:
    """The party a role names: a fixed id, or (carrier) the first carrier of the simulated network."""
    if role == "carrier":
        return next(p for p in default_parties(seed) if p.role == Role.CARRIER)
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of: {', '.join(STANDALONE_ROLES)}")
    return next(p for p in default_parties(seed) if p.id == ROLES[role])


@dataclass
class Standalone:
    node: Node
    transport: KafkaTransport
    watch: GenerationWatch
    tasks: CarrierTasks | None = None

    def stop(self) -> None:
        self.watch.stop()
        if self.tasks is not None:
            self.tasks.stop()
        self.node.stop()
        self.node.store.close()
        self.transport.close()


def start_standalone(role: str, settings: Settings, fault: str | None = None) -> Standalone:
    """Start the built-in node of ``role`` on ``settings``' broker; ``fault``: spoil its replies in one way
    (:mod:`swsim.conformance.faulty`, to see the conformance kit fail it)."""
    assert settings.kafka_bootstrap is not None
    party = party_for(role, settings.network_seed)
    transport = KafkaTransport(settings.kafka_bootstrap, f"node-{party.id}", producer=settings.kafka_producer)
    transport.topic_names()  # an unreachable broker is said at once (KafkaError), not retried for ever by the loop
    handler: Handler = handler_for(party.id, party.role, party.name, settings)
    key = private_key(settings.network_seed, party.id)
    if fault is not None:
        from swsim.conformance.faulty import FaultyHandler, signing_key

        handler = FaultyHandler(handler, fault, settings.network_seed)
        key = signing_key(settings.network_seed, party.id, fault)
    topics = Topics(settings.topic_prefix)
    node = Node(
        party.id,
        key,
        transport,
        topics,
        store_ref(settings, party.id).open(getattr(handler, "store_schema", "")),
        handler,
        SimClock(),
    )
    node.heartbeat = settings.heartbeat_file
    node.start()
    watch = GenerationWatch(settings.kafka_bootstrap, topics.generation)  # the broker lost its state: rewind
    watch.listeners.append(lambda _g: node.request_rewind())
    watch.start()
    tasks = None
    if party.role == Role.CARRIER:
        transport.ensure_topics({topics.tasks: 1})
        tasks = CarrierTasks(node, transport, topics.tasks).start()
    return Standalone(node, transport, watch, tasks)
