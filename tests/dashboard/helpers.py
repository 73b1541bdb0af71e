"""A gateway on an in-memory transport, served over HTTP, with messages put straight into its ledger (what the
dashboard reads), and a reader of the dashboard's server-sent events."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.ledger import DeadLetter, Ledger, MessageRecord
from gateway.service import Gateway
from schemas.codec import encode
from schemas.envelope import Message
from schemas.message_types import MessageType
from schemas.samples import all_samples
from swsim.network import operator_key

SEED = "swsim-demo-network"
OPERATOR = {"X-API-Key": operator_key(SEED)}
_n = [0]


def sample(mt: MessageType, **body: Any) -> Message:
    """The sample message of type ``mt`` with a fresh message id and these body fields changed."""
    m = all_samples()[mt]
    _n[0] += 1
    head = m.head.model_copy(update={"message_id": f"DASH-{time.time_ns()}-{_n[0]}"})
    return m.model_copy(update={"head": head, m.BODY: m.body.model_copy(update=body)})


def record(ledger: Ledger, m: Message | None = None, corr: str | None = "BL-DASH", mid: str | None = None) -> int:
    """Record a message in the ledger as the gateway would (a sample MT1101 unless given); returns its seq."""
    m = m if m is not None else sample(MessageType.MT1101)
    rec = MessageRecord(m.head.sender_id, mid or m.head.message_id, m.head.message_type.value, ["7900"], corr, None,
                        "json", "d", encode(m, "json"), "http", time.time())  # fmt: skip
    kind, stored = ledger.insert_message(rec)
    assert kind == "new"
    return stored.seq or 0


def dead_letter_record(sender: str) -> DeadLetter:
    return DeadLetter(sender, "M-" + sender, ["SCHEMA_INVALID"], [{"message": "bad"}], b"{}", {}, "kafka", time.time())


def dead_letter(gw: Gateway, sender: str) -> int:
    return gw.ledger.add_deadletter(dead_letter_record(sender))


@dataclass
class Events:
    """The events of one connection to ``/dashboard/api/stream``, read in a thread: (id, name, data) each."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    got: list[tuple[str | None, str, Any]] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.status = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _read(self) -> None:
        with httpx.stream("GET", self.url, headers={**OPERATOR, **self.headers}, timeout=30) as r:
            self.status = r.status_code
            self._ready.set()
            buf = b""
            for chunk in r.iter_raw():
                self.raw += chunk
                buf += chunk
                while b"\n\n" in buf:
                    frame, buf = buf.split(b"\n\n", 1)
                    fields = dict(line.split(": ", 1) for line in frame.decode().split("\n"))
                    self.got.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
                if self._stop.is_set():
                    return

    def messages(self) -> list[int]:
        return [d["seq"] for _, name, d in list(self.got) if name == "message"]

    def wait(self, until: Any, timeout: float = 10) -> None:
        end = time.monotonic() + timeout
        while not until(self) and time.monotonic() < end:
            time.sleep(0.05)

    def last_id(self) -> str | None:
        return [i for i, _, _ in self.got if i is not None][-1]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
