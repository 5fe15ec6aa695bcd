"""Document files in the index database (``RAG_STORE=postgres``): one ``rag_files`` row per collection
and name, with the file's bytes and its metadata sidecar.

The rows are the collection's documents: an ingest anywhere starts from them, and any replica lists,
shows (PDF pages) and deletes them, whatever its own documents folder holds. Changes (``FileChanges``:
uploads, deletions, files imported from a folder) are applied by ``PostgresStore.write`` in the
transaction that makes the new index version current, so a file and the index built from it appear
together, and a refused or killed ingest leaves both as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from rag_service.store.changes import FileChanges, NewFile, file_hash, sha256


@dataclass(frozen=True)
class StoredFile:
    """What an ingest compares of a stored file, without its bytes."""

    name: str
    sha256: str
    size: int
    pdf: bool
    sidecar_sha256: str | None

    def source_hash(self, ocr_state: str) -> str:
        """The hash ingest compares with the indexed document's (``changes.file_hash``)."""
        return file_hash(self.sha256, self.pdf, self.sidecar_sha256, ocr_state)


def listing(conn: psycopg.Connection[Any], collection: str) -> dict[str, StoredFile]:
    rows = conn.execute(
        "SELECT name, sha256, size, pdf, CASE WHEN sidecar IS NULL THEN NULL "
        "ELSE encode(sha256(sidecar), 'hex') END FROM rag_files WHERE collection = %s ORDER BY name",
        (collection,),
    ).fetchall()
    return {r[0]: StoredFile(r[0], r[1], int(r[2]), bool(r[3]), r[4]) for r in rows}


def content(conn: psycopg.Connection[Any], collection: str, name: str) -> NewFile | None:
    row = conn.execute(
        "SELECT content, sidecar FROM rag_files WHERE collection = %s AND name = %s", (collection, name)
    ).fetchone()
    return None if row is None else NewFile(bytes(row[0]), None if row[1] is None else bytes(row[1]))


def sidecar(conn: psycopg.Connection[Any], collection: str, name: str) -> bytes | None:
    """A stored file's sidecar alone (an upload replacing it keeps it), without reading its bytes."""
    row = conn.execute(
        "SELECT sidecar FROM rag_files WHERE collection = %s AND name = %s", (collection, name)
    ).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def apply(conn: psycopg.Connection[Any], collection: str, changes: FileChanges) -> None:
    """Store ``changes`` (inside the caller's transaction)."""
    for name in sorted(changes.deletes):
        conn.execute("DELETE FROM rag_files WHERE collection = %s AND name = %s", (collection, name))
    for name, new in sorted(changes.puts.items()):
        conn.execute(
            "INSERT INTO rag_files (collection, name, content, sha256, size, pdf, sidecar) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (collection, name) DO UPDATE SET "
            "content = EXCLUDED.content, sha256 = EXCLUDED.sha256, size = EXCLUDED.size, "
            "pdf = EXCLUDED.pdf, sidecar = EXCLUDED.sidecar, added_at = now()",
            (collection, name, new.content, sha256(new.content), len(new.content), new.pdf, new.sidecar),
        )


def drop(conn: psycopg.Connection[Any], collection: str) -> None:
    conn.execute("DELETE FROM rag_files WHERE collection = %s", (collection,))
