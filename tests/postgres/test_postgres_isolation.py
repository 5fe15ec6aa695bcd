"""The isolation contract (``tests/contracts/isolation.py``) with ``RAG_STORE=postgres``: collections,
keys and the audit trail in a real PostgreSQL, in process and through a real uvicorn."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rag_service.api.app import create_app
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from tests.conftest import LiveServer
from tests.contracts.isolation import ADMIN_KEY, run_contract
from tests.postgres.conftest import postgres_settings


def test_isolation_in_process_on_postgres(tmp_path: Path, database_url: str, embedder) -> None:
    settings = postgres_settings(tmp_path, database_url, api_key=SecretStr(ADMIN_KEY))
    ingest_seeds(settings, embedder)
    with TestClient(create_app(settings, pipeline=Pipeline.load(settings, embedder))) as client:
        run_contract(client)
    assert not (tmp_path / "access.sqlite3").exists()  # keys and collections are in the database


@pytest.mark.slow
def test_isolation_over_real_http_on_postgres(tmp_path: Path, database_url: str, embedder) -> None:
    ingest_seeds(postgres_settings(tmp_path, database_url), embedder)
    server = LiveServer(tmp_path, RAG_STORE="postgres", RAG_DATABASE_URL=database_url, RAG_API_KEY=ADMIN_KEY)
    try:
        server.wait_healthy()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            run_contract(client)
    finally:
        server.stop()
