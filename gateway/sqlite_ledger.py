"""SQLite ledger in WAL mode: one connection guarded by a lock; a batch is one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.ledger import UNAUTHENTICATED_CODES, DeadLetter, Insert, MessageRecord, ReceiptRecord
from swsim.sqlite import SqliteDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sender TEXT NOT NULL, message_id TEXT NOT NULL, message_type TEXT NOT NULL,
  receivers TEXT NOT NULL, correlation_id TEXT, causation_id TEXT,
  format TEXT NOT NULL, digest TEXT NOT NULL, body BLOB NOT NULL, channel TEXT NOT NULL,
  received_at REAL NOT NULL, status TEXT NOT NULL, receipt_id TEXT, delivered_at REAL,
  UNIQUE (sender, message_id)
);
CREATE INDEX IF NOT EXISTS messages_corr ON messages (correlation_id);
CREATE INDEX IF NOT EXISTS messages_mid ON messages (message_id);
CREATE INDEX IF NOT EXISTS messages_type ON messages (message_type, seq);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER NOT NULL, receiver TEXT NOT NULL, PRIMARY KEY (seq, receiver));
CREATE INDEX IF NOT EXISTS deliveries_receiver ON deliveries (receiver, seq);
CREATE TABLE IF NOT EXISTS receipts (
  receipt_id TEXT PRIMARY KEY, sender TEXT NOT NULL, message_id TEXT NOT NULL, status TEXT NOT NULL,
  codes TEXT NOT NULL, format TEXT NOT NULL, body BLOB NOT NULL, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_msg ON receipts (sender, message_id);
CREATE TABLE IF NOT EXISTS deadletters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sender TEXT, message_id TEXT, codes TEXT NOT NULL,
  errors TEXT NOT NULL, body BLOB NOT NULL, headers TEXT NOT NULL, channel TEXT NOT NULL,
  received_at REAL NOT NULL, redriven_at REAL, redrive_result TEXT
);
CREATE INDEX IF NOT EXISTS deadletters_sender ON deadletters (sender, id);
CREATE TABLE IF NOT EXISTS nonces (sender TEXT NOT NULL, nonce TEXT NOT NULL, seen_at REAL NOT NULL,
  PRIMARY KEY (sender, nonce));
CREATE INDEX IF NOT EXISTS nonces_seen ON nonces (seen_at);
"""

_MSG_COLS = (
    "seq, sender, message_id, message_type, receivers, correlation_id, causation_id, format, digest, body, "
    "channel, received_at, status, receipt_id, delivered_at"
)


_ALL = 2**62
"""A LIMIT that is no limit (SQLite needs a LIMIT before an OFFSET; PostgreSQL takes no negative one)."""
_UNAUTHENTICATED = tuple(f'%"{code}"%' for code in sorted(UNAUTHENTICATED_CODES))
"""LIKE patterns of the codes that refuse an unauthenticated message, in the JSON list of a dead letter's codes."""


def _msg(row: Any) -> MessageRecord:
    return MessageRecord(
        seq=row[0],
        sender=row[1],
        message_id=row[2],
        message_type=row[3],
        receivers=row[4].split(",") if row[4] else [],
        correlation_id=row[5],
        causation_id=row[6],
        format=row[7],
        digest=row[8],
        body=bytes(row[9]),
        channel=row[10],
        received_at=row[11],
        status=row[12],
        receipt_id=row[13],
        delivered_at=row[14],
    )


def _dl(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row[0],
        sender=row[1],
        message_id=row[2],
        codes=json.loads(row[3]),
        errors=json.loads(row[4]),
        body=bytes(row[5]),
        headers=json.loads(row[6]),
        channel=row[7],
        received_at=row[8],
        redriven_at=row[9],
        redrive_result=row[10],
    )


