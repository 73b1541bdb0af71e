"""The ledger on PostgreSQL, for several gateway processes on several hosts (``SWSIM_LEDGER_URL``).

It runs the very queries and schema of :class:`gateway.sqlite_ledger.SqliteLedger` through the dialect adapter in
:mod:`swsim.postgres`, so both stores keep one implementation of the ledger's logic, and one contract test runs on
both. Concurrent gateways are safe through the unique ``(sender, message_id)`` constraint: an insert that loses the
race does nothing, then finds the winner's row.
"""

from __future__ import annotations

import threading

from gateway.sqlite_ledger import SCHEMA, SqliteLedger
from swsim.postgres import PgConnection

_KEYS = {"messages": "seq", "deadletters": "id"}
"""Tables whose inserts report the new row's key (SQLite's ``lastrowid``)."""


class PostgresLedger(SqliteLedger):
    """The same ledger on PostgreSQL (``url``: ``postgresql://user:password@host:port/database``)."""

    def __init__(self, url: str) -> None:  # not SqliteDb.__init__: no file, no PRAGMAs
        self.path = url
        self._db = PgConnection(url, _KEYS)  # type: ignore[assignment]
        self._lock = threading.RLock()
        self._depth = 0
        self._db.executescript(SCHEMA)
