"""One SQLite connection in WAL mode behind a lock, with re-entrant transactions (ledger and node stores); one
thread per process copies the write-ahead logs of all of them into their database files."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 0.1
"""Small checkpoints, often: the writer still waits on the disk while one runs. Measured with the gateway's ledger
(transactions of 18 messages, back to back), the slowest of 444 transactions took 4-13 ms with a checkpoint every
0.1 s, 36-40 ms every 0.5 s and 69-82 ms every 2 s."""
BACKSTOP_PAGES = 10_000
"""The WAL size (in pages) at which a committing transaction still checkpoints by itself, should the background
checkpoints fall behind. SQLite's default, 1,000 pages, made about one transaction in a hundred of the gateway's
ledger copy 4 MB and sync the file: measured 10-15 ms for a transaction of 18 messages whose median was 2.6 ms."""


class Checkpoint:
    """One database's passive checkpoints (which wait for no reader or writer), on a connection of their own."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.last: tuple[int, int, int] | None = None
        """The last checkpoint's (busy, frames in the WAL, frames of it now in the database file)."""
        self.closed = False
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def run(self) -> None:
        with self._lock:
            if self.closed:
                return
            try:
                if self._db is None:
                    self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                row = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:
                log.debug("checkpoint of %s failed (the next one retries)", self.path, exc_info=True)
                return
            if row is not None:
                self.last = (int(row[0]), int(row[1]), int(row[2]))

    def close(self) -> None:
        """A last checkpoint, then no more."""
        self.run()
        with self._lock:
            self.closed = True
            if self._db is not None:
                self._db.close()
                self._db = None


class Checkpointer:
    """The process's checkpoint thread: every :data:`CHECKPOINT_EVERY_S` it checkpoints each open database, so that
    the transactions of the hot path do not. One thread for all of them: a thread per database woke 10 times a
    second each (13 idle databases, as in ``swsim up``, took 2.5% of a core)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[Checkpoint] = []
        self._thread: threading.Thread | None = None

    def add(self, path: str) -> Checkpoint:
        c = Checkpoint(path)
        with self._lock:
            self._open.append(c)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()
        return c

    def remove(self, c: Checkpoint) -> None:
        with self._lock:
            if c in self._open:
                self._open.remove(c)
        c.close()

    def _run(self) -> None:
        while True:  # as long as the process (a daemon thread)
            time.sleep(CHECKPOINT_EVERY_S)
            with self._lock:
                todo = list(self._open)
            for c in todo:
                c.run()


CHECKPOINTER = Checkpointer()


class SqliteDb:
    _checkpoint: Checkpoint | None = None

    def __init__(self, path: Path | str, schema: str, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        on_disk = self.path != ":memory:"
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(schema)
        self._lock = threading.RLock()
        self._depth = 0
        if on_disk:
            self._db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            self._checkpoint = CHECKPOINTER.add(self.path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction. Nested calls join the outer one (an error anywhere rolls back the whole of it)."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._rollback()
                raise
            self._depth -= 1
            if outer:
                try:
                    self._db.execute("COMMIT")
                except BaseException:
                    # a COMMIT that fails can leave the transaction open (SQLite: a deferred constraint), and then
                    # every later BEGIN of this connection would fail ("cannot start a transaction within ...")
                    self._rollback()
                    raise

    def _rollback(self) -> None:
        if self._db.in_transaction:  # after some errors (a full disk) SQLite has already rolled back by itself
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        if self._checkpoint is not None:
            CHECKPOINTER.remove(self._checkpoint)
            self._checkpoint = None
        with self._lock:
            self._db.close()
