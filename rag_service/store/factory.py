"""The store a configuration asks for: ``RAG_STORE=faiss`` (files, the default) or ``postgres``.

One ``Database`` (connection pools) per database and process, shared by every collection's
``PostgresStore``, the pipeline, ingest, the access tables and the API, so a process never holds more
than ``RAG_DATABASE_POOL_SIZE`` connections per pool however many collections it serves.
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
_databases: dict[tuple[Any, ...], Any] = {}
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
        settings.database_vector_cache,
    )
    with _lock:
        if key not in _databases:
            _databases[key] = _database(settings, url, read_url)
        store_key = (*key, settings.collection)
        if store_key not in _shared:
            from rag_service.store.postgres.store import PostgresStore

            _shared[store_key] = PostgresStore(
                _databases[key],
                lexical=settings.database_lexical,
                collection=settings.collection,
                vector_cache=settings.database_vector_cache,
            )
        return _shared[store_key]


def _database(settings: Settings, url: str, read_url: str | None) -> Any:
    try:
        from rag_service.store.postgres.database import Database
        from rag_service.store.postgres.store import PostgresStore  # noqa: F401 - the extra is complete
    except ImportError as exc:
        raise ConfigError(
            f"RAG_STORE=postgres needs the postgres extra ({exc.name} is missing): "
            "pip install -e '.[postgres]'"
        ) from None
    return Database(
        url,
        read_url,
        timeout=settings.database_timeout,
        pool_size=settings.database_pool_size,
        ef_search=max(settings.hnsw_ef_search, settings.candidate_pool),
    )
