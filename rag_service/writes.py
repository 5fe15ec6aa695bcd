"""Changes to the documents folder made for a client (an upload, a delete, a re-index), each one a
transaction with the index that follows it.

An upload is checked and staged file by file *outside* the writer lock (reading a scan with OCR may take
a minute, and nobody else need wait for that), then, holding the lock, its files are put in place
together and the index is brought up to date. If that ingest is stopped, because it ran past its budget
(``RAG_WRITE_BUDGET_SECONDS``) or because the client went away, or fails, the files are put back as they
were: the folder never holds a file of a refused upload, and the index never holds text that no file
holds. Another write waits for the lock at most its own budget, then gets a clear 503 (``BusyError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from rag_service import database_writes
from rag_service.budget import Budget
from rag_service.documents.files import SkippedFile
from rag_service.documents.uploads import Accepted, UploadBatch, rejected, remove_document, stage_upload
from rag_service.errors import DocumentError
from rag_service.ingest import IngestReport, read_options
from rag_service.pipeline import Pipeline


@dataclass(frozen=True)
class Upload:
    """One file of a request: the name the client gave, its bytes (a file on disk) and their count."""

    name: str
    source: BinaryIO
    size: int


@dataclass(frozen=True)
class UploadResult:
    accepted: list[Accepted]
    refused: list[SkippedFile]
    report: IngestReport


def receive_uploads(pipeline: Pipeline, uploads: Sequence[Upload], budget: Budget) -> UploadResult:
    """Check and store ``uploads``, then update the index; all of the request's good files, or none."""
    if database_writes.in_database(pipeline):
        return UploadResult(*database_writes.receive(pipeline, uploads, budget))
    folder = pipeline.settings.seeds_dir
    options = read_options(pipeline.settings)
    batch = UploadBatch(folder)
    refused: list[SkippedFile] = []
    try:
        for upload in uploads:
            budget.check()
            try:
                batch.add(stage_upload(folder, upload.name, upload.source, upload.size, options))
            except DocumentError as exc:
                refused.append(rejected(upload.name, exc))
        if not batch.staged:
            reasons = "; ".join(r.reason for r in refused) or "the request holds no file"
            raise DocumentError(f"no file was stored: {reasons}")
        with pipeline.writing(wait=max(budget.remaining(), 0.0)):
            accepted = batch.commit()
            try:
                report = pipeline.ingest(budget=budget)
            except BaseException:
                batch.rollback()
                raise
            batch.finish()
    finally:
        batch.discard()
    return UploadResult(accepted, refused, report)


def delete_document(pipeline: Pipeline, name: str) -> IngestReport:
    """Remove one document file (and its sidecar) and update the index."""
    if database_writes.in_database(pipeline):
        return database_writes.delete(pipeline, name)
    with pipeline.writing():
        remove_document(pipeline.settings.seeds_dir, name)
        return pipeline.ingest()
