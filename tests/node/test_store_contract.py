"""One contract for every node store: the same tests on SQLite (one file per node, the embedded default) and on a
real PostgreSQL server (one schema per node in a shared database, for nodes running as services)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from swsim.node.store import NodeStore, OutboxEntry, StoreRef, is_store_failure
from tax_exchange import books as b
from tax_exchange.reconcile import read_view
from tests.pgserver import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    """Where stores go: a folder, and a database URL (None for SQLite)."""
    url = fresh_database(request.getfixturevalue("postgres_server")) if request.param == "postgres" else None
    return tmp_path, url


def _ref(place: tuple[Path, str | None], party: str) -> StoreRef:
    return StoreRef(party, place[0] / f"{party}.db", place[1])


@pytest.fixture
def store(place: tuple[Path, str | None]) -> Iterator[NodeStore]:
    s = _ref(place, "8000").open(b.SCHEMA)
    yield s
    s.close()


def _entry(mid: str, created: str = "2026-01-01T00:00:00", next_attempt: float = 0.0) -> OutboxEntry:
    return OutboxEntry(mid, "7900", "MT2301", "BILL1", b"\x00body\xff", "pending", 0, next_attempt, created, [])


def test_first_time_and_counters(store: NodeStore) -> None:
    assert store.first_time("A", "M1", "t")
    assert not store.first_time("A", "M1", "t")
    assert store.first_time("B", "M1", "t")  # ids are per sender
    assert [store.next_number("decl") for _ in range(3)] == [1, 2, 3]
    assert store.next_number("other") == 1


def test_documents_replace_delete_and_find_by_bill(store: NodeStore) -> None:
    store.put("transit", "T2", {"id": "T2", "bill": "B1", "n": 1})
    store.put("transit", "T1", {"id": "T1", "bill": "B1"})
    store.put("transit", "T3", {"id": "T3", "bill": "B2"})
    store.put("transit", "T2", {"id": "T2", "bill": "B1", "n": 2})  # replaced, not added
    store.put("decision", "B1", {"bill": "B1"})
    assert store.get("transit", "T2") == {"id": "T2", "bill": "B1", "n": 2}
    assert store.get("transit", "nope") is None
    assert [d["id"] for d in store.all("transit")] == ["T1", "T2", "T3"]
    assert [d["id"] for d in store.by_bill("transit", "B1")] == ["T1", "T2"]
    store.put("transit", "T1", {"id": "T1", "bill": "B2"})  # the bill moves with the document
    assert [d["id"] for d in store.by_bill("transit", "B2")] == ["T1", "T3"]
    store.delete("transit", "T3")
    assert [d["id"] for d in store.all("transit")] == ["T1", "T2"]


def test_outbox_lifecycle(store: NodeStore) -> None:
    now = time.time()  # epoch seconds: the store keeps sub-second precision
    store.enqueue(_entry("M2", "2026-01-01T00:00:02", now + 0.25))
    store.enqueue(_entry("M1", "2026-01-01T00:00:01"))
    store.enqueue(_entry("M1", "2026-01-01T00:00:09"))  # the same message again: ignored
    assert [e.message_id for e in store.due(now)] == ["M1"]
    assert [e.message_id for e in store.due(now + 0.25)] == ["M1", "M2"]
    assert store.outbox()[1].body == b"\x00body\xff"
    assert store.outbox()[1].next_attempt == pytest.approx(now + 0.25, abs=1e-6)
    store.attempted("M1", 1, now + 10)
    assert [e.message_id for e in store.due(now + 1)] == ["M2"]
    assert store.settle("M1", "delivered", [])
    assert not store.settle("M1", "rejected", ["E1"])  # settled once
    assert store.settle("M2", "rejected", ["SCHEMA_INVALID"])
    assert not store.settle("unknown", "delivered", [])
    assert [(e.message_id, e.status, e.codes) for e in store.outbox()] == [
        ("M1", "delivered", []),
        ("M2", "rejected", ["SCHEMA_INVALID"]),
    ]
    assert [e.message_id for e in store.outbox("rejected")] == ["M2"]


def test_a_failed_entry_stays_due_until_settled(store: NodeStore) -> None:
    now = time.time()
    store.enqueue(_entry("M1"))
    store.enqueue(_entry("M2", "2026-01-01T00:00:02"))
    assert store.attempted("M1", 50, now + 60, "failed")  # out of attempts: overdue, re-sent more slowly
    assert [e.message_id for e in store.due(now)] == ["M2"]
    assert [e.message_id for e in store.due(now + 60)] == ["M1", "M2"]
    store.attempted("M2", 1, now + 5)
    store.resend_unsettled()  # the broker lost its state: everything unreceipted, failed or not, is due now
    assert [(e.message_id, e.status) for e in store.due(now)] == [("M1", "failed"), ("M2", "pending")]
    assert store.settle("M1", "delivered", [])
    assert not store.attempted("M1", 51, now + 60, "failed")  # settled meanwhile: stays settled
    store.resend_unsettled()
    assert [e.message_id for e in store.due(now)] == ["M2"]
    assert [(e.message_id, e.status, e.attempts) for e in store.outbox()] == [("M1", "delivered", 50),
                                                                              ("M2", "pending", 1)]  # fmt: skip


def test_a_store_failure_is_told_from_a_wrong_statement(place: tuple[Path, str | None], store: NodeStore) -> None:
    """What a node retries (the store failing) and what it does not (a statement that can never work)."""
    with pytest.raises(Exception) as wrong:
        store.rows("SELECT * FROM no_such_table")
    assert not is_store_failure(wrong.value)
    if place[1] is None:  # SQLite: another writer holds the database
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        store._db.execute("PRAGMA busy_timeout = 0")
        try:
            with pytest.raises(sqlite3.OperationalError) as locked:
                store.put("decision", "B1", {"bill": "B1"})
        finally:
            other.close()
        assert is_store_failure(locked.value)
    else:  # PostgreSQL: the server ended the connection
        import psycopg

        with psycopg.connect(place[1], autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                          "AND datname = current_database()")  # fmt: skip
        with pytest.raises(psycopg.OperationalError) as gone:
            store.put("decision", "B1", {"bill": "B1"})
        assert is_store_failure(gone.value)


def _fail_midway(store: NodeStore) -> None:
    with store.transaction():
        store.put("decision", "B1", {"bill": "B1"})
        store.enqueue(_entry("M1"))
        with store.transaction():  # nested: joins the outer one
            store.note("t", "decided", bill="B1")
        raise RuntimeError("the handler failed")


def test_a_failed_transaction_leaves_nothing(store: NodeStore) -> None:
    with pytest.raises(RuntimeError):
        _fail_midway(store)
    assert store.get("decision", "B1") is None
    assert store.outbox() == []
    assert store.timeline() == []
    with store.transaction():
        store.put("decision", "B1", {"bill": "B1"})
        store.enqueue(_entry("M1"))
    assert store.get("decision", "B1") is not None
    assert len(store.outbox()) == 1


def test_timeline_keeps_order(store: NodeStore) -> None:
    for i in range(5):
        store.note(f"t{i}", "step", i=i)
    assert [(at, data["i"]) for at, _, data in store.timeline()] == [(f"t{i}", i) for i in range(5)]


def test_tax_books_in_the_store(store: NodeStore) -> None:
    books = b.Books(store)
    books.sent(b.Sent("R1", 1, "TAXSC", "TX101", "d1", 1000.5))
    books.sent(b.Sent("R1", 1, "TAXSC", "TX101", "d2", 1001.5))  # re-sent: the book keeps the last
    books.queue_line("R1", 1, "TAXSC", b"{}", "application/json")
    books.queue_line("R2", 1, "TAXSC", b"{}", "application/json")
    due = books.line_due(time.time())
    assert [e.record_id for e in due] == ["R1", "R2"]
    books.line_retry(due[0].seq, 1, time.time() + 60, "down")
    books.line_done(due[1].seq, "delivered", 1)
    assert books.line_due(time.time()) == []
    assert [(e.status, e.last_error) for e in books.line_entries()] == [("pending", "down"), ("delivered", "")]
    assert books.first_arrival("R9", 1)
    assert books.arrived(b.Arrival("R9", 1, "A", "TAXSC", "d", "M1", 1000.0))
    assert not books.arrived(b.Arrival("R9", 1, "A", "TAXSC", "d", "M1", 1000.0))
    books.applied("R9", 1, "A", 1000.0)
    assert not books.first_arrival("R9", 1)
    books.applied("R9", 1, "B", 1001.0)
    assert books.applications() == {("R9", 1): ("A", 2)}


def test_books_read_from_outside_while_the_node_runs(place: tuple[Path, str | None], store: NodeStore) -> None:
    ref = _ref(place, "8000")
    b.Books(store).sent(b.Sent("R1", 2, "TAXSC", "TX101", "d1", 1000.5))
    b.Books(store).applied("R7", 1, "B", 1000.0)
    view = read_view("8000", ref)
    assert [(s.record_id, s.version, s.sent_at) for s in view.sent] == [("R1", 2, 1000.5)]
    assert view.applications == {("R7", 1): 1}


def test_nodes_keep_separate_stores(place: tuple[Path, str | None], store: NodeStore) -> None:
    other = _ref(place, "7900").open()
    try:
        store.put("decision", "B1", {"bill": "B1", "by": "8000"})
        other.put("decision", "B1", {"bill": "B1", "by": "7900"})
        assert store.get("decision", "B1") == {"bill": "B1", "by": "8000"}
        assert other.get("decision", "B1") == {"bill": "B1", "by": "7900"}
        assert read_view("7900", _ref(place, "7900")).sent == []  # no tax books there: an empty view
    finally:
        other.close()


def test_a_missing_sqlite_store_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no store for node TAXSC"):
        read_view("TAXSC", StoreRef("TAXSC", tmp_path / "none.db"))


def test_an_older_sqlite_store_is_upgraded(tmp_path: Path) -> None:
    """Stores made before the bill was a column (it was a JSON expression index) open and find by bill."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));"
        "CREATE INDEX docs_bill ON docs (kind, json_extract(data, '$.bill'));"
        """INSERT INTO docs VALUES ('transit', 'T1', '{"id": "T1", "bill": "B1"}');"""
    )
    db.close()
    store = NodeStore(path)
    try:
        assert [d["id"] for d in store.by_bill("transit", "B1")] == ["T1"]
        store.put("transit", "T2", {"id": "T2", "bill": "B1"})
        assert [d["id"] for d in store.by_bill("transit", "B1")] == ["T1", "T2"]
    finally:
        store.close()


