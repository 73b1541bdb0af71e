"""schemathesis against the app's own OpenAPI: no server errors, responses as documented.

The HTTP layer is what is under test here, so the gateway runs on the in-memory transport (the same API is
tested over the real broker in test_http_api.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from gateway.http import create_app
from gateway.service import build_gateway
from swsim.network import api_key
from swsim.settings import Settings
from swsim.transport.memory import MemoryTransport

from .helpers import SEED, TRADER

_DIR = Path(tempfile.mkdtemp(prefix="swsim-schemathesis-"))
_GW = build_gateway(Settings(data_dir=_DIR, network_seed=SEED, max_body_bytes=64 * 1024), MemoryTransport())
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_GW))


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi(case: schemathesis.Case) -> None:
    # Every other check runs. Excluded: "a schema-valid request is accepted". Acceptance of a message also
    # depends on signatures, the party registry, check characters and business rules that no OpenAPI schema
    # can express, so a schema-valid but e.g. mis-addressed message is rightly refused with a 4xx.
    case.call_and_validate(headers={"X-API-Key": api_key(SEED, TRADER)}, excluded_checks=[positive_data_acceptance])
