"""One Kafka consumer for the inboxes of every node in a process.

Measured here: each kafka-python consumer costs CPU on every fetch round even when idle (a stack of twelve nodes,
one consumer each, burnt 75% of a core doing nothing, and saturated at about 50 msg/s of generated traffic). The
multiplexer polls all inbox topics with one consumer and hands each node a view that behaves like its own
consumer: ``poll`` returns that node's records only, ``commit`` commits the offsets that node has handled.

- Back-pressure: a node that falls behind has its partitions taken out of the assignment once DEPTH records wait
  for it, and put back (at the next unread offset) when it has caught up, so memory stays bounded and the other
  nodes keep going. (Not ``pause()``: measured with kafka-python 3.0.12 here, a paused partition whose fetched
  records were parked was never fetched again after ``resume()`` while another partition had data in line.)
- Restart: closing a view drops what it had not handled; a new view of the same topic starts again from the
  offsets committed for it (as a fresh process would).
- All Kafka calls happen on the multiplexer's own thread (kafka-python consumers are not thread-safe).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from swsim.background import Background
from swsim.transport.base import Record
from swsim.transport.kafka import FETCH_MAX_WAIT_MS, LEAN, KafkaTransport

log = logging.getLogger(__name__)
DEPTH = 2000
"""Records waiting for one node before its partitions are paused (resumed at half)."""


class InboxView:
    """One node's inbox, read through the shared consumer (the transport ``Consumer`` protocol)."""

    def __init__(self, mux: InboxMux, topic: str) -> None:
        self.mux = mux
        self.topic = topic
        self._queue: deque[Record] = deque()
        self._ready = threading.Condition()
        self._handed: dict[int, int] = {}  # partition -> last offset handed out by poll
        self.closed = False

    def _put(self, records: list[Record]) -> None:
        with self._ready:
            self._queue.extend(records)
            self._ready.notify()

    def __len__(self) -> int:
        return len(self._queue)

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        with self._ready:
            if not self._queue:
                self._ready.wait(timeout_s)
            out: list[Record] = []
            while self._queue and len(out) < max_records:
                out.append(self._queue.popleft())
        for r in out:
            self._handed[r.partition] = r.offset
        return out

    def commit(self) -> None:
        """Commit everything handed out so far (the caller has done its work on it)."""
        self.mux._commit(self.topic, dict(self._handed))

    def rewind(self) -> None:
        """This inbox from its beginning again (the whole multiplexer rewinds: see :meth:`InboxMux.rewind`)."""
        self.mux.rewind()

    def close(self) -> None:
        self.closed = True
        self.mux._close(self)


