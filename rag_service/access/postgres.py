"""The access tables in the index's PostgreSQL database, through the store's own connection pools.

Changes go to the primary; lookups (a key's row, a collection's visibility, on every request) take the
store's read path, which fails at once while the database is known to be down and goes to
``RAG_DATABASE_READ_URL`` when one is set: a key revoked on the primary is refused there as soon as the
replica has replayed the change (streaming replication lags by milliseconds; a replica that lags more
delays a revocation by as much). An outage is the store's ``StoreUnavailableError`` (503), with no URL
or password in it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from rag_service.access.database import TABLES
from rag_service.config import Settings

ACCESS_DDL_LOCK = 7_261_003
"""Advisory lock held while creating the access tables (two replicas starting together)."""


class PostgresAccess:
    def __init__(self, settings: Settings) -> None:
        from rag_service.store.factory import make_store

        self.database = make_store(settings).database  # type: ignore[attr-defined]
        self._ready = False
        self._lock = threading.Lock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if not self._ready:
            self._create_tables()
        if sql.lstrip().upper().startswith("SELECT"):
            # The read path: once the database is found gone, requests fail at once (503) instead of
            # each waiting out the pool's timeout, as questions do.
            return self.database.read(lambda conn: list(conn.execute(sql, tuple(params)).fetchall()))
        with self.database.connection(write=True) as conn, conn.transaction():
            cursor = conn.execute(sql, tuple(params))
            return list(cursor.fetchall()) if cursor.description else []

    def _create_tables(self) -> None:
        with self._lock, self.database.connection(write=True) as conn, conn.transaction():
            if self._ready:
                return
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ACCESS_DDL_LOCK,))  # one creator at a time
            for table in TABLES:
                conn.execute(table)  # trusted constant DDL; IF NOT EXISTS
            self._ready = True
