"""What the node unit tests share: a node on the in-memory transport, inbox messages, a real store failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gateway.topics import Topics
from schemas.codec import encode
from schemas.message_types import MessageType
from schemas.samples import all_samples
from swsim.network import Role, default_parties, private_key
from swsim.node.clock import SimClock
from swsim.node.parties import ScriptedParty
from swsim.node.runtime import Handler, Node
from swsim.node.store import NodeStore
from swsim.transport.memory import MemoryTransport

SEED = "node-unit"
CARRIER = next(p.id for p in default_parties(SEED) if p.role == Role.CARRIER)


def make_node(tmp_path: Path, party: str = CARRIER, handler: Handler | None = None, **options: float) -> Node:
    """A node of ``party`` on a fresh in-memory transport (``node.transport``), topics prefixed ``t``."""
    store = NodeStore(tmp_path / f"{party}.db")
    return Node(party, private_key(SEED, party), MemoryTransport(), Topics("t"), store,
                handler or ScriptedParty(), SimClock(speed=0), **options)  # type: ignore[arg-type]  # fmt: skip


def inbox_message(message_id: str) -> bytes:
    """A valid message (a sample MT2101) with ``message_id``."""
    s = all_samples()[MessageType.MT2101]
    return encode(s.model_copy(update={"head": s.head.model_copy(update={"message_id": message_id})}), "json")


def busy_error(tmp_path: Path) -> sqlite3.OperationalError:
    """A genuine SQLite "database is locked" error (SQLITE_BUSY), as a store raises when another writer holds it."""
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        holder.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        return e
    finally:
        holder.close()
        other.close()
    raise AssertionError("the second writer was not refused")
