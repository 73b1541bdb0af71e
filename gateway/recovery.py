"""After the broker lost its state (the embedded broker restarted empty): route again, from the ledger, what was
delivered recently, since records a receiver had not read yet are gone with the broker.

Receivers de-duplicate by (sender, message id), so a message they had already handled is a no-op. What had not been
receipted yet needs nothing here: its sender's outbox re-sends it, and the ledger answers "duplicate" with a receipt.
"""

from __future__ import annotations

import logging
import time

from gateway.ledger import Ledger
from gateway.pipeline import Pipeline
from swsim.transport.base import Transport

log = logging.getLogger(__name__)

PAGE = 500


def redeliver_since(ledger: Ledger, pipeline: Pipeline, transport: Transport, since: float) -> int:
    """Route again every message delivered at or after ``since`` (epoch seconds); returns how many."""
    t0 = time.monotonic()
    count, after = 0, 0
    while True:
        page = list(ledger.iter_messages(after, PAGE))
        if not page:
            break
        after = page[-1].seq or after
        again = [m for m in page if m.status == "delivered" and (m.delivered_at or m.received_at) >= since]
        records = [r for m in again for r in pipeline.reroute(m)]
        if records:
            transport.deliver(records)
        count += len(again)
    log.warning("re-routed %d message(s) delivered since %.0f in %.1f s", count, since, time.monotonic() - t0)
    return count