class SqliteLedger(SqliteDb):
    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA)

    def insert_message(self, rec: MessageRecord) -> tuple[Insert, MessageRecord]:
        with self.transaction():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO messages (sender, message_id, message_type, receivers, correlation_id, "
                "causation_id, format, digest, body, channel, received_at, status, receipt_id, delivered_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rec.sender,
                    rec.message_id,
                    rec.message_type,
                    ",".join(rec.receivers),
                    rec.correlation_id,
                    rec.causation_id,
                    rec.format,
                    rec.digest,
                    rec.body,
                    rec.channel,
                    rec.received_at,
                    rec.status,
                    rec.receipt_id,
                    rec.delivered_at,
                ),
            )
            if cur.rowcount == 1:
                rec.seq = cur.lastrowid
                self._db.executemany(
                    "INSERT OR IGNORE INTO deliveries (seq, receiver) VALUES (?, ?)",
                    [(rec.seq, r) for r in rec.receivers],
                )
                return "new", rec
            row = self._db.execute(
                f"SELECT {_MSG_COLS} FROM messages WHERE sender = ? AND message_id = ?",  # noqa: S608
                (rec.sender, rec.message_id),
            ).fetchone()
            existing = _msg(row)
            return ("duplicate" if existing.digest == rec.digest else "conflict"), existing

    def mark_delivered(self, seqs: list[int], at: float) -> None:
        if not seqs:
            return
        with self.transaction():
            self._db.executemany(
                "UPDATE messages SET status = 'delivered', delivered_at = ? WHERE seq = ? AND status != 'delivered'",
                [(at, s) for s in seqs],
            )

    def find_visible(self, message_id: str, party: str | None) -> list[MessageRecord]:
        with self._lock:
            if party is None:
                rows = self._db.execute(
                    f"SELECT {_MSG_COLS} FROM messages WHERE message_id = ? ORDER BY seq",  # noqa: S608
                    (message_id,),
                ).fetchall()
            else:
                rows = self._db.execute(
                    f"SELECT {_MSG_COLS} FROM messages WHERE message_id = ? AND (sender = ? OR seq IN "  # noqa: S608
                    "(SELECT seq FROM deliveries WHERE receiver = ?)) ORDER BY seq",
                    (message_id, party, party),
                ).fetchall()
        return [_msg(r) for r in rows]

    def trace(
        self, correlation_id: str, party: str | None, limit: int | None = None, offset: int = 0
    ) -> list[MessageRecord]:
        page = (_ALL if limit is None else limit, offset)
        with self._lock:
            if party is None:
                rows = self._db.execute(
                    f"SELECT {_MSG_COLS} FROM messages WHERE correlation_id = ? ORDER BY seq "  # noqa: S608
                    "LIMIT ? OFFSET ?",
                    (correlation_id, *page),
                ).fetchall()
            else:
                rows = self._db.execute(
                    f"SELECT {_MSG_COLS} FROM messages WHERE correlation_id = ? AND (sender = ? OR seq IN "  # noqa: S608
                    "(SELECT seq FROM deliveries WHERE receiver = ?)) ORDER BY seq LIMIT ? OFFSET ?",
                    (correlation_id, party, party, *page),
                ).fetchall()
        return [_msg(r) for r in rows]

    def add_receipt(self, rec: ReceiptRecord) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO receipts (receipt_id, sender, message_id, status, codes, format, body, "
                "created_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    rec.receipt_id,
                    rec.sender,
                    rec.message_id,
                    rec.status,
                    json.dumps(rec.codes),
                    rec.format,
                    rec.body,
                    rec.created_at,
                ),
            )

    def receipts_for(self, sender: str, message_id: str) -> list[ReceiptRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT receipt_id, sender, message_id, status, codes, format, body, created_at FROM receipts "
                "WHERE sender = ? AND message_id = ? ORDER BY created_at",
                (sender, message_id),
            ).fetchall()
        return [ReceiptRecord(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], bytes(r[6]), r[7]) for r in rows]

    def add_deadletter(self, dl: DeadLetter) -> int:
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO deadletters (sender, message_id, codes, errors, body, headers, channel, received_at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (
                    dl.sender,
                    dl.message_id,
                    json.dumps(dl.codes),
                    json.dumps(dl.errors),
                    dl.body,
                    json.dumps(dl.headers),
                    dl.channel,
                    dl.received_at,
                ),
            )
            dl.id = int(cur.lastrowid or 0)
            return dl.id

    def list_deadletters(self, party: str | None, limit: int, offset: int) -> list[DeadLetter]:
        cols = "id, sender, message_id, codes, errors, body, headers, channel, received_at, redriven_at, redrive_result"
        with self._lock:
            if party is None:
                rows = self._db.execute(
                    f"SELECT {cols} FROM deadletters ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
                    (limit, offset),
                ).fetchall()
            else:  # its own, and only those refused after it was authenticated (codes is a JSON list)
                claims = " AND ".join(["codes NOT LIKE ?"] * len(_UNAUTHENTICATED))
                rows = self._db.execute(
                    f"SELECT {cols} FROM deadletters WHERE sender = ? AND {claims} "  # noqa: S608
                    "ORDER BY id LIMIT ? OFFSET ?",
                    (party, *_UNAUTHENTICATED, limit, offset),
                ).fetchall()
        return [_dl(r) for r in rows]

    def get_deadletter(self, dl_id: int) -> DeadLetter | None:
        cols = "id, sender, message_id, codes, errors, body, headers, channel, received_at, redriven_at, redrive_result"
        with self._lock:
            row = self._db.execute(f"SELECT {cols} FROM deadletters WHERE id = ?", (dl_id,)).fetchone()  # noqa: S608
        return _dl(row) if row else None

    def mark_redriven(self, dl_id: int, at: float, result: str) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE deadletters SET redriven_at = ?, redrive_result = ? WHERE id = ?", (at, result, dl_id)
            )

    def remember_nonce(self, sender: str, nonce: str, at: float, keep_s: float) -> bool:
        with self.transaction():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO nonces (sender, nonce, seen_at) VALUES (?,?,?)", (sender, nonce, at)
            )
            if cur.rowcount == 1 and int(at) % 60 == 0:  # prune now and then
                self._db.execute("DELETE FROM nonces WHERE seen_at < ?", (at - keep_s,))
            return cur.rowcount == 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {}
            for name, sql in (
                ("messages", "SELECT COUNT(*) FROM messages"),
                ("delivered", "SELECT COUNT(*) FROM messages WHERE status = 'delivered'"),
                ("receipts", "SELECT COUNT(*) FROM receipts"),
                ("deadletters", "SELECT COUNT(*) FROM deadletters"),
            ):
                out[name] = int(self._db.execute(sql).fetchone()[0])
        return out

    def max_seq(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM messages").fetchone()[0])

    def message_by_seq(self, seq: int) -> MessageRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_MSG_COLS} FROM messages WHERE seq = ?", (seq,)).fetchone()  # noqa: S608
        return _msg(row) if row else None

    def recent_messages(self, limit: int) -> list[MessageRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MSG_COLS} FROM messages ORDER BY seq DESC LIMIT ?",  # noqa: S608
                (limit,),
            ).fetchall()
        return [_msg(r) for r in rows]

    def messages_of_type(self, message_type: str, limit: int) -> list[MessageRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MSG_COLS} FROM messages WHERE message_type = ? ORDER BY seq DESC LIMIT ?",  # noqa: S608
                (message_type, limit),
            ).fetchall()
        return [_msg(r) for r in rows]

    def timings_since(self, since: float) -> list[tuple[float, float | None]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT received_at, delivered_at FROM messages WHERE received_at >= ?", (since,)
            ).fetchall()
        return [(float(a), None if b is None else float(b)) for a, b in rows]

    def seqs_between(self, low: int, high: int) -> list[int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq FROM messages WHERE seq > ? AND seq <= ? ORDER BY seq", (low, high)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def trace_count(self, correlation_id: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM messages WHERE correlation_id = ?", (correlation_id,))
            return int(row.fetchone()[0])

    def recent_deadletters(self, limit: int) -> list[DeadLetter]:
        cols = "id, sender, message_id, codes, errors, body, headers, channel, received_at, redriven_at, redrive_result"
        with self._lock:
            rows = self._db.execute(
                f"SELECT {cols} FROM deadletters ORDER BY id DESC LIMIT ?",  # noqa: S608
                (limit,),
            ).fetchall()
        return [_dl(r) for r in rows]

    def iter_messages(self, after_seq: int, limit: int) -> Iterator[MessageRecord]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MSG_COLS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
                (after_seq, limit),
            ).fetchall()
        return iter([_msg(r) for r in rows])
