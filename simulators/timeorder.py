"""Time order for recordings: what ``swsim record`` writes, and what ``swsim replay`` reads.

A consumer reads a topic partition by partition (a poll returns a run of one partition, then of another), so the
records it gets are not in time order. :class:`SortedWriter` writes a recording in time order whatever order it is
given the records in: it sorts them in memory in runs of at most ``run_bytes`` and, for a recording longer than
one run, merges the sorted runs (spilled to temporary files next to the recording) when it is closed.

A replay reads a recording as a stream and takes its earliest record as time zero. :func:`in_time_order` puts
records that are at most ``REORDER_S`` out of order back in order (a recording written by another tool, or by an
older ``swsim record``); a record further out of order is refused (RecordingError naming its line), rather than
sent at a time that is not its own.
"""

from __future__ import annotations

import heapq
import math
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

from simulators.recording import Entry, RecordingError, Writer, read

REORDER_S = 1.0
"""How far out of time order (in recorded seconds) a replay puts records back in order."""
RUN_BYTES = 64 * 1024 * 1024
"""Body bytes a recorder sorts in memory before it spills a sorted run to disk."""


def in_time_order(entries: Iterable[Entry], window_s: float = REORDER_S) -> Iterator[Entry]:
    """``entries`` sorted by time (equal times: in the order given), each held back until one ``window_s`` later
    has been read; RecordingError for an entry earlier than one already let through."""
    held: list[tuple[float, int, Entry]] = []
    newest = -math.inf
    last: Entry | None = None
    for i, e in enumerate(entries):
        if last is not None and e.t < last.t:
            raise RecordingError(
                f"line {e.line}: the recording is not in time order: this record is {last.t - e.t:.3f} s earlier "
                f"than the one on line {last.line}, more than the {window_s:g} s a replay puts back in order (sort "
                "the records by t, or record again: swsim record writes in time order)"
            )
        heapq.heappush(held, (e.t, i, e))
        newest = max(newest, e.t)
        while held and held[0][0] <= newest - window_s:
            last = heapq.heappop(held)[2]
            yield last
    while held:
        yield heapq.heappop(held)[2]


class SortedWriter:
    """A recording :class:`~simulators.recording.Writer` that writes its entries in time order, on close."""

    def __init__(self, path: Path, source: str, run_bytes: int = RUN_BYTES) -> None:
        self._out = Writer(path, source)  # fails here (OSError) when the file cannot be written
        self._path = path
        self._run: list[Entry] = []
        self._run_bytes = 0
        self._limit = run_bytes
        self._spilled: list[Path] = []
        self._tmp: Path | None = None
        self.received = 0

    @property
    def count(self) -> int:
        """Entries written to the recording (all of them, once closed)."""
        return self._out.count

    def write(self, e: Entry) -> None:
        self._run.append(e)
        self._run_bytes += len(e.body) + 200
        self.received += 1
        if self._run_bytes >= self._limit:
            self._spill()

    def _spill(self) -> None:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix=".swsim-record-", dir=self._path.parent))
        run = self._tmp / f"run{len(self._spilled)}.jsonl.gz"
        with Writer(run, "sorted run") as w:
            for e in sorted(self._run, key=lambda x: x.t):
                w.write(e)
        self._spilled.append(run)
        self._run, self._run_bytes = [], 0

    def close(self) -> None:
        try:
            merged: Iterator[Entry]
            if self._spilled:
                if self._run:
                    self._spill()
                merged = heapq.merge(*(read(p) for p in self._spilled), key=lambda x: x.t)
            else:
                merged = iter(sorted(self._run, key=lambda x: x.t))
            for e in merged:
                self._out.write(e)
        finally:
            self._run = []
            self._out.close()
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> SortedWriter:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
