"""The dual channel's books, kept in a tax node's own store.

What the bureau sent (per record version and receiver, with the content digest), what arrived on which channel
and when, how many times each record version was applied, and channel B's retry queue. The tables live in the
node store's connection, so a record change, its channel-A outbox entry and its channel-B queue entry commit
together or not at all. Times here are wall-clock epoch seconds: they measure the channels, not the business.
"""

from __future__ import annotations

from dataclasses import dataclass

from swsim.node.store import NodeStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS dc_sent (record_id TEXT NOT NULL, version INTEGER NOT NULL, receiver TEXT NOT NULL,
  type TEXT NOT NULL, digest TEXT NOT NULL, sent_at REAL NOT NULL, PRIMARY KEY (record_id, version, receiver));
CREATE TABLE IF NOT EXISTS dc_arrival (record_id TEXT NOT NULL, version INTEGER NOT NULL, channel TEXT NOT NULL,
  sender TEXT NOT NULL, digest TEXT NOT NULL, message_id TEXT NOT NULL, at REAL NOT NULL,
  PRIMARY KEY (record_id, version, channel));
CREATE TABLE IF NOT EXISTS dc_applied (record_id TEXT NOT NULL, version INTEGER NOT NULL, channel TEXT NOT NULL,
  applications INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (record_id, version));
CREATE TABLE IF NOT EXISTS dc_line (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL,
  version INTEGER NOT NULL, receiver TEXT NOT NULL, body BLOB NOT NULL, content_type TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt REAL NOT NULL, last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS dc_line_due ON dc_line (status, next_attempt);
"""

CHANNELS = ("A", "B")
"""A: the tax data exchange channel (Kafka, via the gateway); B: the dedicated line (direct HTTP)."""


@dataclass(frozen=True)
class Sent:
    record_id: str
    version: int
    receiver: str
    type: str
    digest: str
    sent_at: float


@dataclass(frozen=True)
class Arrival:
    record_id: str
    version: int
    channel: str
    sender: str
    digest: str
    message_id: str
    at: float


@dataclass(frozen=True)
class LineEntry:
    seq: int
    record_id: str
    version: int
    receiver: str
    body: bytes
    content_type: str
    status: str  # pending | delivered | rejected
    attempts: int
    next_attempt: float
    last_error: str


class Books:
    """Read and write the dual-channel tables of one tax node's store."""

    def __init__(self, store: NodeStore) -> None:
        self.store = store

    # -- sending side
    def sent(self, s: Sent) -> None:
        self.store.execute(
            "INSERT INTO dc_sent VALUES (?,?,?,?,?,?) ON CONFLICT (record_id, version, receiver) "
            "DO UPDATE SET type = excluded.type, digest = excluded.digest, sent_at = excluded.sent_at",
            (s.record_id, s.version, s.receiver, s.type, s.digest, s.sent_at),
        )

    def queue_line(self, record_id: str, version: int, receiver: str, body: bytes, content_type: str) -> None:
        self.store.execute(
            "INSERT INTO dc_line (record_id, version, receiver, body, content_type, status, attempts, next_attempt) "
            "VALUES (?,?,?,?,?, 'pending', 0, 0)",
            (record_id, version, receiver, body, content_type),
        )

    def line_due(self, now: float, limit: int = 100) -> list[LineEntry]:
        rows = self.store.rows(
            "SELECT * FROM dc_line WHERE status = 'pending' AND next_attempt <= ? ORDER BY seq LIMIT ?", (now, limit)
        )
        return [_line(r) for r in rows]

    def line_done(self, seq: int, status: str, attempts: int, error: str = "") -> None:
        self.store.execute(
            "UPDATE dc_line SET status = ?, attempts = ?, last_error = ? WHERE seq = ?", (status, attempts, error, seq)
        )

    def line_retry(self, seq: int, attempts: int, next_attempt: float, error: str) -> None:
        self.store.execute(
            "UPDATE dc_line SET attempts = ?, next_attempt = ?, last_error = ? WHERE seq = ?",
            (attempts, next_attempt, error[:300], seq),
        )

    def line_entries(self) -> list[LineEntry]:
        return [_line(r) for r in self.store.rows("SELECT * FROM dc_line ORDER BY seq")]

    # -- receiving side
    def arrived(self, a: Arrival) -> bool:
        """Note an arrival; False if this channel already brought this record version (a redelivery)."""
        changed = self.store.execute(
            "INSERT OR IGNORE INTO dc_arrival VALUES (?,?,?,?,?,?,?)",
            (a.record_id, a.version, a.channel, a.sender, a.digest, a.message_id, a.at),
        )
        return changed == 1

    def first_arrival(self, record_id: str, version: int) -> bool:
        """True when no channel has brought this record version before."""
        rows = self.store.rows("SELECT 1 FROM dc_applied WHERE record_id = ? AND version = ?", (record_id, version))
        return not rows

    def applied(self, record_id: str, version: int, channel: str, at: float) -> None:
        self.store.execute(
            "INSERT INTO dc_applied VALUES (?,?,?,1,?) ON CONFLICT (record_id, version) "
            "DO UPDATE SET applications = dc_applied.applications + 1",
            (record_id, version, channel, at),
        )

    def all_arrivals(self) -> list[Arrival]:
        return [Arrival(*r) for r in self.store.rows("SELECT * FROM dc_arrival ORDER BY at, record_id")]

    def applications(self) -> dict[tuple[str, int], tuple[str, int]]:
        """(record id, version) -> (first channel, times applied)."""
        rows = self.store.rows("SELECT record_id, version, channel, applications FROM dc_applied")
        return {(r[0], int(r[1])): (str(r[2]), int(r[3])) for r in rows}


def _line(r: tuple[object, ...]) -> LineEntry:
    seq, rid, ver, receiver, body, ctype, status, attempts, nxt, err = r
    return LineEntry(
        int(seq),  # type: ignore[call-overload]
        str(rid),
        int(ver),  # type: ignore[call-overload]
        str(receiver),
        bytes(body),  # type: ignore[call-overload]
        str(ctype),
        str(status),
        int(attempts),  # type: ignore[call-overload]
        float(nxt),  # type: ignore[arg-type]
        str(err),
    )
