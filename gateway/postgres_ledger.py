"""The ledger on PostgreSQL, for several gateway processes on several hosts (``SWSIM_LEDGER_URL``).

It runs the very queries of :class:`gateway.sqlite_ledger.SqliteLedger` through a small adapter that turns the
SQLite dialect into PostgreSQL's (``?`` placeholders, ``INSERT OR IGNORE``, ``lastrowid``), so both stores keep one
implementation of the ledger's logic, and one contract test runs on both. Concurrent gateways are safe through the
unique ``(sender, message_id)`` constraint: an insert that loses the race does nothing, then finds the winner's row.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from gateway.sqlite_ledger import SqliteLedger

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  seq BIGSERIAL PRIMARY KEY,
  sender TEXT NOT NULL, message_id TEXT NOT NULL, message_type TEXT NOT NULL,
  receivers TEXT NOT NULL, correlation_id TEXT, causation_id TEXT,
  format TEXT NOT NULL, digest TEXT NOT NULL, body BYTEA NOT NULL, channel TEXT NOT NULL,
  received_at DOUBLE PRECISION NOT NULL, status TEXT NOT NULL, receipt_id TEXT, delivered_at DOUBLE PRECISION,
  UNIQUE (sender, message_id)
);
CREATE INDEX IF NOT EXISTS messages_corr ON messages (correlation_id);
CREATE INDEX IF NOT EXISTS messages_mid ON messages (message_id);
CREATE INDEX IF NOT EXISTS messages_type ON messages (message_type, seq);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
CREATE TABLE IF NOT EXISTS deliveries (seq BIGINT NOT NULL, receiver TEXT NOT NULL, PRIMARY KEY (seq, receiver));
CREATE INDEX IF NOT EXISTS deliveries_receiver ON deliveries (receiver, seq);
CREATE TABLE IF NOT EXISTS receipts (
  receipt_id TEXT PRIMARY KEY, sender TEXT NOT NULL, message_id TEXT NOT NULL, status TEXT NOT NULL,
  codes TEXT NOT NULL, format TEXT NOT NULL, body BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_msg ON receipts (sender, message_id);
CREATE TABLE IF NOT EXISTS deadletters (
  id BIGSERIAL PRIMARY KEY, sender TEXT, message_id TEXT, codes TEXT NOT NULL,
  errors TEXT NOT NULL, body BYTEA NOT NULL, headers TEXT NOT NULL, channel TEXT NOT NULL,
  received_at DOUBLE PRECISION NOT NULL, redriven_at DOUBLE PRECISION, redrive_result TEXT
);
CREATE INDEX IF NOT EXISTS deadletters_sender ON deadletters (sender, id);
CREATE TABLE IF NOT EXISTS nonces (sender TEXT NOT NULL, nonce TEXT NOT NULL, seen_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (sender, nonce));
CREATE INDEX IF NOT EXISTS nonces_seen ON nonces (seen_at);
"""

_KEYS = {"messages": "seq", "deadletters": "id"}
"""Tables whose inserts report the new row's key (SQLite's ``lastrowid``)."""
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)


def translate(sql: str) -> tuple[str, str | None]:
    """The PostgreSQL form of one SQLite statement, and the key column an insert returns (if any)."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN", None
    text = sql.replace("?", "%s")
    m = _INSERT.match(text)
    if m is None:
        return text, None
    key = _KEYS.get(m.group(2))
    if m.group(1):
        text = _INSERT.sub(f"INSERT INTO {m.group(2)}", text, count=1) + " ON CONFLICT DO NOTHING"
    if key is not None:
        text += f" RETURNING {key}"
    return text, key


class _Cursor:
    """What the ledger's queries read back: rows, rowcount and lastrowid, as from sqlite3."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


class _PgConnection:
    """A sqlite3-shaped face on one psycopg connection (autocommit; the ledger issues BEGIN/COMMIT itself)."""

    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        text, key = translate(sql)
        cur = self._conn.execute(text.encode(), params)  # SQL text built from the ledger's constants
        rows = cur.fetchall() if cur.description is not None else []
        lastrowid = int(rows[0][0]) if key is not None and rows else None
        return _Cursor([] if key is not None else rows, cur.rowcount, lastrowid)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        text, _ = translate(sql)
        with self._conn.cursor() as cur:
            cur.executemany(text.encode(), list(params))

    def executescript(self, script: str) -> None:
        self._conn.execute(script.encode())

    def close(self) -> None:
        self._conn.close()


class PostgresLedger(SqliteLedger):
    """The same ledger on PostgreSQL (``url``: ``postgresql://user:password@host:port/database``)."""

    def __init__(self, url: str) -> None:  # not SqliteDb.__init__: no file, no PRAGMAs
        self.path = url
        self._db = _PgConnection(url)  # type: ignore[assignment]
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            self._db.execute("SELECT pg_advisory_lock(727274)")  # one schema creation at a time across processes
            try:
                self._db.executescript(_SCHEMA)
            finally:
                self._db.execute("SELECT pg_advisory_unlock(727274)")
