"""An HTTP app served from a background thread (the dashboard during `swsim demo`, and in tests)."""

from __future__ import annotations

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
        return f"http://{self.host}:{self.port}"

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
