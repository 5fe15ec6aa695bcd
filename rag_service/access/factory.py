"""The access database a configuration asks for: SQLite beside the index files, or the index's
PostgreSQL database (``RAG_STORE=postgres``), so that every replica sees the same keys."""

from __future__ import annotations

from rag_service.access.authority import Authority
from rag_service.access.database import AccessDB, SqliteAccess
from rag_service.config import Settings


def access_db(settings: Settings) -> AccessDB:
    if settings.store == "postgres":
        from rag_service.access.postgres import PostgresAccess

        return PostgresAccess(settings)
    return SqliteAccess(settings.access_db or settings.index_dir.parent / "access.sqlite3")


def make_authority(settings: Settings) -> Authority:
    return Authority(settings, access_db(settings))
