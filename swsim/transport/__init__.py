"""The transport seam: one small protocol, a Kafka implementation and an in-memory one for unit tests."""

from swsim.transport.base import Consumer, Headers, Record, Transport, header
from swsim.transport.memory import MemoryTransport

__all__ = ["Consumer", "Headers", "MemoryTransport", "Record", "Transport", "header"]
