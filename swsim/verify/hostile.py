"""Hostile input against a running gateway: sends the corpus (:mod:`swsim.verify.hostile_corpus`) to every HTTP
endpoint and the Kafka ingress and judges each answer; every input must be refused with an error code, while nothing is
fetched, no file is read (the canary, :mod:`swsim.verify.canary`) and memory stays flat.

The corpus is sent :data:`PASSES` times (fresh message ids, nonces and signatures each time), and every input of every
pass is judged and counted. The memory growth is the smaller of the growths of the gateway's resident memory over the
second and over the third pass: a leak grows in both, while the allocator's noise with the corpus's 10 MB bodies
(seen from -35 to +57 MB over one pass) rarely goes the same way twice.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaProducer

from gateway.topics import Topics
from schemas.codec import decode
from schemas.response import ReceiptMessage
from swsim.network import GATEWAY_ID, default_parties
from swsim.transport.base import Record, header
from swsim.transport.kafka import KafkaTransport
from swsim.verify.canary import Canary
from swsim.verify.hostile_corpus import BIG, HostileInput, HttpCall, corpus
from swsim.verify.target import Target, rss_mb

PASSES = 3
KAFKA_WAIT_S = 60.0
"""At most this long in all, over every pass, for the gateway's answers to the Kafka records."""
KAFKA_IDLE_S = 15.0
"""Stop waiting early when no answer came for this long (the ingress has stalled)."""
HTTP_TIMEOUT_S = 30.0
MEMORY_GROWTH_BOUND_MB = 50.0
"""The judged bound on ``memory_growth_mb``. Where it comes from: a pass of the corpus carries 8 bodies over 10 MB
(84 MB in all), so a gateway that kept them would grow more than this in both passes; a correct gateway read -14.0
to -1.0 MB (README, four runs of ``swsim verify``); the allocator's noise over a single pass (-35 to +57 MB) rarely
goes the same way twice, which is why the smaller of two passes is judged. tests/verify/test_hostile.py used 50."""


@dataclass
class HostileResult:
    """What a run found; ``to_dict`` is the ``hostile`` object of ``swsim verify --json``."""

    inputs: int
    """Inputs sent: HTTP requests and Kafka records, every pass (preludes not counted)."""
    refused: int
    """Answered 4xx with a JSON error carrying an error code (validate-only: 200 with ``valid`` false and codes;
    batch: every item rejected with codes), or on Kafka a rejection receipt MT9999 / dead letter with codes."""
    server_errors: int
    """5xx, dropped connection, stack trace in a body, timeout, or no answer to a Kafka record within the wait."""
    outbound_connections: int
    """Connections the canary HTTP server accepted."""
    files_read: int
    """Opens of the canary files (inotify), plus responses, Kafka records and ledger rows holding the secret."""
    memory_growth_mb: float
    """The smaller of the gateway's RSS growths over the second and over the third pass (see the module's doc)."""
    failures: list[dict[str, str]] = field(default_factory=list)
    """Each input not refused properly: name, channel, endpoint, and what happened instead."""
    memory_growth_bound_mb: float = MEMORY_GROWTH_BOUND_MB
    """``memory_growth_mb`` must stay below this (judged by ``swsim verify``)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------------------------- judging


@dataclass
class _Verdict:
    refused: bool
    server_error: bool
    got: str
    leaked: bool = False


def _error_codes(doc: Any) -> set[str]:
    """Every error code in a gateway JSON error body (the top one and each listed error)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), dict):
        return set()
    err = doc["error"]
    codes = {err.get("code")} | {e.get("code") for e in err.get("errors") or [] if isinstance(e, dict)}
    return {c for c in codes if isinstance(c, str) and c}


