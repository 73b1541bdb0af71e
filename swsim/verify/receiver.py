"""A counting receiver node, run as its own process by the fault scenarios (``python -m swsim.verify.receiver``).

It is a real node (swsim/node/runtime.py: inbox, "seen" table, store transaction, offsets committed after it) whose
handler counts, in the same transaction, how many times each message was applied: a message applied twice shows
as ``n = 2``. Its store also counts each record of a message it had already applied that came again (the node's
"seen" check turned it away): the redeliveries a fault caused, which the de-duplication absorbed.
``--kill-after K`` SIGKILLs the process right after the K-th message was applied and committed to the store, before
the inbox offset is committed (the worst moment). ``--delay-ms`` makes it a slow consumer.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from typing import ClassVar

from gateway.topics import Topics
from schemas.envelope import Message
from swsim.network import private_key
from swsim.node.clock import SimClock
from swsim.node.runtime import Context, Node
from swsim.node.store import NodeStore
from swsim.transport.generation import GenerationWatch
from swsim.transport.kafka import KafkaTransport

APPLIED_SQL = "SELECT sender, message_id, n FROM applied"
REDELIVERED_SQL = "SELECT sender, message_id, n FROM redelivered"


class CountingStore(NodeStore):
    """A node store that counts, per message, the records the "seen" check turned away (in the node's transaction
    for that record, so a count is kept exactly when the record was handled)."""

    schema: ClassVar[str] = """
CREATE TABLE IF NOT EXISTS redelivered (sender TEXT NOT NULL, message_id TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (sender, message_id));
"""

    def first_time(self, sender: str, message_id: str, at: str) -> bool:
        with self.transaction():
            first = super().first_time(sender, message_id, at)
            if not first:
                self.execute(
                    "INSERT INTO redelivered VALUES (?, ?, 1) "
                    "ON CONFLICT (sender, message_id) DO UPDATE SET n = redelivered.n + 1",
                    (sender, message_id),
                )
            return first


class CountingHandler:
    store_schema: ClassVar[str] = """
CREATE TABLE IF NOT EXISTS applied (sender TEXT NOT NULL, message_id TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (sender, message_id));
"""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s

    def handle(self, message: Message, ctx: Context) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        ctx.store.execute(
            "INSERT INTO applied VALUES (?, ?, 1) ON CONFLICT (sender, message_id) DO UPDATE SET n = applied.n + 1",
            (message.head.sender_id, message.head.message_id),
        )

    def tick(self, ctx: Context) -> None:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--party", required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--kill-after", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    a = ap.parse_args()
    topics = Topics(a.prefix)
    transport = KafkaTransport(a.bootstrap, f"verify-{a.party}")
    store = CountingStore(a.store, CountingHandler.store_schema + CountingStore.schema)
    node = Node(a.party, private_key(a.seed, a.party), transport, topics, store, CountingHandler(a.delay_ms / 1000),
                SimClock())  # fmt: skip
    applied = 0

    def after_apply(_m: Message) -> None:  # the store has committed; the inbox offset has not
        nonlocal applied
        applied += 1
        if applied == a.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    node.on_message = after_apply
    watch = GenerationWatch(a.bootstrap, topics.generation)
    watch.listeners.append(lambda _g: node.request_rewind())
    watch.start()
    node.start()
    done = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: done.set())
    done.wait()
    watch.stop()
    node.stop()
    node.store.close()
    transport.close()


if __name__ == "__main__":
    main()
