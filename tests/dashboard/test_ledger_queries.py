"""The ledger queries the dashboard added, on both stores (SQLite, and PostgreSQL through the dialect adapter)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.ledger import Ledger
from gateway.postgres_ledger import PostgresLedger
from gateway.sqlite_ledger import SqliteLedger
from tests.pgserver import fresh_database

from .helpers import dead_letter_record, record


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        store: Ledger = SqliteLedger(tmp_path / "ledger.db")
    else:
        store = PostgresLedger(fresh_database(request.getfixturevalue("postgres_server")))
    yield store
    store.close()


def test_dashboard_queries(ledger: Ledger) -> None:
    seqs = [record(ledger, corr="BL-A"), record(ledger, corr="BL-B"), record(ledger, corr="BL-A")]
    assert ledger.seqs_between(seqs[0], seqs[2]) == seqs[1:]  # low excluded, high included
    assert ledger.seqs_between(seqs[2], seqs[2] + 5) == []
    assert (ledger.trace_count("BL-A"), ledger.trace_count("BL-B"), ledger.trace_count("BL-C")) == (2, 1, 0)
    ids = [ledger.add_deadletter(dead_letter_record(f"s{i}")) for i in range(4)]
    assert [d.id for d in ledger.recent_deadletters(3)] == ids[:0:-1]  # the newest three, newest first
    assert [d.sender for d in ledger.recent_deadletters(1)] == ["s3"]
    assert [d.id for d in ledger.list_deadletters(None, 2, 0)] == ids[:2]  # the API's listing: unchanged
