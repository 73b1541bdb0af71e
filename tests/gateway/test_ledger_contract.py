"""One contract for every ledger store: the same tests on SQLite (the embedded default) and on a real PostgreSQL
server (for gateways on several hosts)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.ledger import DeadLetter, Ledger, MessageRecord, ReceiptRecord
from gateway.postgres_ledger import PostgresLedger
from gateway.service import build_gateway
from gateway.sqlite_ledger import SqliteLedger
from swsim.bench.gateway_bench import make_bodies
from swsim.broker import EmbeddedBroker
from swsim.client import signed_headers
from swsim.network import Role, default_parties, private_key
from swsim.settings import Settings
from swsim.transport.kafka import KafkaTransport
from tests.pgserver import fresh_database

SEED = "swsim-demo-network"


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        store: Ledger = SqliteLedger(tmp_path / "ledger.db")
    else:
        store = PostgresLedger(fresh_database(request.getfixturevalue("postgres_server")))
    yield store
    store.close()


def _msg(mid: str, sender: str = "A", receivers: tuple[str, ...] = ("B",), corr: str | None = "BILL1",
         digest: str = "d1", mtype: str = "MT2301", at: float = 1000.0) -> MessageRecord:  # fmt: skip
    return MessageRecord(sender, mid, mtype, list(receivers), corr, None, "json", digest, b'{"x": 1}', "kafka", at)


def test_insert_is_new_then_duplicate_or_conflict(ledger: Ledger) -> None:
    result, rec = ledger.insert_message(_msg("M1"))
    assert result == "new"
    assert rec.seq is not None
    again, existing = ledger.insert_message(_msg("M1"))
    assert again == "duplicate"
    assert existing.seq == rec.seq
    assert existing.body == b'{"x": 1}'
    assert ledger.insert_message(_msg("M1", digest="other"))[0] == "conflict"
    assert ledger.insert_message(_msg("M1", sender="C"))[0] == "new"  # ids are per sender
    assert ledger.counts()["messages"] == 2


def test_a_failed_transaction_leaves_nothing_and_the_ledger_usable(ledger: Ledger) -> None:
    """A batch whose transaction fails (here a statement the store refuses, which leaves a PostgreSQL transaction
    aborted) records none of its messages, and the next transaction works."""

    def failing_batch() -> None:
        with ledger.transaction():
            ledger.insert_message(_msg("M1"))
            ledger._db.execute("SELECT no_such_column FROM messages")  # type: ignore[attr-defined]

    with pytest.raises(Exception, match="no_such_column"):
        failing_batch()
    assert not ledger._db.in_transaction  # type: ignore[attr-defined]
    assert ledger.counts()["messages"] == 0
    with ledger.transaction():
        assert ledger.insert_message(_msg("M1"))[0] == "new"
    assert ledger.counts()["messages"] == 1


def test_visibility_trace_and_delivery(ledger: Ledger) -> None:
    _, a = ledger.insert_message(_msg("M1", receivers=("B", "C")))
    _, b = ledger.insert_message(_msg("M2", sender="B", receivers=("A",)))
    ledger.insert_message(_msg("M3", corr="OTHER"))
    assert [m.message_id for m in ledger.find_visible("M1", "C")] == ["M1"]  # a receiver sees it
    assert ledger.find_visible("M1", "D") == []  # anyone else does not
    assert [m.message_id for m in ledger.trace("BILL1", None)] == ["M1", "M2"]
    assert [m.message_id for m in ledger.trace("BILL1", "C")] == ["M1"]
    assert a.seq is not None
    assert b.seq is not None
    ledger.mark_delivered([a.seq], 1001.5)
    got = ledger.message_by_seq(a.seq)
    assert got is not None
    assert (got.status, got.delivered_at, got.receivers) == ("delivered", 1001.5, ["B", "C"])
    assert ledger.counts()["delivered"] == 1
    assert ledger.max_seq() == max(a.seq, b.seq) + 1
    assert [m.message_id for m in ledger.iter_messages(a.seq, 10)] == ["M2", "M3"]
    assert [m.message_id for m in ledger.recent_messages(2)] == ["M3", "M2"]
    assert [m.message_id for m in ledger.messages_of_type("MT2301", 5)] == ["M3", "M2", "M1"]
    assert (1000.0, 1001.5) in ledger.timings_since(999.0)
    assert ledger.timings_since(5000.0) == []


def test_trace_pages_in_order_of_arrival(ledger: Ledger) -> None:
    for i in range(7):  # C receives every other one; M9 is about another consignment
        ledger.insert_message(_msg(f"M{i}", receivers=("B", "C") if i % 2 else ("B",), at=1000.0 + i))
        ledger.insert_message(_msg(f"N{i}", corr="OTHER"))
    everything = [f"M{i}" for i in range(7)]
    assert [m.message_id for m in ledger.trace("BILL1", None)] == everything  # no limit: all of them
    pages = [[m.message_id for m in ledger.trace("BILL1", None, 3, offset)] for offset in (0, 3, 6, 7)]
    assert pages == [everything[:3], everything[3:6], everything[6:], []]
    assert [m.message_id for m in ledger.trace("BILL1", "C", 2, 0)] == ["M1", "M3"]  # a page of what C may see
    assert [m.message_id for m in ledger.trace("BILL1", "C", 2, 2)] == ["M5"]
    assert [m.message_id for m in ledger.trace("BILL1", "A", 1, 6)] == ["M6"]
    assert ledger.trace("BILL1", "D", 10, 0) == []


def test_receipts_deadletters_and_nonces(ledger: Ledger) -> None:
    r = ReceiptRecord("R1", "A", "M1", "rejected", ["SCHEMA_INVALID"], "json", b"{}", 5.0)
    ledger.add_receipt(r)
    ledger.add_receipt(r)  # the same receipt twice is kept once
    assert ledger.receipts_for("A", "M1") == [r]
    dl = DeadLetter("A", "M9", ["SCHEMA_INVALID"], [{"code": "SCHEMA_INVALID", "message": "bad"}], b"<x/>",
                    {"sw-sender": "A"}, "kafka", 7.0)  # fmt: skip
    first = ledger.add_deadletter(dl)
    second = ledger.add_deadletter(DeadLetter(None, None, ["X"], [], b"", {}, "http", 8.0))
    assert second > first > 0
    # a record refused for its signature only claims to come from A: the operator sees it, A does not
    claimed = ledger.add_deadletter(DeadLetter("A", "M8", ["SIGNATURE_INVALID"], [], b"{}", {}, "kafka", 8.5))
    assert [d.id for d in ledger.list_deadletters(None, 10, 0)] == [first, second, claimed]
    assert [d.id for d in ledger.list_deadletters("A", 10, 0)] == [first]
    ledger.mark_redriven(first, 9.0, "delivered")
    got = ledger.get_deadletter(first)
    assert got is not None
    assert (got.errors, got.headers, got.redrive_result) == (dl.errors, dl.headers, "delivered")
    assert ledger.get_deadletter(10_000) is None
    assert ledger.remember_nonce("A", "n1", 100.0, 300)
    assert not ledger.remember_nonce("A", "n1", 101.0, 300)  # a replay
    assert ledger.remember_nonce("B", "n1", 101.0, 300)


def test_concurrent_inserts_of_one_message_make_one_row(ledger: Ledger, tmp_path: Path) -> None:
    """Two writers racing on the same (sender, MessageID): one "new", the rest "duplicate"."""
    others: list[Ledger]
    if isinstance(ledger, PostgresLedger):
        others = [PostgresLedger(ledger.path) for _ in range(3)]
    else:
        others = [SqliteLedger(tmp_path / "ledger.db")]  # the fixture's file, on a second connection
    results: list[str] = []
    lock = threading.Lock()

    def go(store: Ledger) -> None:
        r, _ = store.insert_message(_msg("RACE"))
        with lock:
            results.append(r)

    threads = [threading.Thread(target=go, args=(s,)) for s in [ledger, *others]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in others:
        s.close()
    assert sorted(results) == ["duplicate"] * (len(threads) - 1) + ["new"]
    assert ledger.counts()["messages"] == 1


def test_a_gateway_routes_through_the_postgres_ledger(postgres_server: str, broker: EmbeddedBroker) -> None:
    """SWSIM_LEDGER_URL: the gateway's router records, routes and receipts through PostgreSQL."""
    prefix = "pg" + uuid.uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix=prefix, network_seed=SEED,
                        ledger_url=fresh_database(postgres_server))  # fmt: skip
    gw = build_gateway(settings, KafkaTransport(broker.bootstrap, "pg-gw"))
    assert isinstance(gw.ledger, PostgresLedger)
    gw.ensure_topics()
    gw.start_router()
    trader = next(p.id for p in default_parties(SEED) if p.role == Role.TRADER)
    t = KafkaTransport(broker.bootstrap, "pg-test")
    try:
        bodies = make_bodies(20, trader, "7900", prefix[-6:])
        for b in bodies + bodies[:5]:  # five sent twice: absorbed by the ledger
            t.send(gw.topics.ingress, b, None, signed_headers(private_key(SEED, trader), trader, b))
        t.flush()
        deadline = time.monotonic() + 60
        while gw.ledger.counts()["delivered"] < 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        counts = gw.ledger.counts()
        assert (counts["messages"], counts["delivered"]) == (20, 20)
    finally:
        t.close()
        gw.stop()
