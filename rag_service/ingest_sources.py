"""Where an ingest finds a collection's document files: its folder (the files store), or the database.

``FolderSources``: the documents folder is the collection. A file removed from it leaves the index at
the next ingest; uploads are put in the folder before the ingest that follows them (``writes``).

``DatabaseSources`` (``RAG_STORE=postgres``): the ``rag_files`` rows are the collection, so every
replica ingests from the same files whatever its own folder holds. The folder is an import source: its
new or changed files are stored with the version the ingest writes (never deleted: another replica's
folder, or an upload, may hold what this one lacks, and an ingest here must not drop it). A document
goes only when it is deleted (``changes.deletes``). Documents of the previous version that have no file
row (indexed before the files moved into the database) are kept as they are, for the same reason.
A stored file is read through a private temporary folder, with the checks a folder's file gets.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from rag_service.documents.files import (
    ReadOptions,
    SkippedFile,
    SourceFile,
    load_document,
    read_inside,
    scan_sources,
)
from rag_service.documents.sidecar import SIDECAR_SUFFIX
from rag_service.errors import DocumentError
from rag_service.models import Document
from rag_service.store.changes import FileChanges, NewFile

if TYPE_CHECKING:
    from rag_service.store.postgres.store import PostgresStore
    from rag_service.store.protocol import IndexStore


class Sources(Protocol):
    keeps_unlisted: bool
    """Whether a document of the previous version that ``scan`` does not list stays in the index."""
    changes: FileChanges
    """File changes to store with the version the ingest writes (always none for a folder)."""

    def scan(self, options: ReadOptions) -> tuple[list[SourceFile], list[SkippedFile]]: ...

    def load(self, source: SourceFile, options: ReadOptions) -> Document: ...


@dataclass
class FolderSources:
    folder: Path
    keeps_unlisted: bool = False
    changes: FileChanges = field(default_factory=FileChanges)

    def scan(self, options: ReadOptions) -> tuple[list[SourceFile], list[SkippedFile]]:
        return scan_sources(self.folder, options)

    def load(self, source: SourceFile, options: ReadOptions) -> Document:
        return load_document(source, options)


class DatabaseSources:
    keeps_unlisted = True

    def __init__(self, store: PostgresStore, folder: Path | None, changes: FileChanges | None = None) -> None:
        self.store = store
        self.folder = folder
        """Imported from (new and changed files only), or None."""
        self.changes = changes or FileChanges()

    def scan(self, options: ReadOptions) -> tuple[list[SourceFile], list[SkippedFile]]:
        stored = self.store.stored_files()
        skipped: list[SkippedFile] = []
        if self.folder is not None and self.folder.is_dir():
            skipped = self._import(stored, options)
        state = options.ocr_state()
        hashes = {name: row.source_hash(state) for name, row in stored.items()}
        for name, new in self.changes.puts.items():
            hashes[name] = new.source_hash(state)
        names = sorted(set(hashes) - self.changes.deletes)
        return [SourceFile(name, Path(name), hashes[name]) for name in names], skipped

    def _import(self, stored: dict, options: ReadOptions) -> list[SkippedFile]:
        """Store the folder's files that are new or differ from their row; the ones it cannot read are
        reported, as an ingest of the folder reports them."""
        assert self.folder is not None
        found, skipped = scan_sources(self.folder, options)
        root = self.folder.resolve()
        for source in found:
            if source.name in self.changes.puts or source.name in self.changes.deletes:
                continue  # this request's own change of that name wins
            try:
                raw = read_inside(source.path, root, options.max_bytes, hardlinks=options.hardlinks)
                side = source.path.with_name(source.name + SIDECAR_SUFFIX)
                sidecar = read_inside(side, root, hardlinks=options.hardlinks) if side.exists() else None
            except DocumentError as exc:
                skipped.append(SkippedFile(source.name, str(exc)))
                continue
            new = NewFile(raw, sidecar)
            row = stored.get(source.name)
            if row is None or new.source_hash("") != row.source_hash(""):
                self.changes.puts[source.name] = new
        return skipped

    def load(self, source: SourceFile, options: ReadOptions) -> Document:
        new = self.changes.puts.get(source.name) or self.store.stored_file(source.name)
        if new is None:
            raise DocumentError(f"{source.name}: deleted while the ingest ran")
        with tempfile.TemporaryDirectory(prefix="rag-file-") as tmp:
            path = Path(tmp) / source.name
            path.write_bytes(new.content)
            if new.sidecar is not None:
                path.with_name(source.name + SIDECAR_SUFFIX).write_bytes(new.sidecar)
            return load_document(SourceFile(source.name, path, source.sha256), options)


@dataclass(frozen=True)
class Staged:
    """Work done before the ingest, by workers (``ingest_jobs``): documents read from the files they
    name at the hash they name (or why they could not be), and the vectors of their texts by
    ``embedding.passages`` keys. The ingest uses a staged document only for a file still at that hash."""

    documents: dict[str, tuple[str, Document | str]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def load(self, name: str, sha256: str) -> Document | None:
        hash_and_result = self.documents.get(name)
        if hash_and_result is None or hash_and_result[0] != sha256:
            return None
        if isinstance(hash_and_result[1], str):
            raise DocumentError(hash_and_result[1])
        return hash_and_result[1]


def sources_for(
    settings_folder: Path,
    store: IndexStore,
    changes: FileChanges | None = None,
    *,
    import_folder: bool = True,
) -> Sources:
    """The sources of ``store``'s collection: its folder for files, its rows for PostgreSQL."""
    if hasattr(store, "stored_files"):
        folder = settings_folder if import_folder else None
        return DatabaseSources(store, folder, changes)  # type: ignore[arg-type]
    if changes:
        raise ValueError("the files store keeps documents in its folder: changes go there first")
    return FolderSources(settings_folder)
