"""The load-test accounting and report, without a broker: latency runs from the intended send time, every
outcome is counted once, and the report shows the numbers of its JSON summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

from simulators import report
from simulators.load import LoadConfig, LoadResult, Recording, Tally, _sender, message_type
from simulators.recording import Entry
from simulators.replay import ReplayStats
from swsim.transport.base import Record


def _delivered(mid: str) -> Record:
    return Record("sw.inbox.8000", b"{}", None, [("sw-sender", b"X"), ("sw-message-id", mid.encode()),
                                                  ("sw-message-type", b"MT2301")])  # fmt: skip


def _receipt(mid: str, status: bytes) -> Record:
    return Record("sw.inbox.X", b"{}", None, [("sw-sender", b"SWGW"), ("sw-message-id", b"R-" + mid.encode()),
                                              ("sw-message-type", b"MT9999"), ("sw-reference-id", mid.encode()),
                                              ("sw-receipt-status", status)])  # fmt: skip


def _tally() -> Tally:
    t = Tally(start=100.0)
    t.sent("A", "MT2301", 100.0)
    t.sent("B", "MT2301", 100.5)
    t.sent("C", "DC101", 101.2)
    t.sent("D", "DC101", 101.4)
    t.seen(_delivered("A"), 100.25)  # 250 ms after its *intended* time
    t.seen(_delivered("A"), 100.40)  # a broadcast's second receiver: not counted again
    t.seen(_receipt("A", b"delivered"), 100.30)
    t.seen(_receipt("A", b"delivered"), 100.35)  # a re-sent receipt: once
    t.seen(_delivered("B"), 101.5)
    t.seen(_receipt("C", b"rejected"), 101.3)
    t.seen(_delivered("ZZ"), 101.6)  # a node's own reply: not ours
    return t


def test_every_outcome_is_counted_once_from_the_intended_time() -> None:
    t = _tally()
    assert (t.n_sent, t.delivered, t.receipted, t.rejected, t.lost) == (4, 2, 1, 1, 1)  # D: neither
    assert not t.settled
    assert t.latency.get_max_value() // 1000 == 1000  # B: intended 100.5, seen 101.5
    assert 249 <= t.latency.get_min_value() // 1000 <= 250
    assert t.receipt_latency.get_total_count() == 1
    s = t.series()
    assert s["sent"] == [2.0, 2.0]
    assert s["delivered"] == [1.0, 1.0]
    assert s["p99_ms"][0] >= 999  # latency is booked to the second the message was intended in


def test_message_type_is_read_from_json_and_xml() -> None:
    assert message_type(b'{"Head":{"MessageType":"MT2301","x":1}}') == "MT2301"
    assert message_type(b"<Manifest><Head><MessageType>TT101</MessageType></Head></Manifest>") == "TT101"
    assert message_type(b"{}") == "unknown"


def test_the_report_shows_the_numbers_of_its_json_summary(tmp_path: Path) -> None:
    result = LoadResult(LoadConfig(4, 2, seed=7, tag="t1"), "127.0.0.1:9", "2026-11-22T00:00:00+00:00", _tally(),
                        ReplayStats(sent=4, duration_s=2.0), 0.5)  # fmt: skip
    html_path, json_path = report.write(result, tmp_path / "out" / "report.html")
    summary = json.loads(json_path.read_text())
    page = html_path.read_text()
    embedded = re.search(r'<script type="application/json" id="swsim-summary">(.*?)</script>', page, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == {k: v for k, v in summary.items() if k != "series"}
    assert summary["lost"] == 1
    assert summary["series"]["sent"] == [2.0, 2.0]
    for name in ("sent", "delivered", "receipted", "rejected", "lost"):
        assert f"<tr><td>{name}</td><td" in page
        assert re.search(rf"<tr><td>{name}</td><td[^>]*>{summary[name]}</td>", page)
    lat = summary["latency_ms"]
    row = f"<td>{report.ms(lat['p50'])}</td><td>{report.ms(lat['p90'])}</td><td>{report.ms(lat['p99'])}</td>"
    assert row in page
    assert page.count("<svg") == 3  # throughput, latency over time, distribution
    assert "Simulated parties" in page


def test_a_replayed_recording_is_reported_as_such(tmp_path: Path) -> None:
    rec = Recording(Path("capture.jsonl.gz"), None)  # flat out
    stats = ReplayStats(sent=5, unrewritten=1, duration_s=0.25)
    result = LoadResult(LoadConfig(0, 0, seed=7, tag="t2", recording=rec), "127.0.0.1:9",
                        "2026-11-23T00:00:00+00:00", _tally(), stats, 0.5)  # fmt: skip
    s = result.summary()
    assert (s["traffic"], s["recording"], s["speed"], s["seed"]) == ("recording", "capture.jsonl.gz", None, None)
    assert (s["rate"], s["duration_s"], s["untracked"]) == (20.0, 0.25, 1)  # the replay's own: 5 sent in 0.25 s
    one = LoadResult(LoadConfig(0, 0, recording=rec), "b", "t", Tally(), ReplayStats(sent=1, duration_s=6e-5), 0.0)
    assert (one.summary()["rate"], one.summary()["duration_s"]) == (None, None)  # one send: no interval to measure
    page, _ = report.write(result, tmp_path / "r.html")
    text = " ".join(page.read_text().split())
    assert "traffic replayed from the recording capture.jsonl.gz, flat out" in text
    assert "messages were sent as fast as possible" in text
    assert "1 recorded bodies that hold no message were sent unchanged and not timed" in text
    generated = LoadResult(LoadConfig(4, 2, seed=7, tag="t1"), "127.0.0.1:9", "2026-11-23T00:00:00+00:00",
                           _tally(), ReplayStats(sent=4, duration_s=2.0), 0.5).summary()  # fmt: skip
    assert (generated["traffic"], generated["recording"], generated["speed"]) == ("generated", None, None)
    assert (generated["rate"], generated["duration_s"], generated["seed"]) == (4, 2, 7)


def test_a_re_sent_message_id_is_sent_again_but_timed_once() -> None:
    sent: list[str | None] = []

    class Pub:
        def publish(self, sender: str, body: bytes, key: str | None, mid: str | None) -> None:
            sent.append(mid)

    tally = Tally(start=0.0)
    send = _sender(Pub(), tally)  # type: ignore[arg-type]
    e = Entry(0.0, "sw.ingress", b"k", [("sw-sender", b"8000")], b"")
    send(e, b'{"Head":{"MessageType":"MT2301"}}', "A.t", 1.0)
    send(e, b'{"Head":{"MessageType":"MT2301"}}', "A.t", 2.0)  # the recording's re-send of A
    send(e, b"not a message", None, 3.0)
    assert sent == ["A.t", "A.t", None]  # everything recorded is sent
    assert (tally.n_sent, tally.duplicates, tally.sent_by_type) == (1, 1, {"MT2301": 1})
    assert tally.msgs["A.t"].intended == 1.0  # timed from the first send
    tally.seen(_receipt("A.t", b"delivered"), 1.5)
    tally.seen(_receipt("A.t", b"delivered"), 2.5)  # the gateway answers the re-send too
    assert tally.receipted == 1


def test_a_second_with_nothing_delivered_has_no_latency_rather_than_0_ms(tmp_path: Path) -> None:
    t = Tally(100.0)
    t.sent("A", "MT2301", 100.0)
    t.sent("B", "MT2301", 101.0)  # never delivered
    t.seen(_delivered("A"), 100.02)
    s = t.series()
    assert s["p50_ms"][1] is None
    assert s["p99_ms"][1] is None
    assert s["p50_ms"][0] == s["p99_ms"][0] > 19
    result = LoadResult(LoadConfig(2, 1, seed=7, tag="t1"), "127.0.0.1:9", "2026-11-22T00:00:00+00:00", t,
                        ReplayStats(sent=2, duration_s=1.0), 0.5)  # fmt: skip
    html_path, json_path = report.write(result, tmp_path / "report.html")
    assert json.loads(json_path.read_text())["series"]["p99_ms"] == [s["p99_ms"][0], None]
    assert html_path.read_text().count("<svg") == 3  # None plotted (as NaN: a gap), not an error


def test_one_send_has_no_send_rate(tmp_path: Path) -> None:
    t = Tally(100.0)
    t.sent("A", "MT2301", 100.0)
    result = LoadResult(LoadConfig(1, 1, seed=7, tag="t1"), "127.0.0.1:9", "2026-11-22T00:00:00+00:00", t,
                        ReplayStats(sent=1, duration_s=0.0005), 0.5)  # fmt: skip
    assert result.summary()["send_rate"] is None  # was 1 / 0.0005 s = 2000 msg/s
    html_path, _ = report.write(result, tmp_path / "report.html")
    assert "<tr><td>achieved send rate (msg/s)</td><td>n/a" in html_path.read_text()


def test_nothing_delivered_has_no_latency_figures_rather_than_0_ms(tmp_path: Path) -> None:
    """With nothing delivered the summary said p50/p99/max 0.0 ms, as if every message arrived at once."""
    t = Tally(100.0)
    t.sent("A", "MT2301", 100.0)
    t.seen(_receipt("A", b"rejected"), 100.1)
    result = LoadResult(LoadConfig(1, 1, seed=7, tag="t1"), "127.0.0.1:9", "2026-11-22T00:00:00+00:00", t,
                        ReplayStats(sent=1, duration_s=1.0), 0.5)  # fmt: skip
    s = result.summary()
    assert set(s["latency_ms"].values()) == set(s["receipt_latency_ms"].values()) == {None}
    assert set(s["by_type"]["MT2301"]["latency_ms"].values()) == {None}
    html_path, _ = report.write(result, tmp_path / "report.html")
    rows = re.findall(r"<tr><td>delivery, all types</td><td>1</td><td>0</td>(.*?)</tr>", html_path.read_text())
    assert rows == ["<td>n/a</td>" * 5]


def test_the_console_line_says_when_nothing_was_delivered() -> None:
    from swsim.commands.load import summary_line

    s = {"sent": 2, "delivered": 0, "receipted": 0, "rejected": 2, "lost": 0}
    nothing = summary_line({**s, "latency_ms": {"p50": None, "p99": None, "max": None}})
    assert nothing.endswith("lost 0; no delivery latency (nothing delivered)")
    some = summary_line({**s, "latency_ms": {"p50": 1.04, "p99": 2.0, "max": 3.0}})
    assert some.endswith("delivery latency p50 1.0 ms, p99 2.0 ms, max 3.0 ms")
