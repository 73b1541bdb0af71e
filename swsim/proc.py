"""Child processes that serve HTTP: started, waited for until healthy, and stopped (benchmarks and load tests run
the exchange in its own process, so the load generator does not share its interpreter lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from swsim.broker import EmbeddedBroker, free_port


def wait_healthy(p: subprocess.Popen[bytes], what: str, health: str, log: Path | None = None,
                 timeout_s: float = 90) -> None:  # fmt: skip
    """Until ``health`` answers 200; raise if the process ``p`` (``what``) exits or the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        if p.poll() is not None:
            where = f"; see {log}" if log is not None else ""
            raise RuntimeError(f"{what} exited with {p.returncode}{where}")
        try:
            if httpx.get(health, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} never became healthy at {health}")
        time.sleep(0.1)


@contextmanager
def served(
    args: list[str], env: dict[str, str], health: str, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` until the block ends; ready once ``health`` answers 200. Output goes to ``log`` (or nowhere)."""
    sink = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    p = subprocess.Popen(args, env={**os.environ, **env}, stdout=sink, stderr=sink)
    try:
        wait_healthy(p, " ".join(args[2:4]), health, log)
        yield p
    finally:
        p.terminate()
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if log is not None and not isinstance(sink, int):
            sink.close()


@contextmanager
def broker_or(bootstrap: str | None) -> Iterator[str]:
    """``bootstrap``, or (None) the address of an embedded broker started for the block."""
    if bootstrap is not None:
        yield bootstrap
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


@contextmanager
def stack_process(data_dir: Path, bootstrap: str | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """The whole exchange (``swsim up``: gateway and every node) as a child process, on ``bootstrap`` or on an
    embedded broker started here. Yields the bootstrap address."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [sys.executable, "-m", "swsim", "up", "--http-port", str(port), "--data-dir", str(data_dir)]
    with broker_or(bootstrap) as b:
        variables = {**(env or {}), "SWSIM_KAFKA_BOOTSTRAP": b}
        with served(args, variables, f"http://127.0.0.1:{port}/health", data_dir / "stack.log"):
            yield b
