"""The live stream (server-sent events): frames that any reader splits right, and a cursor, so that no message is
lost between the page's first load and the stream, on a reconnect, or when an insert commits late."""

from __future__ import annotations

import json

import httpx
import pytest

from gateway.dashboard import live
from gateway.dashboard.live import Cursor
from gateway.postgres_ledger import PostgresLedger
from gateway.router import inbound_from_record
from gateway.service import Gateway
from swsim.transport.base import Record
from tests.pgserver import fresh_database

from .helpers import OPERATOR, Events, record


def test_frames_hold_no_raw_line_separator(gw: Gateway, url: str) -> None:
    """A dead letter whose sender header is "evil\\u2028x" went out raw: a reader that ends lines at U+2028 (as
    JavaScript's regular expressions do) cut the frame, and the page failed on every tick."""
    headers = [("sw-sender", "evil\u2028x\u2029".encode()), ("sw-message-id", b"m1")]
    gw.pipeline.process(inbound_from_record(Record("ingress", b"{}", None, headers, 0, 5, 0)))
    ev = Events(f"{url}/dashboard/api/stream")
    try:
        ev.wait(lambda e: any(name == "tick" for _, name, _ in e.got))
        assert not {"\u2028", "\u2029"} & set(ev.raw.decode())
        tick = next(d for _, name, d in ev.got if name == "tick")
        assert tick["deadletters"][0]["sender"] == "evil\u2028x\u2029"  # escaped, not lost
    finally:
        ev.close()


def test_stream_goes_on_from_the_first_load_and_from_the_last_event(gw: Gateway, url: str) -> None:
    """It started at the newest message when it connected: what came between the page's first load and the
    stream, or while it reconnected, never showed."""
    record(gw.ledger)
    overview = httpx.get(f"{url}/dashboard/api/overview", headers=OPERATOR).json()
    between = record(gw.ledger)  # after the first load, before the stream
    ev = Events(f"{url}/dashboard/api/stream", {"Last-Event-ID": overview["cursor"]})
    try:
        ev.wait(lambda e: e.messages() == [between])
        assert ev.messages() == [between]
        resume = ev.last_id()
    finally:
        ev.close()
    while_away = [record(gw.ledger), record(gw.ledger)]
    ev = Events(f"{url}/dashboard/api/stream?after={resume}")  # as the first connection: ?after=
    try:
        ev.wait(lambda e: len(e.messages()) >= 2)
        assert ev.messages() == while_away
    finally:
        ev.close()


@pytest.mark.parametrize("bad", ["x", "-1", "5:7", "5:1,", "1:" + "9" * 30, str(2**63), "١٢"])
def test_a_bad_cursor_is_refused(url: str, bad: str) -> None:
    with httpx.stream("GET", f"{url}/dashboard/api/stream", params={"after": bad}, headers=OPERATOR) as r:
        assert r.status_code == 400  # a stream let through would never end: its status only, before its body
        assert json.loads(r.read())["error"]["code"] == "REQUEST_INVALID"


def test_far_behind_gets_bounded_batches_then_skips_and_says_so(
    gw: Gateway, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "BATCH", 3)
    monkeypatch.setattr(live, "BEHIND", 10)
    seqs = [record(gw.ledger) for _ in range(8)]
    cur = Cursor.parse("0")
    skip, batch = cur.pending(gw.ledger)
    assert (skip, [r.seq for r in batch]) == (None, seqs[:3])  # a bounded batch, not all eight
    for r in batch:
        cur.sent(r)
    assert str(cur) == str(seqs[2])
    seqs += [record(gw.ledger) for _ in range(10)]
    skip, batch = cur.pending(gw.ledger)  # 15 behind: skip to the newest three
    assert (skip, [r.seq for r in batch]) == (seqs[-4], seqs[-3:])
    ev = Events(f"{url}/dashboard/api/stream?after={seqs[0]}")  # the stream says what it skipped
    try:
        ev.wait(lambda e: len(e.messages()) >= 3)
        assert [(name, d) for _, name, d in ev.got if name == "skipped"] == [
            ("skipped", {"after": seqs[0], "upto": seqs[-4]})
        ]
        assert ev.messages() == seqs[-3:]
    finally:
        ev.close()


def test_a_late_commit_still_shows(gw: Gateway, postgres_server: str) -> None:
    """Two gateways on one PostgreSQL ledger: A's insert takes #1 but commits after B's #2 was streamed; a stream
    that only asks for "seq > the last one sent" never sends #1. Also across a reconnect (the event id)."""
    db = fresh_database(postgres_server)
    a, b = PostgresLedger(db), PostgresLedger(db)
    try:
        cur = Cursor.now(b)
        with a.transaction():
            first = record(a)  # gateway A: #1, not committed yet
            second = record(b)  # gateway B: #2, committed
            _, batch = cur.pending(b)
            assert [r.seq for r in batch] == [second]
            cur.sent(batch[0])
        resumed = Cursor.parse(str(cur))  # a reconnect from the last event's id
        for c in (cur, resumed):
            _, batch = c.pending(b)
            assert [r.seq for r in batch] == [first]
            c.sent(batch[0])
            assert c.pending(b) == (None, [])  # sent once
    finally:
        a.close()
        b.close()
