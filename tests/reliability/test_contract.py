"""Contract fuzzing: Schemathesis (its CLI, as a user would run it) generates a few hundred requests from
the service's own OpenAPI schema and sends them to a real uvicorn on loopback. Checks: no 5xx, status
codes, content types, headers and bodies conform to the schema, and invalid data is rejected.

Not checked: "schema-valid data must be accepted" (ST202). Some rules cannot be written in JSON Schema,
such as "the last chat message must come from the user"; those requests get a documented 400."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, seeds_server

pytestmark = pytest.mark.slow

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
    "response_headers_conformance,negative_data_rejection"
)


@pytest.fixture
def own_server(tmp_path: Path, embedder) -> Iterator[LiveServer]:
    """A server of its own: with the key, the fuzzer reaches the write endpoints (uploads, deletions),
    which must not change the documents the other tests' shared server answers from."""
    with seeds_server(tmp_path, embedder, RAG_API_KEY="test-key-123") as server:
        yield server


def test_openapi_contract_holds_under_fuzzing(own_server, tmp_path: Path) -> None:
    live_server = own_server
    cli = Path(sys.executable).parent / "schemathesis"
    result = subprocess.run(
        [
            str(cli),
            "run",
            f"{live_server.url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            "40",
            "--generation-deterministic",
            "--request-timeout",
            "30",
            "-H",
            "Authorization: Bearer test-key-123",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) >= 200, output[-2000:]
    assert "failures" not in output.split("SUMMARY")[-1].lower() or " 0 failures" in output
