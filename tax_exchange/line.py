"""Channel B, the government data-exchange dedicated line (政务数据交换专线), simulated as a direct HTTP line.

It does not touch Kafka or the gateway. Each bureau runs a small receiving endpoint; the sending side drains a
retry queue kept in the bureau's own store (``dc_line``), with exponential back-off and no give-up on transient
errors, so a line that is down for a while catches up when it returns. Requests carry the sending bureau's
Ed25519 signature (``sw-sig-v1``, the same scheme as the gateway's HTTP API); the receiver checks it against the
registry's public key of its one peer. Re-sent records are harmless: the receiver applies (record id, version)
once.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.http.errors import error_json, install_error_handlers
from gateway.registry import Registry
from schemas.codec import decode
from schemas.errors import MessageError
from swsim import signing
from swsim.background import Background
from swsim.errors import SetupError
from tax_exchange.books import Books, LineEntry
from tax_exchange.records import is_record

log = logging.getLogger(__name__)

PATH = "/line/v1/records"
MAX_BODY = 1024 * 1024
PERMANENT = frozenset({400, 403, 404, 413, 415, 422})
"""Answers that re-sending cannot change: the entry is marked rejected (and shows in reconciliation)."""

OnRecord = Callable[[Any, str], bool]
"""(decoded message, channel) -> applied now (False: already applied from the other channel or before)."""


def line_app(party_id: str, peer_id: str, registry: Registry, on_record: OnRecord, window_s: int = 300) -> FastAPI:
    """The receiving endpoint. Errors have the gateway's shape and codes (README, "Gateway error codes")."""
    app = FastAPI(title=f"Dedicated line endpoint of {party_id} (simulated)", docs_url=None, redoc_url=None)
    install_error_handlers(app)

    @app.get("/line/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "party": party_id, "peer": peer_id}

    @app.post(PATH)
    async def receive(request: Request) -> JSONResponse:
        ctype = request.headers.get("content-type", "").split(";")[0].strip()
        if ctype not in ("application/json", "application/xml", "text/xml"):
            return error_json(415, "UNSUPPORTED_MEDIA_TYPE", "send the record as application/json or application/xml")
        body = await request.body()
        if len(body) > MAX_BODY:
            return error_json(413, "PAYLOAD_TOO_LARGE", f"a record is at most {MAX_BODY} bytes")
        h = request.headers
        sender, created_s, nonce, sig = (h.get(f"x-sw-{k}") for k in ("sender", "created", "nonce", "signature"))
        if not (sender and created_s and nonce and sig):
            return error_json(401, "SIGNATURE_MISSING", "send X-SW-Sender, X-SW-Created, X-SW-Nonce, X-SW-Signature")
        party = registry.get(sender)
        if sender != peer_id or party is None or party.public_key is None:
            return error_json(401, "UNKNOWN_SENDER", f"only the peer bureau {peer_id} may use this line")
        try:
            created = int(created_s)
        except ValueError:
            return error_json(401, "SIGNATURE_INVALID", "x-sw-created must be a Unix timestamp in seconds")
        if abs(time.time() - created) > window_s:
            return error_json(401, "SIGNATURE_EXPIRED", f"x-sw-created is more than {window_s} s from now")
        if not signing.verify(party.public_key, sig, "POST", PATH, sender, created, nonce, body):
            return error_json(401, "SIGNATURE_INVALID", "the signature does not match this body, path and sender")
        try:
            message = decode(body)
        except MessageError as e:
            first = e.issues[0]
            return error_json(422, first.code, f"the record is not valid; first: {first.message}",
                              [i.to_dict() for i in e.issues])  # fmt: skip
        if not is_record(message):
            return error_json(403, "NOT_AUTHORIZED", "the line carries dual-channel records only (TX101-TX104)")
        if message.head.sender_id != sender:
            return error_json(422, "SENDER_MISMATCH", "Head/SenderID must be the bureau that signed the request")
        applied = on_record(message, "B")
        r = message.body.record
        return JSONResponse({"record_id": r.record_id, "version": r.record_version, "applied": applied})

    return app


class LineServer:
    """The receiving end: uvicorn in a thread on a socket bound at start (port 0 = a free one)."""

    def __init__(self, app: FastAPI, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port or 0)
        self.app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LineServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit TCP_NODELAY: without it, measured here, every answer waited for the client's
        # delayed ACK (44 ms a request, 20 records/s on the line; 3.5 ms with it)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except (OSError, OverflowError) as e:
            sock.close()
            taken = isinstance(e, OSError) and e.errno == errno.EADDRINUSE
            why = "the port is taken" if taken else getattr(e, "strerror", None) or str(e)
            raise SetupError(f"the tax line cannot listen on {self.host}:{self.port} ({why}): set SWSIM_TAX_LINE_CQ / "
                             "SWSIM_TAX_LINE_SC to a HOST:PORT this machine can listen on") from e  # fmt: skip
        self.port = sock.getsockname()[1]  # keep the port: a restarted line listens where the peer expects it
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False))
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="tax-line")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.01)
        if not server.started:
            raise RuntimeError(f"the dedicated line endpoint did not start on {self.url}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None


class LineSender(Background):
    """Drains the bureau's ``dc_line`` queue to the peer's endpoint, oldest first, in its own thread."""

    def __init__(
        self,
        party_id: str,
        key: Ed25519PrivateKey,
        books: Books,
        peer_url: Callable[[], str | None],
        on_rejected: Callable[[LineEntry, str], None],
        max_backoff_s: float = 2.0,
    ) -> None:
        super().__init__(f"tax-line-{party_id}")
        self.party_id = party_id
        self.key = key
        self.books = books
        self.peer_url = peer_url
        self.on_rejected = on_rejected
        self.max_backoff_s = max_backoff_s
        self.mutate: Callable[[bytes], bytes] | None = None  # fault injection: a buggy line adapter

    def start(self) -> LineSender:
        self.start_thread()
        return self

    def stop(self) -> None:
        self.stop_thread()

    def run(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(3.0, connect=1.0)) as client:
            while not self._stop.is_set():
                try:
                    sent = self.drain(client)
                except Exception:  # the store or the client failed: keep the queue, try again
                    log.exception("dedicated line of %s failed; retrying", self.party_id)
                    sent = 0
                if not sent:
                    self._stop.wait(0.05)

    def drain(self, client: httpx.Client) -> int:
        """Send what is due; returns entries settled (delivered or rejected)."""
        url = self.peer_url()
        if url is None:
            return 0
        settled = 0
        for e in self.books.line_due(time.time()):
            body = self.mutate(e.body) if self.mutate is not None else e.body
            headers = {f"x-sw-{k}": v for k, v in signing.sign(self.key, "POST", PATH, self.party_id, body).items()}
            headers["content-type"] = e.content_type
            attempts = e.attempts + 1
            try:
                r = client.post(url + PATH, content=body, headers=headers)
            except httpx.HTTPError as exc:
                self._retry(e, attempts, f"{type(exc).__name__}: {exc}")
                break  # the line is down: keep the order, wait for the back-off
            if r.status_code == 200:
                self.books.line_done(e.seq, "delivered", attempts)
                settled += 1
            elif r.status_code in PERMANENT:
                error = r.text[:300]
                self.books.line_done(e.seq, "rejected", attempts, error)
                self.on_rejected(e, error)
                settled += 1
            else:
                self._retry(e, attempts, f"HTTP {r.status_code}: {r.text[:200]}")
                break
        return settled

    def _retry(self, e: LineEntry, attempts: int, error: str) -> None:
        backoff = min(self.max_backoff_s, 0.1 * 2 ** min(attempts, 10))
        self.books.line_retry(e.seq, attempts, time.time() + backoff, error)
