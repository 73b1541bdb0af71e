"""The app factory: wires middleware, error handlers and routers. No business logic here."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.dashboard import routes as dashboard
from gateway.http import openapi, routes_deadletters, routes_messages, routes_ops, routes_reads
from gateway.http.errors import install_error_handlers
from gateway.http.middleware import BodyGuard
from gateway.service import Gateway


def create_app(gw: Gateway) -> FastAPI:
    app = FastAPI(
        title="swsim single-window gateway (simulated)",
        version="1.0.0",
        description="HTTP side of the simulated Sichuan-Chongqing single window: submit, validate, status, "
        "trace, dead letters. Authenticate with X-API-Key or an Ed25519 request signature (see README).",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a 307 to the same path without '/' would name the Host header the caller sent
    )
    app.state.gateway = gw
    install_error_handlers(app)
    app.add_middleware(BodyGuard, limit=gw.settings.max_body_bytes)
    app.include_router(routes_messages.router)
    app.include_router(routes_reads.router)
    app.include_router(routes_deadletters.router)
    app.include_router(routes_ops.router)
    app.include_router(dashboard.router)
    app.openapi = lambda: openapi.document(app)  # type: ignore[method-assign]
    return app
