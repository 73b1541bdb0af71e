"""Where a dashboard's live stream stands: which messages it was sent, so that a stream resumes where the page's
first load (or the previous connection) stopped, and a message whose insert committed late still shows.

Sequence numbers are taken at insert, not at commit: with several gateways on PostgreSQL, #7 can become visible
after #8 was sent, and a PostgreSQL sequence also skips numbers for good (an insert that lost a race, a batch rolled
back). So a cursor is ``high`` (every message up to it was sent) less its ``gaps``: the numbers up to ``high`` that
had no message when looked at. Each poll looks for the gaps of the last :data:`WINDOW` numbers again and sends what
appeared; older gaps are given up. Its text form (``"120"``, ``"120:117,119"``) is the overview's ``cursor``, each
``message`` event's SSE ``id`` and what the stream resumes from (``Last-Event-ID`` or ``?after=``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.ledger import Ledger, MessageRecord

WINDOW = 1000
"""How many sequence numbers below the newest one sent are looked at again for late commits."""
BATCH = 100
"""Messages one poll sends at most (late ones, then as many new ones)."""
BEHIND = 2000
"""A stream further behind the ledger than this skips to its newest :data:`BATCH` messages, and says so."""
ID_GAPS = 100
"""Gaps an event id carries at most (the newest): a reconnect after more than that may miss the oldest late ones."""
MAX_SEQ = 2**63 - 1
"""The largest ledger sequence number (SQLite's INTEGER, PostgreSQL's bigint): a larger one is refused."""


@dataclass
class Cursor:
    high: int = 0
    gaps: set[int] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """A cursor from its text form; ValueError if it is not one."""
        numbers = text.strip().replace(":", ",", 1).split(",")
        if len(text) > 20 * (ID_GAPS + 1) or not all(n.isascii() and n.isdigit() for n in numbers):
            raise ValueError(f"not a stream position: {text[:40]!r}")
        high, gaps = int(numbers[0]), {int(n) for n in numbers[1:]}
        if high > MAX_SEQ or any(g >= high for g in gaps):
            raise ValueError(f"not a stream position: {text[:40]!r}")
        return cls(high, {g for g in gaps if g > high - WINDOW})

    @classmethod
    def now(cls, ledger: Ledger) -> Cursor:
        """Everything the ledger holds now (its gaps: the numbers of the last :data:`WINDOW` with no message)."""
        high = ledger.max_seq()
        present = set(ledger.seqs_between(max(0, high - WINDOW), high))
        return cls(high, set(range(max(0, high - WINDOW) + 1, high + 1)) - present)

    def __str__(self) -> str:
        gaps = sorted(self.gaps)[-ID_GAPS:]
        return str(self.high) + (":" + ",".join(map(str, gaps)) if gaps else "")

    def pending(self, ledger: Ledger) -> tuple[int | None, list[MessageRecord]]:
        """What to send next, without moving: the gaps now filled, then new messages (:data:`BATCH` at most in all).
        When further behind than :data:`BEHIND`, also the number to :meth:`skip` to first (the new ones follow it)."""
        late: list[MessageRecord] = []
        if self.gaps:
            filled = self.gaps.intersection(ledger.seqs_between(min(self.gaps) - 1, self.high))
            late = [r for r in map(ledger.message_by_seq, sorted(filled)[:BATCH]) if r is not None]
        room = BATCH - len(late)
        new = list(ledger.iter_messages(self.high, room)) if room else []
        skip_to = None
        if room and len(new) == room and (top := ledger.max_seq()) - self.high > BEHIND:
            skip_to = top - room
            new = list(ledger.iter_messages(skip_to, room))
        return skip_to, late + new

    def skip(self, to: int) -> None:
        """Give up the messages after ``high`` up to ``to`` (the stream says so)."""
        self.high = max(self.high, to)
        self.gaps = {g for g in self.gaps if g > self.high - WINDOW}

    def sent(self, rec: MessageRecord) -> None:
        seq = rec.seq or 0
        if seq <= self.high:
            self.gaps.discard(seq)
            return
        self.gaps.update(range(max(self.high, seq - WINDOW) + 1, seq))
        self.high = seq
        self.gaps = {g for g in self.gaps if g > seq - WINDOW}
