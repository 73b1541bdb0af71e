"""swsim.sqlite: the write-ahead log is copied into the database file by the process's checkpoint thread, not by
the transactions of the hot path (which only do so past a large backstop)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from swsim.sqlite import BACKSTOP_PAGES, CHECKPOINTER, SqliteDb

SCHEMA = "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, blob BLOB NOT NULL);"


def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    db = SqliteDb(tmp_path / "x.db", SCHEMA)
    checkpointer = db._checkpoint
    assert checkpointer is not None
    try:
        assert db._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
        with db.transaction():
            for _ in range(200):
                db._db.execute("INSERT INTO t (blob) VALUES (?)", (b"x" * 4096,))
        deadline = time.monotonic() + 10
        while (checkpointer.last is None or checkpointer.last[2] < 200) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.last is not None
        assert checkpointer.last[2] >= 200, checkpointer.last  # at least a page per row copied into the file
    finally:
        db.close()
    assert db._checkpoint is None
    assert checkpointer.closed
    assert checkpointer not in CHECKPOINTER._open
    again = SqliteDb(tmp_path / "x.db", SCHEMA)
    try:
        assert again._db.execute("SELECT count(*) FROM t").fetchone()[0] == 200
    finally:
        again.close()


def test_an_in_memory_database_has_no_checkpointer() -> None:
    db = SqliteDb(":memory:", SCHEMA)
    try:
        assert db._checkpoint is None
    finally:
        db.close()


def test_one_thread_checkpoints_every_database(tmp_path: Path) -> None:
    dbs = [SqliteDb(tmp_path / f"{i}.db", SCHEMA) for i in range(3)]
    try:
        for db in dbs:
            with db.transaction():
                db._db.execute("INSERT INTO t (blob) VALUES (?)", (b"x" * 4096,))
        deadline = time.monotonic() + 10
        while any(db._checkpoint and not db._checkpoint.last for db in dbs) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert all(db._checkpoint and db._checkpoint.last and db._checkpoint.last[2] >= 1 for db in dbs)
        assert sum(t.name == "sqlite-checkpoint" for t in threading.enumerate()) == 1
    finally:
        for db in dbs:
            db.close()


DEFERRED = """CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);"""


def test_a_failed_commit_rolls_back_and_the_connection_stays_usable(tmp_path: Path) -> None:
    """SQLite leaves a transaction open when its COMMIT fails on a deferred constraint: without a rollback, every
    later transaction of the connection would fail to begin."""
    db = SqliteDb(tmp_path / "fk.db", DEFERRED)
    try:
        db._db.execute("PRAGMA foreign_keys=ON")

        def violating() -> None:
            with db.transaction():
                db._db.execute("INSERT INTO parent (id) VALUES (1)")
                db._db.execute("INSERT INTO child (parent) VALUES (2)")  # checked at COMMIT only

        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            violating()
        assert not db._db.in_transaction
        with db.transaction():
            db._db.execute("INSERT INTO parent (id) VALUES (3)")
        assert db._db.execute("SELECT id FROM parent").fetchall() == [(3,)]
        assert db._db.execute("SELECT count(*) FROM child").fetchone()[0] == 0
    finally:
        db.close()
