"""A node's own store: messages seen, the outbox, documents of the node's state, a timeline.

SQLite in WAL mode by default (one file per node); PostgreSQL when ``SWSIM_STORE_URL`` is set (one schema per node
in a shared database, for nodes running as services on several hosts). Both run the same queries: the SQL here is
what both engines accept, and :mod:`swsim.postgres` translates the few SQLite forms left.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swsim.sqlite import SqliteDb

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (sender TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
  PRIMARY KEY (sender, message_id));
CREATE TABLE IF NOT EXISTS outbox (
  message_id TEXT PRIMARY KEY, receiver TEXT NOT NULL, message_type TEXT NOT NULL, key TEXT,
  body BLOB NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt REAL NOT NULL,
  created TEXT NOT NULL, codes TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt);
CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, bill TEXT,
  PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS timeline (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, what TEXT NOT NULL,
  data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_BILL_INDEX = "CREATE INDEX IF NOT EXISTS docs_by_bill ON docs (kind, bill)"
"""After the schema: a store made before ``bill`` was a column gets the column first (see ``_upgrade``)."""


@dataclass
class OutboxEntry:
    message_id: str
    receiver: str
    message_type: str
    key: str | None
    body: bytes
    status: str  # pending | delivered | rejected | failed (out of attempts: overdue, still re-sent, more slowly)
    attempts: int
    next_attempt: float
    created: str
    codes: list[str]


class NodeStore(SqliteDb):
    """State changes and the outbox entries they cause commit together (``transaction()``), or not at all."""

    def __init__(self, path: Path | str, extra_schema: str = "") -> None:
        super().__init__(path, _SCHEMA + extra_schema)
        self._upgrade()

    def _upgrade(self) -> None:
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(docs)").fetchall()}
        if "bill" not in columns:  # a store from before: the bill was indexed as a JSON expression
            with self.transaction():
                self._db.execute("DROP INDEX IF EXISTS docs_bill")
                self._db.execute("ALTER TABLE docs ADD COLUMN bill TEXT")
                self._db.execute("UPDATE docs SET bill = json_extract(data, '$.bill')")
        self._db.execute(_BILL_INDEX)

    # -- tables of a handler's own (``extra_schema``), in the same transactions as everything else
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement in a transaction (joining the current one); returns the rows changed."""
        with self.transaction():
            return int(self._db.execute(sql, params).rowcount)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return [tuple(r) for r in self._db.execute(sql, params).fetchall()]

    # -- idempotence
    def first_time(self, sender: str, message_id: str, at: str) -> bool:
        """True the first time (sender, message_id) is seen (and remember it)."""
        with self.transaction():
            cur = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?,?,?)", (sender, message_id, at))
            return cur.rowcount == 1

    def next_number(self, name: str) -> int:
        with self.transaction():
            self._db.execute("INSERT OR IGNORE INTO counters VALUES (?, 0)", (name,))
            self._db.execute("UPDATE counters SET value = value + 1 WHERE name = ?", (name,))
            return int(self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0])

    # -- documents (the node's state)
    def put(self, kind: str, doc_id: str, data: dict[str, Any]) -> None:
        with self.transaction():
            bill = data.get("bill")
            self._db.execute(
                "INSERT INTO docs VALUES (?,?,?,?) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, "
                "bill = excluded.bill",
                (kind, doc_id, json.dumps(data), bill if isinstance(bill, str) else None),
            )

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM docs WHERE kind = ? AND id = ?", (kind, doc_id)).fetchone()
        return json.loads(row[0]) if row else None

    def delete(self, kind: str, doc_id: str) -> None:
        self.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id))

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM docs WHERE kind = ? ORDER BY id", (kind,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def by_bill(self, kind: str, bill: str) -> list[dict[str, Any]]:
        """The documents of ``kind`` whose ``bill`` field is ``bill`` (indexed: no scan of every document)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM docs WHERE kind = ? AND bill = ? ORDER BY id", (kind, bill)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    # -- outbox
    def enqueue(self, e: OutboxEntry) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO outbox VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    e.message_id,
                    e.receiver,
                    e.message_type,
                    e.key,
                    e.body,
                    e.status,
                    e.attempts,
                    e.next_attempt,
                    e.created,
                    json.dumps(e.codes),
                ),
            )

    def due(self, now: float, limit: int = 200) -> list[OutboxEntry]:
        """Unsettled entries whose next attempt is due: ``pending`` ones, and ``failed`` ones (out of attempts, so
        overdue, but still re-sent at a slower pace: the gateway answers only a fresh copy)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM outbox WHERE status IN ('pending', 'failed') AND next_attempt <= ? ORDER BY created "
                "LIMIT ?",
                (now, limit),
            ).fetchall()
        return [_entry(r) for r in rows]

    def outbox(self, status: str | None = None) -> list[OutboxEntry]:
        with self._lock:
            if status is None:
                rows = self._db.execute("SELECT * FROM outbox ORDER BY created").fetchall()
            else:
                rows = self._db.execute("SELECT * FROM outbox WHERE status = ? ORDER BY created", (status,)).fetchall()
        return [_entry(r) for r in rows]

    def attempted(self, message_id: str, attempts: int, next_attempt: float, status: str = "pending") -> bool:
        """Record one more send of an unsettled entry; False if a receipt settled it meanwhile."""
        with self.transaction():
            cur = self._db.execute(
                "UPDATE outbox SET attempts = ?, next_attempt = ?, status = ? "
                "WHERE message_id = ? AND status IN ('pending', 'failed')",
                (attempts, next_attempt, status, message_id),
            )
            return cur.rowcount == 1

    def resend_unsettled(self) -> None:
        """Make every outbox entry still without a receipt (``pending`` or ``failed``) due now."""
        self.execute("UPDATE outbox SET next_attempt = 0 WHERE status IN ('pending', 'failed')")

    def settle(self, message_id: str, status: str, codes: list[str]) -> bool:
        """Record the gateway's receipt for an outbox message; False if unknown or already settled."""
        with self.transaction():
            cur = self._db.execute(
                "UPDATE outbox SET status = ?, codes = ? WHERE message_id = ? AND status IN ('pending', 'failed')",
                (status, json.dumps(codes), message_id),
            )
            return cur.rowcount == 1

    # -- timeline (what this node did, for demos and tests)
    def note(self, at: str, what: str, **data: Any) -> None:
        with self.transaction():
            self._db.execute("INSERT INTO timeline (at, what, data) VALUES (?,?,?)", (at, what, json.dumps(data)))

    def timeline(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT at, what, data FROM timeline ORDER BY seq").fetchall()
        return [(r[0], r[1], json.loads(r[2])) for r in rows]


class PostgresNodeStore(NodeStore):
    """The same store in PostgreSQL schema ``node_<party>`` of a shared database."""

    def __init__(self, url: str, party: str, extra_schema: str = "") -> None:  # not SqliteDb's: no file, no PRAGMAs
        from swsim.postgres import PgConnection, schema_name

        self.path = f"{url} (schema {schema_name(party)})"
        self._db = PgConnection(url, schema=schema_name(party))  # type: ignore[assignment]
        self._lock = threading.RLock()
        self._depth = 0
        self._db.executescript(f"{_SCHEMA}{extra_schema};\n{_BILL_INDEX};")

    def _upgrade(self) -> None:
        pass  # the PostgreSQL stores were made with the ``bill`` column


@dataclass(frozen=True)
class StoreRef:
    """Where one node's store lives: a SQLite file (``path``), or a schema in a PostgreSQL database (``url``)."""

    party: str
    path: Path
    url: str | None = None

    def open(self, extra_schema: str = "") -> NodeStore:
        if self.url:
            return PostgresNodeStore(self.url, self.party, extra_schema)
        return NodeStore(self.path, extra_schema)

    def read(self, queries: Sequence[str]) -> list[list[tuple[Any, ...]]] | None:
        """Read-only queries, while the node may be running; None when a table they read does not exist yet.
        Raises ``FileNotFoundError`` for a SQLite store that does not exist."""
        if self.url:
            return _read_postgres(self.url, self.party, queries)
        if not self.path.exists():
            raise FileNotFoundError(f"no store for node {self.party} at {self.path}")
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return [[tuple(r) for r in db.execute(q).fetchall()] for q in queries]
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return None
            raise
        finally:
            db.close()


def _read_postgres(url: str, party: str, queries: Sequence[str]) -> list[list[tuple[Any, ...]]] | None:
    import psycopg

    from swsim.postgres import schema_name

    with psycopg.connect(url, autocommit=True, options=f"-c search_path={schema_name(party)}") as conn:
        try:
            return [[tuple(r) for r in conn.execute(q.encode()).fetchall()] for q in queries]
        except psycopg.errors.UndefinedTable:
            return None


_SQLITE_TRANSIENT = frozenset({5, 6, 8, 9, 10, 13, 14, 15})
"""SQLite primary result codes of a store in trouble rather than of a wrong statement: BUSY, LOCKED, READONLY,
INTERRUPT, IOERR, FULL, CANTOPEN, PROTOCOL. (SQLITE_ERROR, 1, is a syntax error or a missing table: a bug.)"""


def is_store_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the store failing (locked, full, I/O error, its server unreachable), which is worth
    retrying, rather than a caller's mistake (bad SQL, a constraint), which would fail the same way again."""
    if isinstance(exc, sqlite3.OperationalError):
        return (getattr(exc, "sqlite_errorcode", 1) & 0xFF) in _SQLITE_TRANSIENT
    psycopg = sys.modules.get("psycopg")  # loaded if a PostgreSQL store is in use
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


def _entry(r: Any) -> OutboxEntry:
    return OutboxEntry(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], r[6], r[7], r[8], json.loads(r[9]))
