"""The recording format, id rewriting, and the timing-fidelity measurement against a known schedule."""

from __future__ import annotations

import gzip
import itertools
import time
from pathlib import Path

import pytest

from schemas.codec import decode, encode
from schemas.message_types import MessageType
from schemas.samples import all_samples
from simulators.recording import Entry, RecordingError, Writer, read
from simulators.replay import new_id, replay, rewrite


def test_a_recording_round_trips_text_and_binary(tmp_path: Path) -> None:
    entries = [
        Entry(1.5, "sw.ingress", b"BILL1", [("sw-sender", b"8000")], b'{"a":1}'),
        Entry(2.25, "sw.ingress", None, [("bin", b"\xff\x00")], b"\xff\xfe not utf-8"),
    ]
    with Writer(tmp_path / "r.jsonl.gz", "test") as w:
        for e in entries:
            w.write(e)
    assert list(read(tmp_path / "r.jsonl.gz")) == entries


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not gzip", "not a gzip-compressed recording"),
        (gzip.compress(b'{"format": "other"}\n'), "does not say format"),
        (gzip.compress(b'{"format": "swsim-recording", "version": 9}\n'), "version 9"),
        (
            gzip.compress(b'{"format": "swsim-recording", "version": 1}\n{"t": 1}\n'),
            r"line 2 .*\(no topic, key, headers, body\)",
        ),
        (
            gzip.compress(b'{"format": "swsim-recording", "version": 1}\n[1, 2]\n'),
            r"line 2 .*\(a JSON object with t, topic",
        ),
    ],
)
def test_bad_recordings_are_refused_with_the_line(tmp_path: Path, content: bytes, says: str) -> None:
    p = tmp_path / "bad.gz"
    p.write_bytes(content)
    with pytest.raises(RecordingError, match=says):
        list(read(p))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ids_and_references_to_them_are_rewritten_consistently(fmt: str) -> None:
    m = all_samples()[MessageType.MT9999]  # carries ReferenceMessageID and a CausationID-free head
    original = m.model_copy(update={"head": m.head.model_copy(update={"causation_id": "EARLIER-1"})})
    body, mid = rewrite(encode(original, fmt), "r1")  # type: ignore[arg-type]
    again = decode(body)
    assert mid == again.head.message_id == new_id(original.head.message_id, "r1")
    assert again.head.causation_id == "EARLIER-1.r1"
    assert again.body.reference_message_id == new_id(original.body.reference_message_id, "r1")
    assert len(new_id("X" * 64, "r1")) <= 64


def _schedule(n: int, gap_s: float) -> list[Entry]:
    return [Entry(1000 + i * gap_s, "sw.ingress", None, [], b'{"Head":{"MessageID":"M%d"}}' % i) for i in range(n)]


def test_timing_fidelity_is_measured_against_the_schedule() -> None:
    sent_at: list[float] = []
    stats = replay(_schedule(100, 0.005), lambda e, b, m, i: sent_at.append(time.perf_counter()), 1.0, "t",
                   lambda t: True)  # fmt: skip
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert stats.sent == 100
    assert abs(sum(gaps) / len(gaps) - 0.005) < 0.001
    assert stats.timing()["p50_ms"] < 2


def test_a_late_send_shows_in_the_measured_error() -> None:
    """The measurement is real: a send that blocks 30 ms makes the next sends late by about that much."""

    def send(e: Entry, body: bytes, mid: str | None, intended: float) -> None:
        if mid == "M10.t":
            time.sleep(0.030)

    stats = replay(_schedule(50, 0.001), send, 1.0, "t", lambda t: True)
    assert stats.timing()["max_ms"] >= 25


def test_speed_divides_the_original_timing_and_max_rate_ignores_it() -> None:
    t = time.perf_counter()
    replay(_schedule(21, 0.01), lambda *a: None, 4.0, "t", lambda t: True)  # 200 ms of schedule at 4x: ~50 ms
    assert 0.045 < time.perf_counter() - t < 0.15
    t = time.perf_counter()
    stats = replay(_schedule(21, 0.5), lambda *a: None, None, "t", lambda t: True)  # 10 s of schedule, flat out
    assert time.perf_counter() - t < 1
    assert stats.timing()["max_ms"] == 0.0