def _ok_codes(inp: HostileInput, status: int, doc: Any) -> set[str]:
    """The codes of a 2xx answer that still refuses: validate-only's errors, or every batch item rejected."""
    if not isinstance(doc, dict):
        return set()
    if inp.path.startswith("/v1/validate") and doc.get("valid") is False:
        return {str(e["code"]) for e in doc.get("errors") or [] if isinstance(e, dict) and e.get("code")}
    results = doc.get("results")
    if not (inp.path.startswith("/v1/messages/batch") and isinstance(results, list) and results):
        return set()
    if all(isinstance(r, dict) and r.get("status") == "rejected" and r.get("codes") for r in results):
        return {str(c) for r in results for c in r["codes"]}
    return set()


def _judge_http(inp: HostileInput, status: int, text: str, secret: str) -> _Verdict:
    """Refused (4xx with codes, or a refusing 2xx), a server error (5xx or a stack trace), or wrongly accepted."""
    leaked = secret in text
    if status >= 500 or "Traceback (most recent call last)" in text or 'File "/' in text:
        return _Verdict(False, True, f"{status}: {text[:200]}", leaked)
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    codes = _error_codes(doc) if 400 <= status < 500 else _ok_codes(inp, status, doc)
    if not codes:
        return _Verdict(False, False, f"{status} without an error code: {text[:200]}", leaked)
    return _codes_verdict(inp, codes, f"{status}", leaked)


def _codes_verdict(inp: HostileInput, codes: set[str], how: str, leaked: bool) -> _Verdict:
    """Refused if the codes include an expected one (or any code when none is expected) and nothing leaked."""
    if inp.expect and not codes & inp.expect:
        return _Verdict(False, False, f"{how} refused with {sorted(codes)}, expected one of {sorted(inp.expect)}")
    if leaked:
        return _Verdict(False, False, f"{how} refused, but the answer holds the canary secret", leaked)
    return _Verdict(True, False, f"{how} {sorted(codes)}")


class _Http:
    """Sends HTTP inputs, each on a new connection (so one input's dropped connection cannot fail the next)."""

    def __init__(self, base_url: str) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        self.client = httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S, limits=limits)

    def call(self, call: HttpCall, stream: bool = False) -> tuple[int, str]:
        """(status, body text), or (0, what went wrong) if there was no answer."""
        content: bytes | Iterator[bytes] = _chunks(call.body) if stream else call.body
        try:
            headers = [(k.encode(), v) for k, v in call.headers]
            r = self.client.request(call.method, call.path, content=content or None, headers=headers)
        except httpx.HTTPError as e:
            return 0, f"no answer: {type(e).__name__}: {e}"
        return r.status_code, r.text

    def close(self) -> None:
        self.client.close()


