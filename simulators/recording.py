"""The recording file: what `swsim record` and `swsim generate --out` write and `swsim replay` reads.

Format (version 1): gzip-compressed JSON lines, read and written as a stream (a file may be larger than memory).

- Line 1, the header: ``{"format": "swsim-recording", "version": 1, "created": <epoch s>, "source": <text>}``.
- Every other line, one Kafka record: ``{"t": <epoch s, float>, "topic": <text>, "key": <text or null>,
  "headers": [[<name>, <value as text>], ...], "body": <text>}``. Bodies and header values that are not UTF-8
  are written as ``{"b64": <base64>}`` instead of text.

Lines are in time order. ``t`` is when the record was sent (recorded: the broker's timestamp).
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

FORMAT = "swsim-recording"
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


def read(path: Path) -> Iterator[Entry]:
    """Stream the entries of a recording (raises RecordingError, naming the line, on anything malformed)."""
    try:
        f = gzip.open(path, "rt", encoding="utf-8")  # noqa: SIM115 (a generator: closed by the with below)
        first = f.readline()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: not a gzip-compressed recording ({exc})") from None
    with f:
        try:
            head = json.loads(first)
        except ValueError:
            raise RecordingError(f"{path}: line 1 is not the JSON header of a recording") from None
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise RecordingError(f"{path}: line 1 does not say format {FORMAT!r}")
        if head.get("version") != VERSION:
            raise RecordingError(f"{path}: recording version {head.get('version')!r}; this swsim reads {VERSION}")
        for n, line in enumerate(_lines(f, path), start=2):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                key = d["key"]
                yield Entry(
                    float(d["t"]),
                    str(d["topic"]),
                    None if key is None else _bytes(key),
                    [(str(k), _bytes(v)) for k, v in d["headers"]],
                    _bytes(d["body"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise RecordingError(f"{path}: line {n} is not a recorded record ({exc})") from None


def _lines(f: IO[str], path: Path) -> Iterator[str]:
    try:
        yield from f
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: the file is truncated or corrupt ({exc})") from None
