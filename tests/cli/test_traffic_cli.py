"""``swsim replay`` on bad input: a clear error and exit status 2, never a traceback (no broker is reached: every
case is refused before the first send)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from swsim.cli import app

runner = CliRunner()
NOWHERE = ["--bootstrap", "127.0.0.1:9"]  # refused before anything is sent
HEAD = b'{"format": "swsim-recording", "version": 1}\n'
LINE = b'{"t":%s,"topic":"%s","key":null,"headers":[],"body":"{\\"Head\\":{\\"MessageID\\":\\"M1\\"}}"}\n'


def _corrupt() -> bytes:
    """Damaged compressed data after line 2 (zlib.error, which is no OSError)."""
    c = zlib.compressobj(wbits=31)
    return c.compress(HEAD + LINE % (b"1", b"sw.ingress")) + c.flush(zlib.Z_FULL_FLUSH) + b"\x07" + bytes(50)


def _replay(tmp_path: Path, content: bytes, *args: str) -> tuple[int, str]:
    p = tmp_path / "rec.jsonl.gz"
    p.write_bytes(content)
    r = runner.invoke(app, ["replay", str(p), "--max-rate", *NOWHERE, *args])
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, " ".join(r.output.replace("│", " ").split())


@pytest.mark.parametrize("tag", ["a b", "<x/>", "a.b", "", "T" * 24])
def test_a_tag_that_would_spoil_the_message_ids_is_refused(tmp_path: Path, tag: str) -> None:
    code, said = _replay(tmp_path, gzip.compress(HEAD + LINE % (b"1", b"sw.ingress")), "--tag", tag)
    assert code == 2, said
    assert "--tag" in said
    assert "must be 1 to 23 letters, digits, '_', ':' or '-'" in said


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (gzip.compress(HEAD), "empty recording (a header but no records)"),
        (gzip.compress(HEAD + LINE % (b"1", b"sw.ingress") + LINE % (b"NaN", b"sw.ingress")), "line 3 "),
        (gzip.compress(HEAD + LINE % (b"Infinity", b"sw.ingress")), "line 2 "),
        (gzip.compress(HEAD + LINE % (b"1", b"sw.other")), "nothing replayed: none of its 1 records"),
        (_corrupt(), "the file is corrupt after line 2 "),
    ],
    ids=["header-only", "nan", "infinity", "no-ingress", "corrupt"],
)
def test_a_recording_that_cannot_be_replayed_is_refused(tmp_path: Path, content: bytes, says: str) -> None:
    code, said = _replay(tmp_path, content, "--tag", "t1")
    assert code == 2, said
    assert says in said


@pytest.mark.parametrize("command", ["replay", "load"])
def test_a_path_that_looks_like_console_markup_is_printed_as_written(tmp_path: Path, command: str) -> None:
    """Paths and messages go to a rich console: ``[/x]`` in a folder name would otherwise be read as a closing tag
    (a MarkupError traceback) and ``[bold]`` swallowed."""
    folder = tmp_path / "a[bold]b[" / "x]"  # the path reads .../a[bold]b[/x]/rec.jsonl.gz
    folder.mkdir(parents=True)
    p = folder / "rec.jsonl.gz"
    p.write_bytes(gzip.compress(HEAD))
    args = ["replay", str(p), "--max-rate", *NOWHERE] if command == "replay" else ["load", "--replay", str(p)]
    r = runner.invoke(app, [*args, "--report", str(tmp_path / "r.html")] if command == "load" else args)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2, r.output
    assert f"{p}: empty recording (a header but no records)" in " ".join(r.output.split())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["generate", "--rate", "inf", "--duration", "1", "--out", "g.gz"], "--rate is a finite number"),
        (["generate", "--rate", "5", "--duration", "inf", "--out", "g.gz"], "--duration is a finite number"),
        (["generate", "--rate", "0.001", "--duration", "0.001", "--out", "g.gz"], "makes no message"),
        (["record", "--out", "r.gz", "--duration", "0", *NOWHERE], "--duration is a number of seconds > 0"),
        (["record", "--out", "r.gz", "--duration", "inf", *NOWHERE], "--duration is a number of seconds > 0"),
    ],
)
def test_numbers_that_make_no_run_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert says in " ".join(r.output.replace("│", " ").split())
    assert not (tmp_path / "g.gz").exists()


def test_record_warns_when_old_records_keep_coming() -> None:
    """Records stamped before the start are expected in the first moments (the broker's 'latest' lags); still
    arriving 10 s later, they mean a producer's clock is behind: said once, not silently dropped."""
    import time

    from swsim.commands import traffic

    with traffic.out.capture() as early:
        assert not traffic._warn_stale(3, time.time() * 1000 - traffic.STALE_SLACK_MS)
    assert early.get() == ""
    with traffic.out.capture() as late:
        assert traffic._warn_stale(7, time.time() * 1000 - 11 * traffic.STALE_SLACK_MS)
    assert "still leaving out records stamped before the recording started (7 so far)" in " ".join(late.get().split())
