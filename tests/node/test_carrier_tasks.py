"""The carrier's work-order reader: a record that is not an order is refused and the orders after it are filed; a
store failure is retried after a growing back-off, without re-reading or skipping anything."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from swsim.node.carrier import CarrierTasks
from tests.node.helpers import CARRIER, busy_error, make_node


def _order(i: int) -> bytes:
    return json.dumps({"id": f"o{i}", "type": "MT2301", "office": "8000", "bill": f"SWX{i}", "unloading": "PLMAA"}
                      ).encode()  # fmt: skip


def test_an_order_json_cannot_parse_is_refused_and_the_reader_goes_on(tmp_path: Path) -> None:
    node = make_node(tmp_path)
    tasks = CarrierTasks(node, node.transport, node.topics.tasks)
    t = node.transport
    t.send(node.topics.tasks, _order(1), CARRIER.encode())
    t.send(node.topics.tasks, b"[" * 100_000, CARRIER.encode())  # json.loads: RecursionError, not a ValueError
    t.send(node.topics.tasks, None, CARRIER.encode())  # type: ignore[arg-type]
    t.send(node.topics.tasks, _order(2), CARRIER.encode())
    consumer = t.consumer([node.topics.tasks], "tasks", True, assign=True)
    assert tasks.step(consumer) == 4
    assert [d["id"] for d in node.store.all("task")] == ["o1", "o2"]
    assert t.committed[("tasks", node.topics.tasks)] == 4  # type: ignore[attr-defined]
    assert [w for _, w, _ in node.store.timeline()].count("task_refused") == 2
    node.store.close()


class _RecordingStop(threading.Event):
    """The reader's stop event: records each back-off it is asked to wait, and waits none of it."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return super().wait(0)


def test_a_store_failure_backs_off_and_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node = make_node(tmp_path)
    tasks = CarrierTasks(node, node.transport, node.topics.tasks)
    stop = tasks._stop = _RecordingStop()
    for i in (1, 2):
        node.transport.send(node.topics.tasks, _order(i), CARRIER.encode())
    real, err, tries = tasks.take, busy_error(tmp_path), []

    def take(value: bytes | None) -> bool:
        tries.append(value)
        if len(tries) <= 3:
            raise err
        return real(value)

    monkeypatch.setattr(tasks, "take", take)
    tasks.start()
    deadline = time.monotonic() + 20
    while len(node.store.all("task")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    tasks.stop()
    assert [d["id"] for d in node.store.all("task")] == ["o1", "o2"]
    assert stop.waits == [0.5, 1.0, 2.0]  # a growing back-off, one per failure, not a hot loop
    assert tries == [_order(1)] * 4 + [_order(2)]  # the failed order again, then on: no re-reading from the start
    assert node.transport.committed[(f"tasks-{CARRIER}", node.topics.tasks)] == 2  # type: ignore[attr-defined]
    node.store.close()
