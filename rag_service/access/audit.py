"""The audit trail: every write, with when, which key (id and label, never the key), which collection,
what was done and to which document. Readable by admins (``GET /api/audit``, ``rag-service audit``)."""

from __future__ import annotations

import time
from typing import Any

from rag_service.access.database import AccessDB
from rag_service.access.roles import Caller


class Audit:
    def __init__(self, db: AccessDB) -> None:
        self.db = db

    def record(
        self, caller: Caller, collection: str | None, action: str, document: str | None = None
    ) -> None:
        self.db.execute(
            "INSERT INTO rag_audit (at, key_id, label, collection, action, document) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (time.time(), caller.key_id or "-", caller.label, collection, action, document),
        )

    def entries(self, collections: set[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The newest ``limit`` entries, of ``collections`` only when given (an admin of one collection
        sees that collection's entries)."""
        where, params = "", []
        if collections is not None:
            where = "WHERE collection IN (" + ", ".join(["%s"] * len(collections)) + ") "
            params = sorted(collections)
        rows = self.db.execute(
            "SELECT at, key_id, label, collection, action, document FROM rag_audit "
            f"{where}ORDER BY at DESC LIMIT %s",  # only placeholders are formatted in
            (*params, limit),
        )
        keys = ("at", "key_id", "label", "collection", "action", "document")
        return [dict(zip(keys, row, strict=True)) for row in rows]
