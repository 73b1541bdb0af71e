"""The pipeline's CPU steps (:class:`gateway.prepare.Preparer`) in processes of their own.

A gateway process runs its HTTP server, its routers, the ledger and its broker clients under one interpreter lock.
Authenticating, decoding and validating a message is most of the pipeline's CPU (see README, Benchmarks > Gateway),
and needs nothing but the party registry, so it can run in other processes: a caller hands a list of messages to
an idle worker, which answers with what :meth:`Preparer.prepare` found, and the caller records them as before.

No caller ever waits for a worker: while every worker is busy (or still starting, or after one died) the caller
prepares in its own thread, exactly as without workers. A worker that dies, or does not answer within
:data:`CALL_TIMEOUT_S`, is replaced.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Any

from gateway.prepare import Inbound, Prepared, Preparer
from gateway.registry import Registry, build_registry
from gateway.workers import settings_env
from schemas.codec import Format
from swsim.settings import Settings

log = logging.getLogger(__name__)

_READY = b"ready"
CALL_TIMEOUT_S = 30.0
"""How long a caller waits for a worker's answer before it replaces the worker and prepares the items itself (a
call carries at most a request body or a poll of records: milliseconds of work)."""

_Wire = tuple[bytes, str, str | None, Any, str | None, float | None, str]
"""An :class:`Inbound` as a worker needs it: body, channel, claimed sender, signature, authenticated party id,
append time, fallback id. Tuples pickle several times faster than dataclasses."""

_Found = tuple[str, str, str | None, list[Any], Format, Any, str | None, str | None, list[str]]
"""What a worker found: digest, message id, sender id, issues, format, message type, correlation, causation,
receivers."""


def _to_wire(i: Inbound) -> _Wire:
    party = i.authenticated.id if i.authenticated is not None else None
    return (i.body, i.channel, i.claimed_sender, i.signature, party, i.appended_at, i.fallback_id)


def _from_wire(w: _Wire, registry: Registry) -> Inbound:
    body, channel, claimed, signature, party, appended_at, fallback = w
    authenticated = registry.get(party) if party is not None else None
    return Inbound(body, channel, claimed, signature, authenticated, None, fallback, appended_at)


def _found(p: Prepared) -> _Found:
    sender = p.sender.id if p.sender is not None else None
    return (p.digest, p.message_id, sender, p.issues, p.fmt, p.mtype, p.correlation, p.causation, p.receivers)


_LENGTH = struct.Struct("!Q")
"""Each frame on the socket pair: its length, then its bytes."""


def _send(sock: socket.socket, data: bytes) -> None:
    """One frame; with a socket timeout, a peer that stops reading makes this raise (TimeoutError) instead of
    blocking for ever once the socket's buffer is full."""
    sock.sendall(_LENGTH.pack(len(data)))
    sock.sendall(data)


def _recv(sock: socket.socket) -> bytes:
    """One frame (EOFError when the peer closed its end)."""
    (n,) = _LENGTH.unpack(_exactly(sock, _LENGTH.size))
    return _exactly(sock, n)


def _exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise EOFError("the peer closed the socket")
        got += k
    return bytes(buf)