class InboxMux(Background):
    def __init__(self, transport: KafkaTransport, group: str) -> None:
        self.transport = transport
        self.group = group
        self._lock = threading.Lock()
        self._views: dict[str, InboxView] = {}
        self._added: list[InboxView] = []
        self._commits: dict[TopicPartition, int] = {}
        self._held: dict[str, dict[TopicPartition, int]] = {}  # topics out of the assignment: next offsets
        super().__init__(f"inbox-mux-{group}")
        self._consumer: KafkaConsumer | None = None
        self._rewind = threading.Event()
        self._from_start = False
        self.error: BaseException | None = None

    def rewind(self) -> None:
        """Every inbox from its beginning again, after the broker lost its state (the nodes' "seen" tables absorb
        what they had handled already). Done on the multiplexer's thread."""
        self._rewind.set()

    def view(self, topic: str) -> InboxView:
        """A consumer for ``topic`` (from its committed offsets, or the beginning)."""
        v = InboxView(self, topic)
        with self._lock:
            old = self._views.get(topic)
            if old is not None and not old.closed:
                raise RuntimeError(f"{topic} is already read through this multiplexer")
            self._views[topic] = v
            self._added.append(v)
        if self._thread is None and not self._stop.is_set():  # started with the first view, never after close
            self.start_thread()
        return v

    def _commit(self, topic: str, handed: dict[int, int]) -> None:
        with self._lock:
            for partition, offset in handed.items():
                self._commits[TopicPartition(topic, partition)] = offset + 1

    def _close(self, view: InboxView) -> None:
        with view._ready:
            view._queue.clear()

    # ------------------------------------------------------------------ the polling thread
    def run(self) -> None:
        """Serve with one consumer; after the broker lost its state, with a fresh one (see :meth:`rewind`)."""
        while not self._stop.is_set():
            consumer = self._consumer = self._open()
            try:
                self._serve(consumer)
            finally:
                if not self._rewind.is_set():
                    self._apply_commits(consumer)
                consumer.close()
            if self._rewind.is_set():
                self._restart_views()

    def _open(self) -> KafkaConsumer:
        return KafkaConsumer(
            bootstrap_servers=self.transport.bootstrap,
            client_id=self.transport.client_id,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            **LEAN,
        )

    def _serve(self, consumer: KafkaConsumer) -> None:
        assigned: list[TopicPartition] = []
        while not self._stop.is_set() and not self._rewind.is_set():
            try:
                self._apply_commits(consumer)
                assigned = self._apply_added(consumer, assigned)
                if not assigned:
                    assigned = self._backpressure(consumer, assigned)
                    self._stop.wait(0.05)
                    continue
                batches = consumer.poll(timeout_ms=100, max_records=2000)
                for tp, rs in batches.items():
                    view = self._views.get(tp.topic)
                    if view is None or view.closed:
                        continue  # a restarted view re-reads from its committed offsets
                    view._put([Record(r.topic, r.value, r.key, list(r.headers or []), r.partition, r.offset,
                                      r.timestamp) for r in rs])  # fmt: skip
                assigned = self._backpressure(consumer, assigned)
            except Exception as e:  # logged; the loop retries, as a node loop would
                self.error = e
                log.exception("inbox multiplexer %s: poll failed; retrying", self.group)
                self._stop.wait(0.5)

    def _restart_views(self) -> None:
        """After the broker lost its state: every open view is read again from the beginning by the next consumer.
        (Measured: the consumer that lived through the restart, rewound with ``seek_to_beginning``, sometimes
        fetched nothing more from the re-created topics; a fresh consumer does.)"""
        with self._lock:
            self._commits.clear()  # offsets of the lost broker mean nothing on the new one
            self._held.clear()
            self._added = [v for v in self._views.values() if not v.closed]
            self._from_start = True
            self._rewind.clear()

    def _apply_commits(self, consumer: KafkaConsumer) -> None:
        with self._lock:
            commits, self._commits = self._commits, {}
        if commits:
            consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in commits.items()})

    def _apply_added(self, consumer: KafkaConsumer, assigned: list[TopicPartition]) -> list[TopicPartition]:
        with self._lock:
            added, self._added = self._added, []
        if not added:
            return assigned
        parts = list(assigned)
        for v in added:
            found = consumer.partitions_for_topic(v.topic)
            deadline = time.monotonic() + 15
            while not found and time.monotonic() < deadline:
                time.sleep(0.05)  # metadata for a just-created topic can lag a moment
                found = consumer.partitions_for_topic(v.topic)
            if not found:
                log.error("inbox multiplexer: topic %s does not exist", v.topic)
                continue
            new = [TopicPartition(v.topic, p) for p in sorted(found)]
            known = [tp for tp in new if tp in parts or tp in self._held.get(v.topic, {})]
            self._held.pop(v.topic, None)
            parts.extend(tp for tp in new if tp not in parts)
            consumer.assign(parts)
            for tp in known:  # a restarted view: back to what was committed (what was not, is read again)
                committed = consumer.committed(tp)
                if committed is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
            if self._from_start:
                consumer.seek_to_beginning(*new)
        self._from_start = False
        return parts

    def _backpressure(self, consumer: KafkaConsumer, assigned: list[TopicPartition]) -> list[TopicPartition]:
        with self._lock:
            views = list(self._views.items())
        parts = assigned
        for topic, view in views:
            depth = len(view)
            if topic not in self._held and depth >= DEPTH:
                self._held[topic] = {tp: consumer.position(tp) for tp in parts if tp.topic == topic}
                parts = [tp for tp in parts if tp.topic != topic]
                consumer.assign(parts)
            elif topic in self._held and depth <= DEPTH // 2:
                offsets = self._held.pop(topic)
                parts = parts + list(offsets)
                consumer.assign(parts)
                for tp, offset in offsets.items():
                    consumer.seek(tp, offset)
        return parts

    def close(self) -> None:
        self.stop_thread(15)
