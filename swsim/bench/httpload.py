"""A minimal keep-alive HTTP/1.1 load client on asyncio streams, for benchmarks only.

httpx costs more CPU per request than the servers being compared, which would cap the bare-endpoint baseline
and flatter the ratio; this client does the least work possible per request (no TLS, no redirects, no
chunked bodies: the servers measured here always send Content-Length)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def _worker(
    host: str, port: int, path: str, headers: bytes, next_body: Callable[[], bytes | None], deadline: float,
    statuses: dict[int, int],
) -> int:  # fmt: skip
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < deadline:
            body = next_body()
            if body is None:
                break
            writer.write(
                b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + host.encode() + b"\r\n" + headers
                + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )  # fmt: skip
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
            done += 1
    finally:
        writer.close()
    return done


def run_load(
    host: str, port: int, path: str, headers: dict[str, str], bodies: list[bytes], seconds: float, concurrency: int
) -> tuple[float, dict[int, int]]:
    """POST bodies (each once, in order) for ``seconds``; return (requests/s, status counts)."""
    raw = b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
    it = iter(bodies)
    statuses: dict[int, int] = {}

    def next_body() -> bytes | None:
        return next(it, None)

    async def main() -> tuple[float, int]:
        start = time.perf_counter()
        deadline = start + seconds
        counts = await asyncio.gather(
            *(_worker(host, port, path, raw, next_body, deadline, statuses) for _ in range(concurrency))
        )
        return time.perf_counter() - start, sum(counts)

    elapsed, total = asyncio.run(main())
    return total / elapsed, statuses
