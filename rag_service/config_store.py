"""The settings of where the index and the service's records are kept: the index store (files or
PostgreSQL), the collections and the access database (keys, audit trail). The second group of
``rag_service.config.Settings``, after the documents' (``config_documents``); apart so that ``config.py``
stays one screenful per role."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from rag_service.config_documents import DocumentSettings


class StoreSettings(DocumentSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=None, extra="ignore")

    # Where the index lives: files with FAISS (nothing to start), or PostgreSQL with pgvector.
    store: Literal["faiss", "postgres"] = Field(
        "faiss",
        description="where the index lives: `faiss` (versioned files in `RAG_INDEX_DIR`) or `postgres` "
        "(PostgreSQL with pgvector at `RAG_DATABASE_URL`; needs the `postgres` extra)",
    )
    database_url: SecretStr | None = Field(
        None,
        description="the PostgreSQL primary, `postgresql://user:password@host:5432/db` (secret: never "
        "logged or shown)",
    )
    database_read_url: SecretStr | None = Field(
        None,
        description="a streaming replica for queries; writes still go to `RAG_DATABASE_URL` (secret like it)",
    )
    database_timeout: float = Field(
        5.0,
        gt=0,
        le=600,
        description="seconds to connect, to wait for a pooled connection, or to run a query before 503",
    )
    database_pool_size: int = Field(
        8, ge=1, le=256, description="connections per pool (reads, writes) per process"
    )
    database_lexical: Literal["process", "sql"] = Field(
        "sql",
        description="the lexical half of hybrid search with postgres: `sql` (BM25 over postings kept in "
        "the database, written at ingest and fetched for the question's terms) or `process` (BM25 over "
        "the chunk texts in each process); both rank identically",
    )

    database_vector_cache: int = Field(
        0,
        ge=0,
        le=100_000_000,
        description="with postgres: 0 (default) loads the served version whole at start-up (records, "
        "texts and vectors); N reads chunks, sentences, their vectors and document texts from the "
        "database as answers need them, keeping the N most recently used rows of each kind (a vector is "
        "1,536 bytes at 384 dimensions) and 32M characters of text: a replica's memory and start-up stop "
        'growing with the collection, answers take a few round trips more (measured in "Past one machine")',
    )

    # Collections, and who may read and write them.
    collection: str = Field(
        "default",
        description="the collection the CLI works on (`--collection`); the API takes it per request",
    )
    collections_dir: Path | None = Field(
        None,
        description="folder holding one folder per collection other than `default` (its `documents` and "
        "`index`); unset: `collections` beside `RAG_INDEX_DIR`",
    )
    max_open_collections: int = Field(
        0,
        ge=0,
        description="collections besides `default` kept loaded per process; beyond it the least recently "
        "asked is unloaded and loaded again on its next request (a collection of 1,000 chunks holds about "
        "30 MB); 0: no limit",
    )
    access_db: Path | None = Field(
        None,
        description="SQLite file of the collections list, API keys (hashed) and the audit trail, with "
        "`RAG_STORE=faiss`; unset: `access.sqlite3` beside `RAG_INDEX_DIR` (PostgreSQL keeps them in "
        "its own tables)",
    )

    @model_validator(mode="after")
    def _check_store(self) -> StoreSettings:
        if self.store == "postgres" and not (self.database_url and self.database_url.get_secret_value()):
            raise ValueError("RAG_STORE=postgres needs RAG_DATABASE_URL (postgresql://user:pass@host/db)")
        return self
