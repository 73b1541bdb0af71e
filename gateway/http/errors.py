"""API errors: one JSON shape, a stable code, what to fix; never a stack trace."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.http.models import IssueOut

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    errors: list[IssueOut] = []


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer. ``result`` is present when a submitted message was processed and rejected."""

    error: ErrorDetail
    result: Any | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []


def error_json(
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "errors": errors or []}}
    return JSONResponse(body, status_code=status, headers=headers)


_STATUS_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_json(exc.status, exc.code, exc.message, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"code": "REQUEST_INVALID", "message": str(e.get("msg")), "location": "/".join(map(str, e.get("loc", ())))}
            for e in exc.errors()
        ]
        return error_json(422, "REQUEST_INVALID", "the request's parameters are invalid: see errors", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
        message = str(exc.detail)
        if exc.status_code == 404 and len(request.url.path) > 1 and request.url.path.endswith("/"):
            message += ": no path of this API ends with '/' (drop it)"
        return error_json(exc.status_code, code, message, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.exception("unhandled error (reference %s) on %s %s", ref, request.method, request.url.path)
        return error_json(500, "INTERNAL_ERROR", f"internal error, reference {ref}: see the gateway log")
