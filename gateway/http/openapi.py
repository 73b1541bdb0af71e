"""The OpenAPI document as the API really answers: a 422 is the gateway's own error body (REQUEST_INVALID), not
FastAPI's validation list. (How to authenticate comes from the security dependencies of
:func:`gateway.http.deps.principal`.)"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_ERROR = {"$ref": "#/components/schemas/ErrorBody"}


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            invalid = op.get("responses", {}).get("422")
            if invalid is not None and "HTTPValidationError" in str(invalid):
                invalid["description"] = "REQUEST_INVALID: a parameter is out of range or of the wrong type"
                invalid["content"] = {"application/json": {"schema": _ERROR}}
    schemas = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in str(schema.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
