"""An HTTP app served from a background thread (the dashboard during `swsim demo`, and in tests)."""

from __future__ import annotations

import errno
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn


class BackgroundServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self._thread = threading.Thread(target=self.server.run, name="http", daemon=True)

    @property
    def url(self) -> str:
        """Where it serves: with port 0, the port the system chose, once started."""
        port = self.port
        servers = getattr(self.server, "servers", None)
        if port == 0 and servers and servers[0].sockets:
            port = servers[0].sockets[0].getsockname()[1]
        return f"http://{self.host}:{port}"

    def start(self, timeout_s: float = 15) -> bool:
        """Serve; False if the server did not come up (e.g. the port is taken)."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def listen_problem(host: str, port: int) -> str | None:
    """Why an HTTP server could not listen on ``host:port`` (asked before starting anything that needs it), or None
    when it can: the host is not a name or address of this machine, or another program holds the port. Every
    address the host has is tried, as uvicorn binds them all and skips those this machine cannot have (``localhost``
    giving ::1 where IPv6 is off)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        return f"{host} is not a host name or address this machine knows ({e.strerror})"
    problems = []
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no clash
            try:
                probe.bind(address)
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    return f"port {port} on {host} is taken"
                problems.append(f"cannot listen on {host}:{port} ({e.strerror})")
                continue
        return None  # one address it can listen on: uvicorn serves there
    return problems[0] if problems else f"{host} has no address to listen on"


def port_taken(host: str, port: int) -> bool:
    """Whether another program listens on ``host:port`` already (an unknown host is not this function's to say)."""
    problem = listen_problem(host, port) if port else None
    return problem is not None and problem.startswith("port ")
