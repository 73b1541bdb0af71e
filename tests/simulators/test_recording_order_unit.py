"""Corrupt recordings are refused naming the line; recordings are written, and replayed, in time order."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from pathlib import Path

import pytest

from simulators.recording import Entry, RecordingError, Writer, read
from simulators.replay import replay
from simulators.timeorder import SortedWriter

HEAD = b'{"format": "swsim-recording", "version": 1}\n'


def _line(t: str, i: int = 0) -> bytes:
    return (
        b'{"t":%s,"topic":"sw.ingress","key":null,"headers":[],"body":"{\\"Head\\":{\\"MessageID\\":\\"M%d\\"}}"}\n'
        % (
            t.encode(),
            i,
        )
    )


def _corrupt_in_the_middle() -> bytes:
    """2,000 records whose compressed data breaks after the 1,000th (line 1001): a block of the reserved type, the
    kind of damage zlib reports as zlib.error, not as an OSError."""
    c = zlib.compressobj(wbits=31)
    good = c.compress(HEAD + b"".join(_line(str(1000 + i), i) for i in range(1000))) + c.flush(zlib.Z_FULL_FLUSH)
    rest = c.compress(b"".join(_line(str(1000 + i), i) for i in range(1000, 2000))) + c.flush()
    return good + b"\x07" + rest


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (_corrupt_in_the_middle(), "corrupt after line 1001 "),
        (gzip.compress(HEAD + _line("1") + _line("NaN")), "line 3 .*t is nan, not a finite number"),
        (gzip.compress(HEAD + _line("Infinity")), "line 2 .*t is inf, not a finite number"),
        (gzip.compress(HEAD + _line('"1"')), "line 2 .*not a finite number"),
        (gzip.compress(HEAD), "empty recording"),
        (gzip.compress(HEAD + b"\n\n"), "empty recording"),
        (gzip.compress(b""), "empty file"),
        (gzip.compress(HEAD + _line("1") + b"\xff\xfe\n"), "line 3 is not UTF-8"),
        (gzip.compress(HEAD + b"[" * 100_000 + b"\n"), "line 2 .*nested too deeply"),
        (gzip.compress(HEAD + _line("1") * 50)[:-30], r"truncated after line \d+"),
    ],
    ids=["corrupt", "nan", "infinity", "text-time", "header-only", "blank-lines", "empty", "latin", "deep", "cut"],
)
def test_a_corrupt_recording_is_a_recording_error_naming_the_line(tmp_path: Path, content: bytes, says: str) -> None:
    p = tmp_path / "bad.gz"
    p.write_bytes(content)
    with pytest.raises(RecordingError, match=says):
        list(read(p))


def test_the_records_before_the_damage_are_read(tmp_path: Path) -> None:
    """gzip's read-ahead does not hide them (nor misplace the damage in an earlier line)."""
    p = tmp_path / "bad.gz"
    p.write_bytes(_corrupt_in_the_middle())
    got = []
    with pytest.raises(RecordingError, match="corrupt after line 1001 "):
        got.extend(read(p))
    assert len(got) == 1000


def test_a_nan_time_does_not_hang_the_replay(tmp_path: Path) -> None:
    p = tmp_path / "nan.gz"
    p.write_bytes(gzip.compress(HEAD + _line("1") + _line("NaN")))
    raised: list[BaseException] = []

    def run() -> None:
        try:
            replay(read(p), lambda *a: None, 1.0, "r1", lambda t: True)
        except Exception as e:
            raised.append(e)

    worker = threading.Thread(target=run, daemon=True)  # it waited for ever for a NaN time
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "the replay hangs"
    assert len(raised) == 1
    assert isinstance(raised[0], RecordingError)
    assert "line 3" in str(raised[0])


def _entry(t: float, i: int) -> Entry:
    return Entry(t, "sw.ingress", None, [], b'{"Head":{"MessageID":"M%d"}}' % i)


def test_replay_puts_a_slightly_out_of_order_recording_back_in_order() -> None:
    """Time zero is the earliest record, not the first line; each record is sent at its own time."""
    recorded = [_entry(t, i) for i, t in enumerate([10.2, 10.0, 10.1, 10.4, 10.3])]
    sent: list[tuple[str | None, float]] = []
    t0 = time.perf_counter()
    replay(recorded, lambda e, b, m, i: sent.append((m, time.perf_counter() - t0)), 1.0, "r", lambda t: True)
    assert [m for m, _ in sent] == ["M1.r", "M2.r", "M0.r", "M4.r", "M3.r"]
    for (_, at), offset in zip(sent, [0.0, 0.1, 0.2, 0.3, 0.4], strict=True):
        assert offset <= at < offset + 0.05


def test_replay_refuses_a_recording_far_out_of_order_naming_the_line(tmp_path: Path) -> None:
    p = tmp_path / "r.gz"
    with Writer(p, "test") as w:
        for i, t in enumerate([10.0, 12.0, 14.0, 11.0]):
            w.write(_entry(t, i))
    with pytest.raises(RecordingError, match="line 5: the recording is not in time order"):
        replay(read(p), lambda *a: None, None, "r", lambda t: True)


@pytest.mark.parametrize("run_bytes", [1 << 30, 300])  # in memory; spilled to sorted runs and merged
def test_the_sorted_writer_writes_in_time_order(tmp_path: Path, run_bytes: int) -> None:
    """What `swsim record` gets: one partition's run after another's."""
    by_partition = [[_entry(1000 + 3 * k + p / 4, 3 * k + p) for k in range(40)] for p in range(3)]
    polled = [e for run in by_partition for e in run]
    with SortedWriter(tmp_path / "rec.gz", "test", run_bytes=run_bytes) as w:
        for e in polled:
            w.write(e)
    got = list(read(tmp_path / "rec.gz"))
    assert [e.t for e in got] == sorted(e.t for e in polled)
    assert sorted(got, key=lambda e: e.body) == sorted(polled, key=lambda e: e.body)
    assert w.count == 120
    assert [p.name for p in tmp_path.iterdir()] == ["rec.gz"]  # the sorted runs are gone
