"""Contract fuzzing: Schemathesis generates requests from the service's own OpenAPI schema and sends them
to a real uvicorn on loopback. No response may be a 5xx and every response must match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import LiveServer


@pytest.fixture(scope="session")
def api_schema(live_server: LiveServer):
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_contract(case) -> None:
    case.call_and_validate()