def _chunks(data: bytes, size: int = 1024 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _send_http(http: _Http, inp: HostileInput, secret: str) -> _Verdict:
    """The prelude (must be accepted), then the hostile request, judged."""
    if inp.prelude is not None:
        status, text = http.call(inp.prelude)
        if not 200 <= status < 300:
            return _Verdict(False, status == 0 or status >= 500, f"prelude answered {status}: {text[:200]}")
    status, text = http.call(HttpCall(inp.method, inp.path, inp.headers, inp.body), inp.stream)
    if status == 0:
        return _Verdict(False, True, text)
    return _judge_http(inp, status, text, secret)


# --------------------------------------------------------------------------------------------------------- kafka


class _Kafka:
    """Produces ingress records (with room for 10 MB+ ones) and reads every inbox and the dead-letter topic, matching
    the gateway's answers (rejection receipts, dead letters) to the records by message id."""

    def __init__(self, target: Target, secret: str) -> None:
        self.topics = Topics(target.settings.topic_prefix)
        self.secret = secret.encode()
        self.leaks = 0
        self.transport = KafkaTransport(target.bootstrap, client_id="swsim-hostile")
        inboxes = [self.topics.inbox(p.id) for p in default_parties(target.settings.network_seed) if p.id != GATEWAY_ID]
        group = "hostile-" + uuid.uuid4().hex[:8]
        self.reader = self.transport.consumer([self.topics.deadletter, *inboxes], group, assign=True)
        self.producer = KafkaProducer(bootstrap_servers=target.bootstrap, client_id="swsim-hostile", acks="all",
                                      max_request_size=4 * BIG,
                                      request_timeout_ms=30_000)  # fmt: skip
        self.answers: dict[str, _Verdict] = {}

    def send(self, inputs: list[HostileInput]) -> dict[str, _Verdict]:
        """Produce every record; the ones the broker refused are judged at once (as not refused, not server errors)."""
        futures = [(inp, self.producer.send(self.topics.ingress, value=inp.body, key=inp.key,
                                            headers=list(inp.headers), timestamp_ms=inp.timestamp_ms))
                   for inp in inputs]  # fmt: skip
        failed = {}
        for inp, future in futures:
            try:
                future.get(timeout=60)
            except Exception as e:  # the broker's (or the client's) refusal, before the gateway saw anything
                failed[inp.name] = _Verdict(False, False, f"not produced: {type(e).__name__}: {e}")
        return failed

    def wait(self, pending: dict[str, HostileInput], deadline: float) -> None:
        """Read answers until every pending record has one, no answer came for KAFKA_IDLE_S, or ``deadline``."""
        last = time.monotonic()
        while pending and time.monotonic() < deadline and time.monotonic() - last < KAFKA_IDLE_S:
            for record in self.reader.poll(0.3, 500):
                if self._answer(record, pending):
                    last = time.monotonic()

    def _answer(self, r: Record, pending: dict[str, HostileInput]) -> bool:
        """Match one record read to a pending input; True if it answered one."""
        leaked = self.secret in r.value
        self.leaks += leaked
        if r.topic == self.topics.deadletter:
            mid, codes, body = _dead_letter(r.value)
            mid = mid if mid in pending else _id_in_body(body, pending)
            how = "dead letter"
        else:
            ref = header(r.headers, "sw-reference-id")
            mid = ref.decode("utf-8", errors="replace") if ref is not None else None
            if mid not in pending:
                return False
            codes, how = _receipt(r)
        inp = pending.pop(mid, None) if mid else None
        if inp is None:
            return False
        verdict = _codes_verdict(inp, codes, how, leaked) if codes else _Verdict(False, False, f"{how} without codes")
        self.answers[inp.name] = verdict
        return True

    def close(self) -> None:
        self.producer.close(timeout=10)
        self.reader.close()
        self.transport.close()


def _dead_letter(value: bytes) -> tuple[str | None, set[str], str]:
    """(message id, codes, body) of a dead-letter envelope."""
    try:
        env = json.loads(value)
    except ValueError:
        return None, set(), ""
    codes = {c for c in env.get("codes") or [] if isinstance(c, str)}
    mid, body = env.get("message_id"), env.get("body")
    return (mid if isinstance(mid, str) else None), codes, (body if isinstance(body, str) else "")


def _id_in_body(body: str, pending: dict[str, HostileInput]) -> str | None:
    """The pending record without an ``sw-message-id`` header (so the gateway could not name it) whose id is in
    ``body``."""
    for mid, inp in pending.items():
        if header(list(inp.headers), "sw-message-id") is None and mid in body:
            return mid
    return None


def _receipt(r: Record) -> tuple[set[str], str]:
    """(error codes, what it is) of a receipt in an inbox; codes empty unless it is a rejection."""
    if header(r.headers, "sw-receipt-status") != b"rejected":
        return set(), "delivered receipt (accepted)"
    try:
        receipt = decode(r.value, rules=False)
    except Exception:
        return set(), "rejection receipt that does not decode"
    codes = {e.code for e in receipt.response.error} if isinstance(receipt, ReceiptMessage) else set()
    return codes, "rejection receipt"


# ------------------------------------------------------------------------------------------------------ the run


@dataclass
class _Tally:
    """Counts across every pass."""

    inputs: int = 0
    refused: int = 0
    server_errors: int = 0
    leaks: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    def add(self, inp: HostileInput, verdict: _Verdict, pass_no: int) -> None:
        self.inputs += 1
        self.refused += verdict.refused
        self.server_errors += verdict.server_error
        self.leaks += verdict.leaked
        if not verdict.refused:
            self.failures.append({"name": inp.name, "channel": inp.channel, "endpoint": inp.endpoint,
                                  "got": f"pass {pass_no}: {verdict.got}"})  # fmt: skip


@dataclass
class _Run:
    """One run against a target: the canary, the two channels, the counts, the Kafka wait budget and progress."""

    target: Target
    canary: Canary
    http: _Http
    kafka: _Kafka
    progress: Callable[[int, int], None] | None
    tally: _Tally = field(default_factory=_Tally)
    wait_left_s: float = KAFKA_WAIT_S
    done: int = 0
    total: int = 0

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def one_pass(self, pass_no: int) -> None:
        """Produce the Kafka records, send the HTTP requests meanwhile, then collect the Kafka answers."""
        s = self.target.settings
        inputs = corpus(self.canary.refs, s.network_seed, f"{uuid.uuid4().hex[:8]}{pass_no}", s.max_body_bytes)
        self.total = self.total or PASSES * len(inputs)
        records = [i for i in inputs if i.channel == "kafka"]
        unsent = self.kafka.send(records)
        for inp in (i for i in inputs if i.channel == "http"):
            self.tally.add(inp, _send_http(self.http, inp, self.canary.secret), pass_no)
            self.step()
        pending = {i.message_id: i for i in records if i.name not in unsent and i.message_id}
        started = time.monotonic()
        self.kafka.wait(pending, started + max(self.wait_left_s, 5.0))
        self.wait_left_s -= time.monotonic() - started
        for inp in records:
            verdict = unsent.get(inp.name) or self.kafka.answers.pop(inp.name, None)
            self.tally.add(inp, verdict or _Verdict(False, True, "no receipt or dead letter within the wait"), pass_no)
            self.step()


def _ledger_leaks(target: Target, secret: str) -> int:
    """Rows of any ledger table with the canary secret in any column (SQLite ledger, read-only)."""
    path = target.settings.ledger_file
    if target.settings.ledger_url or not path.exists():
        return 0
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        found = 0
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            where = " OR ".join(f'instr(CAST("{c}" AS BLOB), ?) > 0' for c in columns)
            query = f'SELECT count(*) FROM "{table}" WHERE {where}'  # noqa: S608 (names from the ledger's own schema)
            found += db.execute(query, [secret.encode()] * len(columns)).fetchone()[0]
        return found
    finally:
        db.close()


def _settled_rss(pid: int, samples: int = 5, interval_s: float = 0.2) -> float:
    """The gateway's lowest RSS over about a second (large bodies just freed make single readings noisy)."""
    readings = []
    for _ in range(samples):
        time.sleep(interval_s)
        readings.append(rss_mb(pid))
    return min(readings)


def run_hostile(target: Target, progress: Callable[[int, int], None] | None = None) -> HostileResult:
    """Send the corpus :data:`PASSES` times to ``target`` (fresh ids and signatures each pass), judge every input,
    and count canary hits, leaks and the gateway's memory growth. ``progress(done, total)`` after each input."""
    with tempfile.TemporaryDirectory(prefix="swsim-hostile-") as tmp, Canary(Path(tmp)) as canary:
        kafka = _Kafka(target, canary.secret)
        run = _Run(target, canary, _Http(target.base_url), kafka, progress)
        try:
            rss = []
            for pass_no in range(1, PASSES + 1):
                run.one_pass(pass_no)
                rss.append(_settled_rss(target.pid))
        finally:
            run.http.close()
            run.kafka.close()
        t = run.tally
        files = canary.file_touches() + t.leaks + run.kafka.leaks + _ledger_leaks(target, canary.secret)
        return HostileResult(t.inputs, t.refused, t.server_errors, canary.connections, files,
                             round(min(b - a for a, b in pairwise(rss)), 1), t.failures)  # fmt: skip
