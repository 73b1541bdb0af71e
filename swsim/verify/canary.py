"""The canary for hostile input: files holding a unique secret (watched with Linux inotify) and a loopback HTTP server
that counts every connection it accepts. Hostile inputs point at it through :class:`CanaryRefs`; the secret is in no
input, so finding it in a response, on a Kafka topic or in the ledger means a file was read and its content leaked.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from swsim.background import Background


@dataclass(frozen=True)
class CanaryRefs:
    """Where hostile inputs point: the canary's file and directory URLs and its loopback HTTP server. No secret here."""

    file_url: str
    dtd_url: str
    dir_url: str
    http_url: str
    ftp_url: str


# ------------------------------------------------------------------------------------------------------- canary

IN_ACCESS = 0x00000001
IN_OPEN = 0x00000020
_EVENT = struct.Struct("iIII")


class FileWatch:
    """Counts opens and reads of the files in one directory (Linux inotify through ctypes)."""

    def __init__(self, directory: Path) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd: int = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        wd = self._libc.inotify_add_watch(self._fd, str(directory).encode(), IN_OPEN | IN_ACCESS)
        if wd < 0:
            os.close(self._fd)
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {directory} failed")
        self.touches = 0

    def drain(self) -> int:
        """Read the pending events; return all touches so far (an open counts, and a read of a file never opened
        since watching began)."""
        opened: set[bytes] = set()
        accessed: set[bytes] = set()
        opens = 0
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            for mask, name in _events(data):
                if mask & IN_OPEN:
                    opens += 1
                    opened.add(name)
                elif mask & IN_ACCESS:
                    accessed.add(name)
        self.touches += opens + len(accessed - opened)
        return self.touches

    def close(self) -> None:
        os.close(self._fd)


def _events(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(mask, file name) of each ``struct inotify_event`` in ``data``."""
    offset = 0
    while offset + _EVENT.size <= len(data):
        _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
        start = offset + _EVENT.size
        yield mask, data[start : start + length].rstrip(b"\0")
        offset = start + length


class CanaryServer(Background):
    """A loopback TCP server answering anything with the secret (as HTTP), counting each connection it accepts."""

    def __init__(self, secret: str) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._reply = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + secret.encode()
        self._count = 0
        self._lock = threading.Lock()
        super().__init__("canary-http")
        self.start_thread()

    @property
    def connections(self) -> int:
        with self._lock:
            return self._count

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._count += 1
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.5)
            try:
                conn.recv(65536)
                conn.sendall(self._reply)
            except OSError:
                pass

    def close(self) -> None:
        self.stop_thread(5)
        self._sock.close()


class Canary:
    """Canary files with a unique secret under ``root`` (watched) and a canary server; a context manager."""

    def __init__(self, root: Path) -> None:
        self.secret = "SWSIM-CANARY-" + uuid.uuid4().hex
        self.dir = root / ("canary-" + uuid.uuid4().hex[:8])
        self.dir.mkdir(parents=True)
        self.file = self.dir / "secret.txt"
        self.file.write_text(self.secret + "\n")
        self.server = CanaryServer(self.secret)
        self.dtd = self.dir / "evil.dtd"
        self.dtd.write_text(
            f'<!ENTITY leak "{self.secret}">\n<!ENTITY % remote SYSTEM "{self.http_url}/from-dtd">\n%remote;\n'
        )
        self.watch = FileWatch(self.dir)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def refs(self) -> CanaryRefs:
        return CanaryRefs(self.file.as_uri(), self.dtd.as_uri(), self.dir.as_uri() + "/", self.http_url,
                          f"ftp://127.0.0.1:{self.server.port}")  # fmt: skip

    @property
    def connections(self) -> int:
        return self.server.connections

    def file_touches(self) -> int:
        return self.watch.drain()

    def __enter__(self) -> Canary:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.watch.close()
        self.server.close()
