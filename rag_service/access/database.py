"""Where the collections list, the API keys and the audit trail are kept.

``AccessDB`` is one method: run one statement, in its own transaction, and return its rows. Both
implementations take the same SQL (``%s`` placeholders, ``INSERT ... ON CONFLICT DO NOTHING
RETURNING``, which SQLite has had since 3.35), so the tables and every query are written once:

* ``SqliteAccess`` (``RAG_STORE=faiss``): one file, ``RAG_ACCESS_DB``. It is created by the first
  write only: a service that never makes a collection or a key leaves no file behind and behaves as it
  always did. Several server processes share it (WAL journal, a busy timeout).
* ``PostgresAccess`` (``rag_service.access.postgres``): the same tables in the index database.

Times are Unix seconds (float) in both, so that no date type differs between them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from rag_service.errors import StoreUnavailableError

TABLES = (
    """CREATE TABLE IF NOT EXISTS rag_collections (
        name text PRIMARY KEY, visibility text NOT NULL, created_at double precision NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rag_api_keys (
        id text PRIMARY KEY, label text NOT NULL, role text NOT NULL, collection text,
        salt text NOT NULL, hash text NOT NULL, created_at double precision NOT NULL,
        expires_at double precision, revoked_at double precision)""",
    """CREATE TABLE IF NOT EXISTS rag_audit (
        at double precision NOT NULL, key_id text NOT NULL, label text NOT NULL, collection text,
        action text NOT NULL, document text)""",
)


class AccessDB(Protocol):
    """One statement, one transaction: the rows it returns (empty for statements without rows).
    A database that cannot be reached raises ``StoreUnavailableError``."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class SqliteAccess:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        writes = not sql.lstrip().upper().startswith("SELECT")
        if not writes and not self.path.exists():
            return []  # nothing was ever written: no collection but the default one, no key
        try:
            conn = self._connect(create=writes)
            try:
                with conn:  # commits, or rolls back on an error
                    return conn.execute(sql.replace("%s", "?"), tuple(params)).fetchall()
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailableError(
                f"the access database {self.path.name} cannot be used ({exc}): retry shortly"
            ) from None

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        if create and not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    for table in TABLES:
                        conn.execute(table)
                    conn.commit()
                finally:
                    conn.close()
                self._ready = True
        conn = sqlite3.connect(self.path, timeout=10)
        if not self._ready:  # a file another process created: its tables may still be coming
            for table in TABLES:
                conn.execute(table)
            self._ready = True
        return conn
