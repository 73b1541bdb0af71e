"""The HTTP API of the gateway (FastAPI, "bigger applications" layout: the factory only wires)."""

from gateway.http.app import create_app

__all__ = ["create_app"]
