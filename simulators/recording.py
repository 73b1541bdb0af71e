"""The recording file: what `swsim record` and `swsim generate --out` write and `swsim replay` reads.

Format (version 1): gzip-compressed JSON lines, read and written as a stream (a file may be larger than memory).

- Line 1, the header: ``{"format": "swsim-recording", "version": 1, "created": <epoch s>, "source": <text>}``.
- Every other line, one Kafka record: ``{"t": <epoch s, float>, "topic": <text>, "key": <text or null>,
  "headers": [[<name>, <value as text>], ...], "body": <text>}``. Bodies and header values that are not UTF-8
  are written as ``{"b64": <base64>}`` instead of text.

Lines are in time order (``swsim record`` sorts what it consumed, :mod:`simulators.timeorder`). ``t`` is when the
record was sent (recorded: the broker's timestamp), a finite number. A recording holds at least one record.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import time
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

FORMAT = "swsim-recording"
_MAGIC = b"\x1f\x8b"
_CHUNK = 64 * 1024
VERSION = 1


class RecordingError(ValueError):
    """The file is not a readable recording: says which line and why."""


@dataclass(frozen=True, slots=True)
class Entry:
    t: float
    topic: str
    key: bytes | None
    headers: list[tuple[str, bytes]]
    body: bytes
    line: int = field(default=0, compare=False)
    """Its line in the recording it was read from (0: not read from a file)."""

    def header(self, name: str) -> str | None:
        found = None
        for k, v in self.headers:
            if k == name:
                found = v.decode("utf-8", "replace")
        return found


def _text(b: bytes) -> str | dict[str, str]:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(b).decode()}


def _bytes(v: Any) -> bytes:
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, dict) and isinstance(v.get("b64"), str):
        return base64.b64decode(v["b64"], validate=True)
    raise TypeError(f"expected text or {{'b64': ...}}, got {type(v).__name__}")


class Writer:
    def __init__(self, path: Path, source: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f: IO[str] = gzip.open(path, "wt", encoding="utf-8", compresslevel=3)  # noqa: SIM115 (closed in close)
        self.count = 0
        head = {"format": FORMAT, "version": VERSION, "created": time.time(), "source": source}
        self._f.write(json.dumps(head) + "\n")

    def write(self, e: Entry) -> None:
        if not math.isfinite(e.t):
            raise ValueError(f"a record's time must be a finite number of seconds, not {e.t!r}")
        line = {
            "t": round(e.t, 6),
            "topic": e.topic,
            "key": None if e.key is None else _text(e.key),
            "headers": [[k, _text(v)] for k, v in e.headers],
            "body": _text(e.body),
        }
        self._f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.count += 1

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def read(path: Path) -> Generator[Entry, None, None]:
    """Stream the entries of a recording (raises RecordingError, naming the line, on anything malformed; a recording
    with a header but no records is an error too: there is nothing to replay)."""
    try:
        f = path.open("rb")
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        lines = _lines(f, path)
        first = next(lines, None)
        if first is None:
            raise RecordingError(f"{path}: empty file (no header line)")
        head = _json(first, path, 1, "is not the JSON header of a recording")
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise RecordingError(f"{path}: line 1 does not say format {FORMAT!r}")
        if head.get("version") != VERSION:
            raise RecordingError(f"{path}: recording version {head.get('version')!r}; this swsim reads {VERSION}")
        count = 0
        for n, line in enumerate(lines, start=2):
            if not line.strip():
                continue
            yield _entry(_json(line, path, n, "is not a recorded record"), path, n)
            count += 1
        if count == 0:
            raise RecordingError(f"{path}: empty recording (a header but no records)")


def _json(line: str, path: Path, n: int, what: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise RecordingError(f"{path}: line {n} {what} ({why})") from None


_FIELDS = ("t", "topic", "key", "headers", "body")


def _entry(d: Any, path: Path, n: int) -> Entry:
    if not isinstance(d, dict):
        raise RecordingError(f"{path}: line {n} is not a recorded record (a JSON object with {', '.join(_FIELDS)})")
    missing = [k for k in _FIELDS if k not in d]
    if missing:
        raise RecordingError(f"{path}: line {n} is not a recorded record (no {', '.join(missing)})")
    try:
        t = d["t"]
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise ValueError(f"t is {t!r}, not a finite number of seconds")
        key = d["key"]
        return Entry(
            float(t),
            str(d["topic"]),
            None if key is None else _bytes(key),
            [(str(k), _bytes(v)) for k, v in d["headers"]],
            _bytes(d["body"]),
            n,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise RecordingError(f"{path}: line {n} is not a recorded record ({exc})") from None


def _lines(f: IO[bytes], path: Path) -> Iterator[str]:
    """The file's lines, decompressed and decoded here (not by :mod:`gzip`, which reads ahead), so a file that is
    truncated, corrupt or not UTF-8 is reported at the line where it breaks."""
    done = [0]  # lines read so far
    pending = b""
    for data in _decompressed(f, path, done):
        *complete, pending = (pending + data).split(b"\n")
        for raw in complete:
            done[0] += 1
            yield _decoded(raw, path, done[0])
    if pending:
        yield _decoded(pending, path, done[0] + 1)


def _decoded(raw: bytes, path: Path, n: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordingError(f"{path}: line {n} is not UTF-8 ({exc.reason} at byte {exc.start})") from None


def _decompressed(f: IO[bytes], path: Path, done: list[int]) -> Iterator[bytes]:
    """The gzip members of ``f``, decompressed piece by piece; ``done[0]``: the lines read so far (for errors)."""
    d = zlib.decompressobj(wbits=31)
    empty = True
    while True:
        try:
            chunk = f.read(_CHUNK)
        except OSError as exc:
            raise RecordingError(f"{path}: cannot read after line {done[0]} ({exc.strerror or exc})") from None
        if not chunk:
            if not empty and not d.eof:
                raise RecordingError(f"{path}: the file is truncated after line {done[0]} (the gzip stream stops)")
            return
        if empty and chunk[:2] != _MAGIC:
            raise RecordingError(f"{path}: not a gzip-compressed recording (it does not start as gzip does)")
        empty = False
        while chunk:
            if d.eof:  # another gzip member, or padding
                if not chunk.strip(b"\0"):
                    break
                if chunk[:2] != _MAGIC:
                    raise RecordingError(f"{path}: data that is not gzip follows line {done[0]}")
                d = zlib.decompressobj(wbits=31)
            saved = d.copy()
            try:
                out = d.decompress(chunk)
            except zlib.error as exc:
                yield from _until_broken(saved, chunk)
                raise RecordingError(f"{path}: the file is corrupt after line {done[0]} ({exc})") from None
            yield out
            chunk = d.unused_data if d.eof else b""


def _until_broken(d: Any, chunk: bytes, step: int = 256) -> Iterator[bytes]:
    """What ``d`` decompresses from ``chunk`` before the damage in it: fed ``step`` bytes at a time, and the piece
    with the damage a byte at a time (zlib gives nothing from a call that fails)."""
    for i in range(0, len(chunk), step):
        piece = chunk[i : i + step]
        saved = d.copy()
        try:
            out = d.decompress(piece)
        except zlib.error:
            if step == 1:
                return
            yield from _until_broken(saved, piece, 1)
            return
        yield out
