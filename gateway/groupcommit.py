"""Group commit for the HTTP path: concurrent requests are processed as one group, in two stages.

A request hands its messages to the first stage and awaits a future. The first stage (one thread) takes every
request queued, prepares their messages (the CPU work), records them all in one ledger transaction and hands the
group to the second stage. The second stage (one thread) produces the group's records (one acknowledged broker
round trip for all of them: each request's records go to the same few partitions, so acknowledging requests one
by one would queue them behind each other), marks them delivered, and resolves the futures. While the second
stage waits on the broker, the first already processes the next group.

Measured before this: one thread-pool worker per request, each with its own ledger transaction, spent more of the
interpreter lock handing it over than processing (see README, Benchmarks > Gateway).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from gateway.metrics import Metrics
from gateway.pipeline import Outcome, Pipeline
from gateway.prepare import Inbound, Prepared
from swsim.transport.base import Transport

log = logging.getLogger(__name__)


class _Job(Protocol):
    @property
    def done(self) -> Future[Any]: ...


J = TypeVar("J", bound=_Job)


class NotDelivered(Exception):
    """The broker did not acknowledge a group's records (its messages are recorded, and routed again when the
    sender retries with the same MessageID)."""


class _Stage(Generic[J]):
    """One thread that takes every job queued so far and handles them together."""

    def __init__(self, name: str) -> None:
        self._queue: queue.Queue[J | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, job: J) -> None:
        self._queue.put(job)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            while True:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this group
                    break
                jobs.append(nxt)
            # a request whose caller went away before its turn (cancelled) is not processed; once running (here, or
            # in a stage before this one), a job can no longer be cancelled, so what is processed is answered
            jobs = [job for job in jobs if job.done.running() or job.done.set_running_or_notify_cancel()]
            if not jobs:
                continue
            try:
                self.handle(jobs)
            except Exception as exc:  # a bug: answer the waiting requests, keep the thread alive
                log.exception("%s failed on a group of %d", self._thread.name, len(jobs))
                for job in jobs:
                    if not job.done.done():
                        job.done.set_exception(exc)

    def handle(self, jobs: list[J]) -> None:
        raise NotImplementedError

    def stop(self, timeout_s: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout=timeout_s)


@dataclass
class _Delivery:
    outcomes: list[Outcome]
    done: Future[None] = field(default_factory=Future)


class Deliverer(_Stage[_Delivery]):
    """The second stage: produce a group's records, mark them delivered, resolve the futures."""

    def __init__(self, transport: Transport, pipeline: Pipeline, timeout_s: float = 30.0) -> None:
        self.transport = transport
        self.pipeline = pipeline
        self.timeout_s = timeout_s
        super().__init__("deliverer")

    def deliver_async(self, outcomes: list[Outcome]) -> Future[None]:
        """A future that resolves once the outputs of ``outcomes`` are acknowledged (:class:`NotDelivered` if not)."""
        job = _Delivery(outcomes)
        self.put(job)
        return job.done

    def handle(self, jobs: list[_Delivery]) -> None:
        group = [o for job in jobs for o in job.outcomes]
        try:
            self.pipeline.produce(self.transport, group, self.timeout_s)
        except Exception as exc:
            err = NotDelivered(str(exc))
            for job in jobs:
                job.done.set_exception(err)
            return
        for job in jobs:
            job.done.set_result(None)


@dataclass
class _Request:
    items: list[Inbound]
    done: Future[list[Outcome]] = field(default_factory=Future)
    prepared: list[Prepared] | None = None
    prepare_s: float = 0.0


def _prepare_group(pipeline: Pipeline, jobs: list[_Request]) -> None:
    """Prepare every job's items at once (in a worker process when there is an idle one)."""
    t0 = time.perf_counter()
    flat = pipeline.prepare_many([i for job in jobs for i in job.items])  # never raises
    per = (time.perf_counter() - t0) / max(1, len(flat))
    at = 0
    for job in jobs:
        job.prepared, job.prepare_s = flat[at : at + len(job.items)], per
        at += len(job.items)


class _Preparing(_Stage[_Request]):
    """With prepare worker processes: a stage before the :class:`Submitter` that waits on the workers, so that the
    workers prepare the next group while the submitter records this one."""

    def __init__(self, pipeline: Pipeline, then: _Stage[_Request]) -> None:
        self.pipeline = pipeline
        self.then = then
        super().__init__("preparing")

    def handle(self, jobs: list[_Request]) -> None:
        _prepare_group(self.pipeline, jobs)
        for job in jobs:
            self.then.put(job)


class Submitter(_Stage[_Request]):
    """Prepare (unless a :class:`_Preparing` stage did) and record a group of requests, then hand it to the
    :class:`Deliverer`."""

    def __init__(self, pipeline: Pipeline, deliverer: Deliverer, metrics: Metrics) -> None:
        self.pipeline = pipeline
        self.deliverer = deliverer
        self.metrics = metrics
        super().__init__("submitter")
        self._front = _Preparing(pipeline, self) if pipeline.workers is not None else None

    def submit(self, items: list[Inbound]) -> Future[list[Outcome]]:
        """A future of the outcomes of ``items``, resolved once their outputs are acknowledged by the broker."""
        job = _Request(items)
        (self._front or self).put(job)
        return job.done

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._front is not None:
            self._front.stop(timeout_s)  # it hands what it prepared to this stage first
        super().stop(timeout_s)

    def handle(self, jobs: list[_Request]) -> None:
        todo = [job for job in jobs if job.prepared is None]
        if todo:
            _prepare_group(self.pipeline, todo)
        t0 = time.perf_counter()
        recorded = self._record(jobs, [job.prepared or [] for job in jobs])
        n = sum(len(job.items) for job in jobs)
        per = (time.perf_counter() - t0) / max(1, n)
        for job in jobs:
            for _ in job.items:
                self.metrics.process_seconds.labels("http").observe(job.prepare_s + per)
        if not recorded:
            return
        group = [o for _, outcomes in recorded for o in outcomes]
        self.deliverer.deliver_async(group).add_done_callback(lambda f: self._finish(recorded, f))

    def _record(self, jobs: list[_Request], prepared: list[list[Prepared]]) -> list[tuple[_Request, list[Outcome]]]:
        """One ledger transaction for the group. Should it fail, each request is recorded on its own, so that
        one request's failure is its own answer and not that of the others in its group."""
        try:
            with self.pipeline.ledger.transaction():
                return [(job, [self.pipeline.commit(p) for p in ps]) for job, ps in zip(jobs, prepared, strict=True)]
        except Exception:
            log.warning("a group of %d request(s) failed to record; recording them one by one", len(jobs))
        recorded = []
        for job, ps in zip(jobs, prepared, strict=True):
            try:
                with self.pipeline.ledger.transaction():
                    recorded.append((job, [self.pipeline.commit(p) for p in ps]))
            except Exception as exc:
                job.done.set_exception(exc)
        return recorded

    def _finish(self, recorded: list[tuple[_Request, list[Outcome]]], delivered: Future[None]) -> None:
        exc = delivered.exception()
        for job, outcomes in recorded:
            if exc is not None:
                job.done.set_exception(exc)
                continue
            for o in outcomes:
                self.metrics.messages.labels(o.status, "http").inc()
            job.done.set_result(outcomes)
