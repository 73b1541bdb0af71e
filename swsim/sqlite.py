"""One SQLite connection in WAL mode behind a lock, with re-entrant transactions (ledger and node stores), and a
thread of its own that copies the write-ahead log into the database file."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from swsim.background import Background

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 0.1
"""Small checkpoints, often: the writer still waits on the disk while one runs. Measured with the gateway's ledger
(transactions of 18 messages, back to back), the slowest of 444 transactions took 5-13 ms with a checkpoint every
0.1 s, 36-40 ms every 0.5 s and 69-82 ms every 2 s."""
BACKSTOP_PAGES = 10_000
"""The WAL size (in pages) at which a committing transaction still checkpoints by itself, should the background
checkpoints fall behind. SQLite's default, 1,000 pages, made about one transaction in a hundred of the gateway's
ledger copy 4 MB and sync the file: measured 10-15 ms for a transaction of 18 messages whose median was 2.6 ms."""


class Checkpointer(Background):
    """Copies the WAL into the database file every :data:`CHECKPOINT_EVERY_S` (a passive checkpoint, on a
    connection of its own, which waits for no reader or writer), so that the transactions of the hot path do not."""

    def __init__(self, path: str) -> None:
        super().__init__("sqlite-checkpoint")
        self.path = path
        self.last: tuple[int, int, int] | None = None
        """The last checkpoint's (busy, frames in the WAL, frames of it now in the database file)."""
        self.start_thread()

    def run(self) -> None:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            while not self._stop.wait(CHECKPOINT_EVERY_S):
                self.checkpoint(db)
            self.checkpoint(db)
        finally:
            db.close()

    def checkpoint(self, db: sqlite3.Connection) -> None:
        try:
            row = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            log.debug("checkpoint of %s failed (the next one retries)", self.path, exc_info=True)
            return
        if row is not None:
            self.last = (int(row[0]), int(row[1]), int(row[2]))


class SqliteDb:
    _checkpointer: Checkpointer | None = None

    def __init__(self, path: Path | str, schema: str, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(schema)
        self._lock = threading.RLock()
        self._depth = 0
        if str(path) != ":memory:":
            self._db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            self._checkpointer = Checkpointer(self.path)

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
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop_thread()
            self._checkpointer = None
        with self._lock:
            self._db.close()
