"""The collections list: each collection's name and visibility.

``default`` always exists: it is public until an admin makes it private, and it cannot be deleted (it
is what ``RAG_SEEDS_DIR`` and ``RAG_INDEX_DIR`` describe). Every other collection exists once created.
Deleting a collection here is the first step of deleting it (``rag_service.collections.manage``): from
then on no request finds it, and its documents and index go next. A folder a crash left behind is
removed when a collection of that name is created again, so a new collection never starts with an old
one's documents.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, get_args

from rag_service.access.database import AccessDB
from rag_service.collections.names import DEFAULT, require_name
from rag_service.errors import ConflictError, InvalidRequestError

Visibility = Literal["public", "private"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    visibility: Visibility
    created_at: float | None

    @property
    def public(self) -> bool:
        return self.visibility == "public"


def require_visibility(value: str) -> Visibility:
    if value not in VISIBILITIES:
        raise InvalidRequestError(f"visibility {value[:40]!r} is not one of {', '.join(VISIBILITIES)}")
    return value


class Registry:
    def __init__(self, db: AccessDB) -> None:
        self.db = db

    def list(self) -> list[CollectionInfo]:
        rows = self.db.execute("SELECT name, visibility, created_at FROM rag_collections ORDER BY name")
        found = [CollectionInfo(*row) for row in rows]
        if not any(c.name == DEFAULT for c in found):
            found.insert(0, CollectionInfo(DEFAULT, "public", None))
        return found

    def get(self, name: str) -> CollectionInfo | None:
        rows = self.db.execute(
            "SELECT name, visibility, created_at FROM rag_collections WHERE name = %s", (name,)
        )
        if rows:
            return CollectionInfo(*rows[0])
        return CollectionInfo(DEFAULT, "public", None) if name == DEFAULT else None

    def create(self, name: str, visibility: str = "private") -> CollectionInfo:
        name, visibility = require_name(name), require_visibility(visibility)
        rows = self.db.execute(
            "INSERT INTO rag_collections (name, visibility, created_at) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING name",
            (name, visibility, time.time()),
        )
        if name == DEFAULT or not rows:
            raise ConflictError(f"a collection named {name!r} exists already: choose another name")
        info = self.get(name)
        assert info is not None
        return info

    def set_visibility(self, name: str, visibility: str) -> CollectionInfo:
        visibility = require_visibility(visibility)
        if name == DEFAULT:
            self.db.execute(
                "INSERT INTO rag_collections (name, visibility, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (name) DO UPDATE SET visibility = excluded.visibility",
                (name, visibility, time.time()),
            )
        else:
            self.db.execute("UPDATE rag_collections SET visibility = %s WHERE name = %s", (visibility, name))
        info = self.get(name)
        assert info is not None
        return info

    def delete(self, name: str) -> None:
        if name == DEFAULT:
            raise ConflictError("the default collection cannot be deleted: delete its documents instead")
        self.db.execute("DELETE FROM rag_collections WHERE name = %s", (name,))
