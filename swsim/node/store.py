"""A node's own store (SQLite, WAL): messages seen, the outbox, documents of the node's state, a timeline."""

from __future__ import annotations

import json
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
CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS docs_bill ON docs (kind, json_extract(data, '$.bill'));
CREATE TABLE IF NOT EXISTS timeline (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, what TEXT NOT NULL,
  data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass
class OutboxEntry:
    message_id: str
    receiver: str
    message_type: str
    key: str | None
    body: bytes
    status: str  # pending | delivered | rejected | failed
    attempts: int
    next_attempt: float
    created: str
    codes: list[str]


class NodeStore(SqliteDb):
    """State changes and the outbox entries they cause commit together (``transaction()``), or not at all."""

    def __init__(self, path: Path | str, extra_schema: str = "") -> None:
        super().__init__(path, _SCHEMA + extra_schema)

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
            self._db.execute("INSERT OR REPLACE INTO docs VALUES (?,?,?)", (kind, doc_id, json.dumps(data)))

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
                "SELECT data FROM docs WHERE kind = ? AND json_extract(data, '$.bill') = ? ORDER BY id", (kind, bill)
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
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt <= ? ORDER BY created LIMIT ?",
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

    def attempted(self, message_id: str, attempts: int, next_attempt: float, status: str = "pending") -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE outbox SET attempts = ?, next_attempt = ?, status = ? "
                "WHERE message_id = ? AND status = 'pending'",
                (attempts, next_attempt, status, message_id),
            )

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


def _entry(r: Any) -> OutboxEntry:
    return OutboxEntry(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], r[6], r[7], r[8], json.loads(r[9]))
