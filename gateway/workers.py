"""Router processes: more gateway routers as processes of their own, members of the same consumer group, so the
Kafka path is not bound to one interpreter lock (a router spends about 1 ms of Python per message).

Each worker opens the same ledger as the gateway (SQLite in WAL mode, whose ``BEGIN IMMEDIATE`` transactions
serialise writers across processes, or PostgreSQL) and watches the broker's generation like the gateway. The
gateway process keeps HTTP, metrics and the dashboard; a worker's own counters are not in its /metrics.

``python -m gateway.workers`` runs one worker on the ``SWSIM_*`` settings of its environment until SIGTERM.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from swsim.settings import Settings

READY = "router worker ready"


def settings_env(settings: Settings) -> dict[str, str]:
    """``settings`` as the SWSIM_* environment a child process reads them from."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value) if isinstance(value, int | float | Path) else None
        env[f"SWSIM_{name.upper()}"] = text if text is not None else json.dumps(value)
    return env


class RouterWorkers:
    """``n`` router processes on ``settings``; :meth:`start` returns once each has joined the consumer group."""

    def __init__(self, settings: Settings, n: int, log_dir: Path | None = None) -> None:
        self.settings = settings
        self.n = n
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[str]] = []
        self._logs: list[IO[str]] = []

    def child_env(self) -> dict[str, str]:
        """The environment of a router process: the settings, but no prepare workers (a router process is itself
        the way off the gateway process's interpreter lock; workers of its own would only crowd the cores)."""
        return {**os.environ, **settings_env(self.settings), "PYTHONUNBUFFERED": "1", "SWSIM_PREPARE_WORKERS": "0"}

    def start(self, timeout_s: float = 90.0) -> RouterWorkers:
        env = self.child_env()
        for i in range(self.n):
            err = open(self.log_dir / f"router-worker-{i}.log", "w") if self.log_dir else None  # noqa: SIM115
            if err is not None:
                self._logs.append(err)
            p = subprocess.Popen(
                [sys.executable, "-m", "gateway.workers"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=err or subprocess.DEVNULL,
                text=True,
            )
            self.procs.append(p)
        deadline = time.monotonic() + timeout_s
        try:
            for p in self.procs:
                assert p.stdout is not None
                while True:
                    left = deadline - time.monotonic()
                    ready, _, _ = select.select([p.stdout], [], [], max(0.0, left))
                    if not ready:  # a worker that never joins must not hold its gateway for ever
                        raise TimeoutError(f"a router worker did not join its consumer group within {timeout_s:.0f} s")
                    line = p.stdout.readline()
                    if not line and p.poll() is not None:
                        raise RuntimeError(f"a router worker exited with {p.returncode}")
                    if line.strip() == READY:
                        break
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.stdout is not None:
                p.stdout.close()
        for log in self._logs:
            log.close()
        self._logs.clear()


def main() -> None:
    from gateway.service import build_gateway, gateway_transport

    settings = Settings()
    if settings.kafka_bootstrap is None:
        raise SystemExit("SWSIM_KAFKA_BOOTSTRAP is not set")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    client = f"swsim-router-{os.getpid()}"
    gw = build_gateway(settings, gateway_transport(settings, client))
    try:
        gw.start_watch()
        router = gw.start_router()
        parent = os.getppid()
        while not router.joined.wait(0.5):
            if stop.is_set() or os.getppid() != parent:
                return
        print(READY, flush=True)
        while not stop.wait(1.0):
            if os.getppid() != parent:  # the gateway process is gone (killed): do not outlive it
                break
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
