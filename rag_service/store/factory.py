"""The store a configuration asks for: ``RAG_STORE=faiss`` (files, the default) or ``postgres``.

One ``PostgresStore`` per database and process: its connection pools are shared by the pipeline, ingest
and the API, so a process never holds more than ``RAG_DATABASE_POOL_SIZE`` connections per pool.
The PostgreSQL packages are an extra (``pip install -e '.[postgres]'``) and are imported only here.
"""

from __future__ import annotations

import threading
from typing import Any

from rag_service.config import Settings
from rag_service.errors import ConfigError
from rag_service.store.files import FileStore
from rag_service.store.protocol import IndexStore

_shared: dict[tuple[Any, ...], IndexStore] = {}
_lock = threading.Lock()


def make_store(settings: Settings) -> IndexStore:
    if settings.store == "faiss":
        return FileStore(settings.index_dir)
    assert settings.database_url is not None  # Settings refuses postgres without a URL
    url = settings.database_url.get_secret_value()
    read_url = settings.database_read_url.get_secret_value() if settings.database_read_url else None
    key = (
        url,
        read_url,
        settings.database_timeout,
        settings.database_pool_size,
        settings.database_lexical,
        settings.hnsw_ef_search,
        settings.candidate_pool,
    )
    with _lock:
        if key not in _shared:
            _shared[key] = _postgres(settings, url, read_url)
        return _shared[key]


def _postgres(settings: Settings, url: str, read_url: str | None) -> IndexStore:
    try:
        from rag_service.store.postgres.database import Database
        from rag_service.store.postgres.store import PostgresStore
    except ImportError as exc:
        raise ConfigError(
            f"RAG_STORE=postgres needs the postgres extra ({exc.name} is missing): "
            "pip install -e '.[postgres]'"
        ) from None
    database = Database(
        url,
        read_url,
        timeout=settings.database_timeout,
        pool_size=settings.database_pool_size,
        ef_search=max(settings.hnsw_ef_search, settings.candidate_pool),
    )
    return PostgresStore(database, lexical=settings.database_lexical)
