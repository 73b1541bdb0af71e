"""A gateway to verify against: the embedded broker and ``swsim gateway`` as child processes, on fresh topics and a
fresh ledger, so that memory can be read from outside and nothing of the verifier's own leaks into the figures."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from swsim.broker import free_port
from swsim.proc import broker_or, served
from swsim.settings import Settings

SEED = "swsim-demo-network"


@dataclass(frozen=True)
class Target:
    base_url: str
    """``http://127.0.0.1:PORT`` of the running gateway."""
    bootstrap: str
    settings: Settings
    """What the gateway runs with (topic prefix, network seed, data dir with its ledger)."""
    pid: int
    """The gateway's process id (to read its memory, /proc/PID/status)."""


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextmanager
def gateway_target(workdir: Path, bootstrap: str | None = None, env: dict[str, str] | None = None) -> Iterator[Target]:
    """A running gateway process on ``bootstrap`` (or on an embedded broker started here), with its own topic prefix
    and ledger under ``workdir``."""
    with broker_or(bootstrap) as b:
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        settings = Settings(kafka_bootstrap=b, topic_prefix="v" + uuid.uuid4().hex[:8], data_dir=workdir,
                            network_seed=SEED, http_port=port)  # fmt: skip
        variables = {
            "SWSIM_KAFKA_BOOTSTRAP": b,
            "SWSIM_TOPIC_PREFIX": settings.topic_prefix,
            "SWSIM_DATA_DIR": str(workdir),
            "SWSIM_NETWORK_SEED": SEED,
            "SWSIM_HTTP_PORT": str(port),
            **(env or {}),
        }
        args = [sys.executable, "-m", "swsim", "gateway"]
        with served(args, variables, f"http://127.0.0.1:{port}/health", workdir / "gateway.log") as p:
            yield Target(f"http://127.0.0.1:{port}", b, settings, p.pid)
