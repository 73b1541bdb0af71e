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
from gateway.http.deps import Principal, gateway, principal
from gateway.http.errors import ApiError
from gateway.ledger import MessageRecord
from gateway.service import Gateway

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
async def search(request: Request, q: str) -> JSONResponse:
    if len(q) > 200:
        raise ApiError(400, "REQUEST_INVALID", "the search text is longer than 200 characters")
    return JSONResponse(await run_in_threadpool(views.search, gateway(request), q))


MAX_SEQ = 2**63 - 1
"""The largest ledger sequence number (SQLite's INTEGER, PostgreSQL's bigint): a larger one is refused (422)."""


@router.get("/api/messages/{seq}", dependencies=[Depends(operator)])
async def message(request: Request, seq: Annotated[int, Path(ge=1, le=MAX_SEQ)]) -> JSONResponse:
    found = await run_in_threadpool(views.detail, gateway(request), seq)
    if found is None:
        raise ApiError(404, "NOT_FOUND", f"no message #{seq}")
    return JSONResponse(found)


@router.get("/api/stream", dependencies=[Depends(operator)])
async def stream(request: Request) -> StreamingResponse:
    """Server-sent events: ``message`` for every message the gateway records, ``tick`` every 2 s (side panels)."""
    gw = gateway(request)

    async def events() -> AsyncIterator[str]:
        last = await run_in_threadpool(gw.ledger.max_seq)
        next_tick = 0.0
        while not await request.is_disconnected():
            new = await run_in_threadpool(_after, gw, last)
            for rec in new:
                last = rec.seq or last
                yield _event("message", await run_in_threadpool(views.message_view, rec))
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + TICK_S
                yield _event("tick", await run_in_threadpool(views.tick, gw))
            await asyncio.sleep(POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _after(gw: Gateway, seq: int) -> list[MessageRecord]:
    return list(gw.ledger.iter_messages(seq, 100))


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
