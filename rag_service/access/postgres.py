"""The access tables in the index's PostgreSQL database, through the store's own connection pools.

Everything goes to the primary: a key revoked a moment ago must be refused by every replica at once,
which a lagging read replica could not promise. An outage is the store's ``StoreUnavailableError``
(503), with no URL or password in it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from rag_service.access.database import TABLES
from rag_service.config import Settings

ACCESS_DDL_LOCK = 7_261_002
"""Advisory lock held while creating the access tables (two replicas starting together)."""


class PostgresAccess:
    def __init__(self, settings: Settings) -> None:
        from rag_service.store.factory import make_store

        self.database = make_store(settings).database  # type: ignore[attr-defined]
        self._ready = False
        self._lock = threading.Lock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.database.connection(write=True) as conn, conn.transaction():
            if not self._ready:
                with self._lock:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (ACCESS_DDL_LOCK,))  # one creator
                    for table in TABLES:
                        conn.execute(table)  # trusted constant DDL; IF NOT EXISTS
                    self._ready = True
            cursor = conn.execute(sql, tuple(params))
            return list(cursor.fetchall()) if cursor.description else []
