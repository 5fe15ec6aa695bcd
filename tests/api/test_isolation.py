"""The isolation contract (``tests/contracts/isolation.py``) over the files store: in process and
through a real uvicorn."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rag_service.api.app import create_app
from tests.contracts.isolation import ADMIN_KEY, run_contract


def test_isolation_in_process(seeds_pipeline, tmp_path: Path) -> None:
    settings = seeds_pipeline.settings.model_copy(
        update={
            "api_key": SecretStr(ADMIN_KEY),
            "collections_dir": tmp_path / "collections",
            "access_db": tmp_path / "access.sqlite3",
        }
    )
    with TestClient(create_app(settings, pipeline=seeds_pipeline)) as client:
        run_contract(client)


@pytest.mark.slow
def test_isolation_over_real_http(tmp_path: Path, embedder) -> None:
    from tests.conftest import seeds_server

    with (
        seeds_server(tmp_path, embedder, RAG_API_KEY=ADMIN_KEY) as server,
        httpx.Client(base_url=server.url, timeout=120) as client,
    ):
        run_contract(client)
