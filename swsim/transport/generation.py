"""Noticing that the broker lost everything, and telling whoever must recover.

The embedded broker keeps nothing: restarted, it has no topics, no records and no committed offsets. Consumers
then sit at positions the new, empty topics do not have, and kafka-python waits there for ever; records that were
delivered but not yet read are gone. So the gateway writes a *generation* (a random id) as the first record of a
topic of its own; every process checks, every second, that the first record is still the one it knows.

- Absent (the topic is gone or empty): the broker restarted empty. The writer (the gateway) creates the topics
  again and writes a new generation.
- Different from the one known: every listener is told (``on_change``). The gateway re-routes what it delivered
  recently, from its ledger; a node rewinds its inbox to the beginning and re-sends what is pending in its outbox.
  De-duplication by message id makes every repeat harmless. A listener that fails (the broker not yet taking
  writes) is told again at each check until it succeeds, or until the generation changes again.

On a replicated Kafka cluster the generation never changes, and this costs one small fetch a second.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from swsim.background import Background

log = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0


class GenerationWatch(Background):
    """Check the broker's generation every ``every_s``. ``create_topics`` (the writer only): make every topic of
    the exchange again and let a new generation be written when it is absent."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        create_topics: Callable[[], None] | None = None,
        every_s: float = CHECK_EVERY_S,
    ) -> None:
        super().__init__("generation-watch")
        self.bootstrap = bootstrap
        self.topic = topic
        self.create_topics = create_topics
        self.every_s = every_s
        self.known: str | None = None
        self.changes = 0
        self.listeners: list[Callable[[str], None]] = []
        self._failed: list[Callable[[str], None]] = []
        """Listeners whose call for the current generation failed: called again at each check."""
        self._consumer: KafkaConsumer | None = None

    # ------------------------------------------------------------------ reading and writing the generation
    def read(self) -> str | None:
        """The first record of the generation topic (None: no topic, or empty)."""
        if self._consumer is None:
            self._consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                           group_id=None, fetch_max_wait_ms=10, allow_auto_create_topics=False,
                                           client_id="generation-watch")  # fmt: skip
        c = self._consumer
        parts = c.partitions_for_topic(self.topic)
        if not parts:
            c.poll(timeout_ms=0)  # refresh metadata next time
            return None
        tp = TopicPartition(self.topic, 0)
        if c.assignment() != {tp}:
            c.assign([tp])
        c.seek_to_beginning(tp)
        for records in c.poll(timeout_ms=500, max_records=1).values():
            for r in records:
                return bytes(r.value).decode()
        self._reset()  # a consumer that knew the lost broker can keep stale positions and metadata: start afresh
        return None

    def write(self) -> None:
        """Write a new generation (only when the topic has none: with several writers, the first one wins)."""
        p = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True,
                          client_id="generation-writer")  # fmt: skip
        try:
            p.send(self.topic, uuid.uuid4().hex.encode()).get(timeout=15)
        finally:
            p.close(timeout=5)

    # ------------------------------------------------------------------ the check
    def check(self) -> str | None:
        """One check: returns the generation now known (None when the broker has none yet)."""
        current = self.read()
        if current is None and self.create_topics is not None:
            log.warning("the broker has no generation: creating the topics and writing one")
            self.create_topics()
            self.write()
            current = self.read()
        if current is None:
            return self.known
        if self.known is not None and current != self.known:
            log.warning("the broker's generation changed (%s -> %s): it lost its state", self.known, current)
            self.known = current
            self.changes += 1
            self._failed = list(self.listeners)  # every listener, for the new generation
        self.known = current
        self._tell(current)
        return current

    def _tell(self, generation: str) -> None:
        """Call the listeners not yet told of ``generation`` successfully; keep those that fail for the next check."""
        failed = []
        for listener in self._failed:
            try:
                listener(generation)
            except Exception:
                log.exception("a generation listener failed: it is called again at the next check")
                failed.append(listener)
        self._failed = failed

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception as e:  # the broker is down: keep checking until it is back
                log.debug("generation check failed: %s", e)
                self._reset()
            self._stop.wait(self.every_s)

    def start(self) -> GenerationWatch:
        with contextlib.suppress(Exception):
            self.check()  # know the generation at start: a change is only a change after that
        self.start_thread()
        return self

    def stop(self) -> None:
        self.stop_thread()
        self._reset()

    def _reset(self) -> None:
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                self._consumer.close()
            self._consumer = None
