"""A sqlite3-shaped connection on PostgreSQL, so the SQLite stores (ledger, node stores) run unchanged on it.

The stores write the SQL both engines share (``INSERT ... ON CONFLICT``), plus a few SQLite forms this adapter turns
into PostgreSQL's: ``?`` placeholders, ``INSERT OR IGNORE``, ``BEGIN IMMEDIATE``, ``lastrowid`` (through
``RETURNING``) and, in schemas, ``INTEGER PRIMARY KEY AUTOINCREMENT``, ``BLOB``, ``REAL`` and ``INTEGER``.
One set of queries per store, one contract test on both engines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_SCHEMA_TYPES = (
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.IGNORECASE), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),  # PostgreSQL's REAL is 4 bytes: epoch seconds need 8
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
)


def translate(sql: str, keys: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """The PostgreSQL form of one SQLite statement, and the key column an insert returns (``keys``: table -> key
    column, for the tables whose inserts report ``lastrowid``)."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN", None
    text = sql.replace("?", "%s")
    m = _INSERT.match(text)
    if m is None:
        return text, None
    key = (keys or {}).get(m.group(2))
    if m.group(1):
        text = _INSERT.sub(f"INSERT INTO {m.group(2)}", text, count=1) + " ON CONFLICT DO NOTHING"
    if key is not None:
        text += f" RETURNING {key}"
    return text, key


def translate_schema(script: str) -> str:
    """A SQLite schema script in PostgreSQL's types."""
    for pattern, replacement in _SCHEMA_TYPES:
        script = pattern.sub(replacement, script)
    return script


def schema_name(name: str) -> str:
    """A safe PostgreSQL schema name for a node (``8000`` -> ``node_8000``)."""
    return "node_" + re.sub(r"[^a-z0-9_]", "_", name.lower())


class Cursor:
    """What the stores read back: rows, rowcount and lastrowid, as from sqlite3."""

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, rowcount, lastrowid

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


def _verb(sql: str) -> str:
    return sql.lstrip()[:8].upper()


class PgConnection:
    """One psycopg connection in autocommit mode (the stores issue BEGIN/COMMIT themselves). ``schema``: the
    PostgreSQL schema to work in (created if missing), so that several nodes share one database.

    A connection that broke (the server restarted, the network dropped) is opened again by the next statement, but
    never in the middle of a transaction: what the transaction wrote went with the old connection, so its remaining
    statements fail (and the store's caller retries the whole of it) until its ROLLBACK, or the next BEGIN."""

    def __init__(self, url: str, keys: Mapping[str, str] | None = None, schema: str | None = None) -> None:
        self._keys = dict(keys or {})
        self._url = url
        self._options = f"-c search_path={schema}" if schema else ""
        self._txn = False  # a transaction is open on this connection (as the server said after the last statement)
        self._conn = self._connect()
        if schema:
            with locked(self, f"schema {schema}"):
                self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}".encode())  # name from schema_name()

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._url, autocommit=True, options=self._options)

    def _ready(self, sql: str) -> bool:
        """Whether to run ``sql``: open the connection again if it broke, unless a transaction was under way on it
        (then refuse the statement; a ROLLBACK of it has nothing left to do: False)."""
        if not self._conn.broken:
            return True
        if self._txn and not _verb(sql).startswith("BEGIN"):
            if _verb(sql).startswith("ROLLBACK"):
                self._txn = False
                return False
            raise psycopg.OperationalError(
                "the connection to PostgreSQL broke during this transaction: it is lost, retry it whole"
            )
        self._conn.close()  # frees the socket now (harmless on a broken connection)
        self._conn = self._connect()
        self._txn = False
        return True

    def _settled(self, sql: str) -> None:
        """After a statement, whether it worked or not: note whether a transaction is open. On a connection that
        broke, a transaction that was under way stays noted (its remaining statements must fail), and a BEGIN that
        failed opened none."""
        if self._conn.broken:
            if _verb(sql).startswith("BEGIN"):
                self._txn = False
            return
        status = self._conn.info.transaction_status
        self._txn = status in (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if not self._ready(sql):
            return Cursor([], -1, None)
        text, key = translate(sql, self._keys)
        try:
            cur = self._conn.execute(text.encode(), params)  # SQL text built from the stores' constants
            rows = cur.fetchall() if cur.description is not None else []
        finally:
            self._settled(sql)
        lastrowid = int(rows[0][0]) if key is not None and rows else None
        return Cursor([] if key is not None else rows, cur.rowcount, lastrowid)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        if not self._ready(sql):
            return
        text, _ = translate(sql, self._keys)
        try:
            with self._conn.cursor() as cur:
                cur.executemany(text.encode(), list(params))
        finally:
            self._settled(sql)

    def executescript(self, script: str) -> None:
        """Run a schema script, one process at a time (``CREATE ... IF NOT EXISTS`` races otherwise)."""
        self._ready(script)
        with locked(self, "schema script"):
            self._conn.execute(translate_schema(script).encode())

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (as :attr:`sqlite3.Connection.in_transaction`), failed ones included. A
        transaction of a broken connection is no longer open: the server rolled it back when the connection went."""
        if self._conn.broken:
            self._txn = False
            return False
        status = self._conn.info.transaction_status
        return status in (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR)

    def close(self) -> None:
        self._conn.close()


@contextmanager
def locked(conn: PgConnection, name: str) -> Iterator[None]:
    """A PostgreSQL advisory lock held for the ``with`` block, across every process using the database."""
    conn._conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
    try:
        yield
    finally:
        if not conn._conn.broken:  # else the server already released it with the session (and would hide the error)
            conn._conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
