"""Health, Prometheus metrics and the AsyncAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.asyncapi import asyncapi_document
from gateway.http.deps import gateway
from gateway.http.models import Health

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request) -> Any:
    """Liveness, broker reachability and ledger counts."""
    gw = gateway(request)
    broker = "ok" if gw.broker_ok() else "unreachable"
    body = Health(status="ok" if broker == "ok" else "degraded", broker=broker, ledger=gw.ledger.counts())
    return JSONResponse(body.model_dump(), status_code=200 if broker == "ok" else 503)


@router.head(
    "/health", response_class=Response, responses={200: {"description": "ok"}, 503: {"description": "degraded"}}
)
async def health_status(request: Request) -> Response:
    """The status of GET /health without its body, for probes that look only at the status."""
    return Response(status_code=200 if gateway(request).broker_ok() else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(generate_latest(gateway(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json", responses={200: {"content": {"application/json": {}}}})
async def asyncapi(request: Request) -> JSONResponse:
    """AsyncAPI 3.0 description of the Kafka channels and message payloads."""
    gw = gateway(request)
    return JSONResponse(asyncapi_document(gw.topics, sorted(gw.registry.parties)))
