"""Uploads and deletions with ``RAG_STORE=postgres``: the files go into the database with the index
version built from them, in one transaction (``PostgresStore.write``), whichever replica received them.

Each file is checked as an upload to the folder is (``documents.uploads.read_upload``: name, size,
readability, length; a look-alike of a stored name; the stored metadata sidecar of that name), then the
request's good files are handed to the ingest as ``FileChanges``. Nothing is written anywhere before
that transaction, so a refused, failed or stopped ingest leaves no trace, and nothing lands in the
receiving process's documents folder: another replica lists, shows and deletes the file at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rag_service.budget import Budget
from rag_service.documents.files import SkippedFile
from rag_service.documents.sidecar import fit_sidecar, parse_sidecar
from rag_service.documents.uploads import Accepted, check_look_alike, read_upload, rejected
from rag_service.errors import DocumentError, NotFoundError
from rag_service.ingest import IngestReport, read_options
from rag_service.pipeline import Pipeline
from rag_service.store.changes import FileChanges, NewFile

if TYPE_CHECKING:
    from rag_service.store.postgres.store import PostgresStore
    from rag_service.writes import Upload


def in_database(pipeline: Pipeline) -> bool:
    return hasattr(pipeline.store, "stored_files")


def receive(
    pipeline: Pipeline, uploads: Sequence[Upload], budget: Budget
) -> tuple[list[Accepted], list[SkippedFile], IngestReport]:
    """Check ``uploads`` and index the good ones with their files: all of them, or none."""
    store: PostgresStore = pipeline.store  # type: ignore[assignment]
    options = read_options(pipeline.settings)
    stored = store.stored_files()
    changes = FileChanges()
    refused: list[SkippedFile] = []
    for upload in uploads:
        budget.check()
        try:
            name, raw, text = read_upload(upload.name, upload.source, upload.size, options)
            check_look_alike(name, stored)
            sidecar = store.stored_sidecar(name) if name in stored else None
            fit_sidecar(name, text, parse_sidecar(name, sidecar) if sidecar is not None else {})
        except DocumentError as exc:
            refused.append(rejected(upload.name, exc))
            continue
        changes.puts.pop(name, None)  # a later file of the same name replaces an earlier one
        changes.puts[name] = NewFile(raw, sidecar)
    if not changes:
        reasons = "; ".join(r.reason for r in refused) or "the request holds no file"
        raise DocumentError(f"no file was stored: {reasons}")
    with pipeline.writing(wait=max(budget.remaining(), 0.0)):
        report = pipeline.ingest(budget=budget, changes=changes)
    return [Accepted(name, name in stored) for name in changes.puts], refused, report


def delete(pipeline: Pipeline, name: str) -> IngestReport:
    """Delete document ``name`` (its file and its index entries, in one transaction)."""
    store: PostgresStore = pipeline.store  # type: ignore[assignment]
    with pipeline.writing():
        if name not in store.stored_files() and name not in pipeline.index.documents:
            raise NotFoundError(f"no document file is named {name[:200]!r}: GET /api/documents lists them")
        return pipeline.ingest(changes=FileChanges(deletes={name}))