def _serve(sock: socket.socket, settings: Settings) -> None:
    """A worker's life: build the registry, then answer (now, wires) with the found tuples until the socket
    closes."""
    registry = build_registry(settings)
    preparer = Preparer(registry, settings.max_body_bytes, settings.signature_window_s)
    try:
        _send(sock, _READY)
        while True:
            now, wires = pickle.loads(_recv(sock))  # noqa: S301 (our parent, over our own socket)
            found = [_found(preparer.prepare(_from_wire(w, registry), now)) for w in wires]
            _send(sock, pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
    except (EOFError, OSError):  # the parent closed its end, or is gone
        return


class _Worker:
    """One worker: ``python -m gateway.prepare_workers FD`` on the settings as environment (like a router process),
    talking over a socket pair. A fresh interpreter, not multiprocessing's spawn, which would import the parent's
    main module again in the child (a script with no ``__main__`` guard would run twice)."""

    def __init__(self, settings: Settings, name: str) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.prepare_workers", str(theirs.fileno())],
                env={**os.environ, **settings_env(settings)},
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        self.sock = ours
        self.name = name
        self.ready = False
        self.started = threading.Event()
        """Set once the worker answered that it is ready (:attr:`ready`), or failed to."""

    def wait_ready(self, timeout_s: float) -> bool:
        self.sock.settimeout(timeout_s)
        try:
            return _recv(self.sock) == _READY
        except (EOFError, OSError):  # TimeoutError included
            return False

    def call(self, now: float, wires: list[_Wire]) -> list[_Found]:
        # a stopped or stuck worker must not hold its caller: neither while it takes the call (a call larger than
        # the socket's buffer waits for the worker to read) nor for its answer (TimeoutError past the timeout)
        self.sock.settimeout(CALL_TIMEOUT_S)
        _send(self.sock, pickle.dumps((now, wires), pickle.HIGHEST_PROTOCOL))
        found: list[_Found] = pickle.loads(_recv(self.sock))  # noqa: S301 (our child, our own socket)
        if len(found) != len(wires):
            raise RuntimeError(f"the worker answered {len(found)} results for {len(wires)} messages")
        return found

    def kill(self) -> None:
        self.sock.close()
        self.proc.kill()
        self.proc.wait(5)

    def close(self) -> None:
        self.sock.close()  # the worker reads EOF and returns
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()


class PrepareWorkers:
    """``count`` worker processes; :meth:`prepare` uses an idle one, or prepares in the caller's thread."""

    def __init__(self, settings: Settings, registry: Registry, local: Preparer, count: int) -> None:
        self.settings = settings
        self.registry = registry
        self.local = local
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self.remote = 0
        """Messages prepared by the workers (the rest were prepared by their callers)."""
        self.replaced = 0
        for n in range(count):
            self._start(f"swsim-prepare-{n}")

    def _start(self, name: str) -> None:
        """Start a worker; it joins the idle ones once ready (a thread waits for it, so no caller does)."""
        worker = _Worker(self.settings, name)
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.append(worker)
        if closed:  # closed meanwhile (a replacement racing close()): nothing may outlive close()
            worker.close()
            return

        def join_when_ready() -> None:
            worker.ready = worker.wait_ready(120.0)
            if worker.ready:
                self._idle.put(worker)
            else:
                log.error("prepare worker %s did not start; its messages are prepared by their callers", name)
            worker.started.set()

        threading.Thread(target=join_when_ready, name=f"{name}-start", daemon=True).start()

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until every worker is ready (callers need not: they prepare themselves meanwhile); whether all are."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            if not worker.started.wait(max(0.0, deadline - time.monotonic())):
                return False
        return all(w.ready for w in workers)

    def prepare(self, items: list[Inbound], now: float | None = None) -> list[Prepared]:
        """What :meth:`Preparer.prepare` makes of each item, in order. Never raises for what an item holds."""
        now = time.time() if now is None else now
        if not items:
            return []
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            return [self.local.prepare(i, now) for i in items]
        try:
            found = worker.call(now, [_to_wire(i) for i in items])
        except Exception:
            self._replace(worker)
            return [self.local.prepare(i, now) for i in items]
        self._idle.put(worker)
        self.remote += len(items)
        return [self._prepared(i, now, f) for i, f in zip(items, found, strict=True)]

    def _prepared(self, inbound: Inbound, now: float, f: _Found) -> Prepared:
        digest, message_id, sender, issues, fmt, mtype, correlation, causation, receivers = f
        party = self.registry.get(sender) if sender is not None else None
        return Prepared(inbound, now, digest, message_id, party, issues, fmt, mtype, correlation, causation, receivers)

    def _replace(self, worker: _Worker) -> None:
        log.exception("prepare worker %s failed; its messages are prepared here, and it is replaced", worker.name)
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            closed = self._closed
        worker.kill()  # dead, stuck or confused: nothing of it is worth waiting for
        if not closed:
            self.replaced += 1
            self._start(worker.name)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            worker.close()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops it (EOF)
    _serve(socket.socket(fileno=int(sys.argv[1])), Settings())
