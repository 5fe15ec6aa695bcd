"""A real PostgreSQL 18 with pgvector for the store tests (``rag_service.store.postgres.local``).

One server per test session; each test gets a database of its own, so tests never see each other's
versions. Tests that kill or restart a server start their own (``LocalPostgres.create()``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from rag_service.config import Settings
from rag_service.store.postgres.database import Database
from rag_service.store.postgres.local import LocalPostgres
from rag_service.store.postgres.store import PostgresStore
from tests.conftest import make_settings
from tests.test_beir import beir_dir  # noqa: F401 - a fixture the retrieval benchmark test uses


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres.create()
    try:
        yield server
    finally:
        server.destroy()


def fresh_database(server: LocalPostgres) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


@pytest.fixture
def database_url(postgres: LocalPostgres) -> str:
    return fresh_database(postgres)


@pytest.fixture
def pg_store(database_url: str) -> Iterator[PostgresStore]:
    store = PostgresStore(Database(database_url, timeout=10))
    try:
        yield store
    finally:
        store.database.close()


def postgres_settings(tmp: Path, url: str, **overrides: object) -> Settings:
    return make_settings(tmp, store="postgres", database_url=SecretStr(url), **overrides)
