"""The live dashboard: a static page (public: it holds no data) and its API (operator only), with a server-sent
event stream of what the gateway records."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from gateway.dashboard import views
from gateway.dashboard.live import MAX_SEQ, Cursor
from gateway.http.deps import Principal, gateway, principal
from gateway.http.errors import ApiError

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
POLL_S = 0.3
TICK_S = 2.0


def _static(name: str) -> bytes:
    return resources.files("gateway.dashboard").joinpath("static", name).read_bytes()


async def operator(who: Principal = Depends(principal)) -> Principal:  # noqa: B008 (FastAPI's dependency style)
    if not who.operator:
        raise ApiError(403, "FORBIDDEN", "the dashboard shows every party's messages: use the operator key")
    return who


@router.get("", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return HTMLResponse(_static("index.html"))


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in _STATIC:
        raise ApiError(404, "NOT_FOUND", f"no dashboard file {name!r}")
    return Response(_static(name), media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})


@router.get("/api/overview", dependencies=[Depends(operator)])
async def overview(request: Request) -> JSONResponse:
    return JSONResponse(await run_in_threadpool(views.overview, gateway(request)))


@router.get("/api/search", dependencies=[Depends(operator)])
async def search(request: Request, q: str, latest: bool = False) -> JSONResponse:
    """``latest``: a long consignment's newest messages rather than its first (the page following it live)."""
    if len(q) > 200:
        raise ApiError(400, "REQUEST_INVALID", "the search text is longer than 200 characters")
    return JSONResponse(await run_in_threadpool(views.search, gateway(request), q, latest))


@router.get("/api/messages/{seq}", dependencies=[Depends(operator)])
async def message(request: Request, seq: Annotated[int, Path(ge=1, le=MAX_SEQ)]) -> JSONResponse:
    found = await run_in_threadpool(views.detail, gateway(request), seq)
    if found is None:
        raise ApiError(404, "NOT_FOUND", f"no message #{seq}")
    return JSONResponse(found)


@router.get("/api/stream", dependencies=[Depends(operator)])
async def stream(request: Request, after: str | None = None) -> StreamingResponse:
    """Server-sent events: ``message`` for every message the gateway records, ``tick`` every 2 s (side panels),
    ``skipped`` when the stream fell too far behind. It starts after ``Last-Event-ID`` (a ``message`` event's
    ``id``), else ``after`` (the overview's ``cursor``), else now; see :mod:`gateway.dashboard.live`."""
    gw = gateway(request)
    start = request.headers.get("last-event-id") or after
    try:
        cursor = Cursor.parse(start) if start else await run_in_threadpool(Cursor.now, gw.ledger)
    except ValueError as e:
        raise ApiError(400, "REQUEST_INVALID", str(e)) from None

    async def events() -> AsyncIterator[str]:
        next_tick = 0.0
        while not await request.is_disconnected():
            skip_to, records = await run_in_threadpool(cursor.pending, gw.ledger)
            if skip_to is not None:
                skipped = {"after": cursor.high, "upto": skip_to}
                cursor.skip(skip_to)
                yield _event("skipped", skipped, str(cursor))
            for rec in records:
                cursor.sent(rec)
                yield _event("message", await run_in_threadpool(views.message_view, rec), str(cursor))
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + TICK_S
                yield _event("tick", await run_in_threadpool(views.tick, gw))
            await asyncio.sleep(POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _event(name: str, data: Any, event_id: str | None = None) -> str:
    """One SSE frame. JSON in ASCII: a raw U+2028/U+2029 would end a line for some readers and split the frame."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=True)}\n\n"