def test_a_postgres_store_reconnects_but_never_in_the_middle_of_a_transaction(
    postgres_server: str, tmp_path: Path
) -> None:
    """The server ends the store's connection (a restart, a dropped network): the statement that finds it gone
    fails, and the next one works on a new connection. Within a transaction nothing goes on a new connection: its
    remaining statements fail, so nothing of it is kept (a caller that swallowed the first error included)."""
    import psycopg

    url = fresh_database(postgres_server)
    store = StoreRef("8000", tmp_path / "8000.db", url).open(b.SCHEMA)

    def end_connections() -> None:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                          "AND datname = current_database()")  # fmt: skip

    try:
        end_connections()
        with pytest.raises(psycopg.OperationalError):
            store.put("decision", "B0", {"bill": "B0"})  # its BEGIN finds the connection gone
        assert store.get("decision", "B0") is None  # a read outside any transaction reconnects
        store.put("decision", "B1", {"bill": "B1"})
        assert store.get("decision", "B1") == {"bill": "B1"}

        def broken_midway() -> None:
            with store.transaction():
                store.put("decision", "B2", {"bill": "B2"})
                end_connections()
                with pytest.raises(psycopg.OperationalError):
                    store.put("decision", "B3", {"bill": "B3"})
                with pytest.raises(psycopg.OperationalError, match="during this transaction"):
                    store.enqueue(_entry("M2"))  # on a new connection it would be kept, outside any transaction

        with pytest.raises(psycopg.OperationalError):  # the COMMIT
            broken_midway()
        assert store.get("decision", "B2") is None
        assert store.get("decision", "B3") is None
        assert store.outbox() == []

        with store.transaction():
            store.put("decision", "B4", {"bill": "B4"})
            store.enqueue(_entry("M4"))
        assert store.get("decision", "B4") == {"bill": "B4"}
        assert [e.message_id for e in store.outbox()] == ["M4"]
    finally:
        store.close()
