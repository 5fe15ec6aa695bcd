"""``/api/documents``: the documents folder as a collection: list, inspect, upload, replace, delete.

Uploads and deletions need the API key, like ``POST /api/ingest``. Each one changes the folder and then
runs the same incremental ingest: questions keep being answered from the previous index until the new
one is swapped in, and the reply says what was added, changed, removed and skipped (with reasons). An
upload is checked by extracting it before it is written (``documents.uploads``), so a file the service
cannot read is refused with its reason and never lands in the folder; if no file of a request can be
stored, the answer is 422 and nothing changes (``rag_service.writes`` has the whole transaction). Page
images and highlights of PDFs are in ``routes.pages``.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from rag_service import writes
from rag_service.access.roles import Caller
from rag_service.api.callers import authority, caller_of
from rag_service.api.common import COLLECTION_ERRORS
from rag_service.api.deps import PipelineDep, SettingsDep, WriterDep
from rag_service.api.memory import release_memory
from rag_service.api.schemas import DocumentDetail, DocumentList, DocumentsChange, ErrorResponse
from rag_service.budget import Budget
from rag_service.config import Settings
from rag_service.documents.files import SkippedFile
from rag_service.documents.uploads import Accepted
from rag_service.errors import InvalidRequestError, NotFoundError
from rag_service.ingest import IngestReport
from rag_service.models import Document, Region
from rag_service.pipeline import Pipeline
from rag_service.writes import Upload, receive_uploads

router = APIRouter(prefix="/api", tags=["documents"], responses=COLLECTION_ERRORS)
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 503)
}


def _sizes(pipeline: Pipeline) -> dict[str, int]:
    """Byte sizes of the stored files (one query) with PostgreSQL; empty for a folder."""
    if pipeline.settings.store != "postgres":
        return {}
    return {name: row.size for name, row in pipeline.store.stored_files().items()}  # type: ignore[attr-defined]


def _size(settings: Settings, name: str) -> int | None:
    path = settings.seeds_dir / name
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def _summary(doc: Document, pipeline: Pipeline, sizes: dict[str, int]) -> dict[str, Any]:
    structure = doc.structure
    return {
        "name": doc.name,
        "title": doc.meta.title,
        "author": doc.meta.author,
        "type": structure.kind,
        "pages": len(structure.pages) if structure.kind == "pdf" else None,
        "size": sizes.get(doc.name) if sizes else _size(pipeline.settings, doc.name),
        "characters": doc.characters,
        "chunks": pipeline.index.chunks_per_source.get(doc.name, 0),
        "notes": list(structure.notes),
    }


def _regions(regions: tuple[Region, ...]) -> list[dict[str, Any]]:
    return [{"start": r.start, "end": r.end, "label": r.label} for r in regions]


@router.get("/documents", response_model=DocumentList)
async def list_documents(pipeline: PipelineDep, request: Request) -> dict[str, Any]:
    """The collection's indexed documents (title, type, pages, size), its folder's files that are not
    indexed, and whether this server accepts uploads (so the chat page shows its management controls)."""
    documents = pipeline.index.documents
    writable = await run_in_threadpool(authority(request).writes_enabled)
    caller = await caller_of(request)
    sizes = await run_in_threadpool(_sizes, pipeline)
    return {
        "documents": [_summary(documents[name], pipeline, sizes) for name in sorted(documents)],
        "skipped": list(pipeline.index.manifest.skipped),
        "writable": writable,
        "may_write": caller.may("writer", pipeline.settings.collection),
    }


@router.get(
    "/documents/{name:path}", response_model=DocumentDetail, responses={404: {"model": ErrorResponse}}
)
async def get_document(name: str, pipeline: PipelineDep) -> dict[str, Any]:
    """One indexed document with its structure map: pages, heading paths and tables as offsets into the
    text that ``GET /api/sources/{name}`` returns."""
    doc = pipeline.index.documents.get(name)
    if doc is None:
        raise NotFoundError(f"no indexed document is named {name[:200]!r}: GET /api/documents lists them")
    structure = doc.structure
    sizes = await run_in_threadpool(_sizes, pipeline)
    return {
        **_summary(doc, pipeline, sizes),
        "headings": _regions(structure.headings),
        "page_regions": _regions(structure.pages),
        "tables": _regions(structure.tables),
    }


def _change(report: IngestReport, accepted: list[Accepted], refused: list[SkippedFile]) -> dict[str, Any]:
    data = asdict(report)
    data.pop("rebuilt", None)
    return {
        **data,
        "summary": report.summary(),
        "uploaded": [{"name": a.name, "replaced": a.replaced} for a in accepted],
        "rejected": [asdict(r) for r in refused],
    }


@router.post("/documents", response_model=DocumentsChange, responses=WRITE_ERRORS)
async def upload_documents(
    request: Request,
    caller: WriterDep,
    files: Annotated[
        list[UploadFile],
        File(description="one or more documents (.pdf .docx .odt .epub .html .md .rst .txt)"),
    ],
    pipeline: PipelineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Add documents, or replace those of the same name, and update the index. Each file is read and
    checked first; those that cannot be read are listed under ``rejected`` with the reason. The good
    files land together or not at all: if the index cannot take them within the write budget
    (``RAG_WRITE_BUDGET_SECONDS``), or the client goes away first, the folder is put back as it was."""
    if len(files) > settings.max_upload_files:
        limit = settings.max_upload_files
        raise InvalidRequestError(
            f"{len(files)} files in one upload; the limit is {limit} (RAG_MAX_UPLOAD_FILES)"
        )
    gone = asyncio.Event()
    watcher = asyncio.create_task(_watch_client(request, gone))
    budget = Budget(settings.write_budget_seconds, "the upload's indexing", cancelled=gone.is_set)
    uploads = [Upload(u.filename or "", u.file, u.size or 0) for u in files]
    try:
        result = await run_in_threadpool(receive_uploads, pipeline, uploads, budget)
    finally:
        watcher.cancel()
        for upload in files:
            await upload.close()
        release_memory()
    for accepted in result.accepted:
        await _audit(request, caller, pipeline, "replace" if accepted.replaced else "upload", accepted.name)
    return _change(result.report, result.accepted, result.refused)


async def _audit(request: Request, caller: Caller, pipeline: Pipeline, action: str, document: str) -> None:
    await run_in_threadpool(
        authority(request).audit.record, caller, pipeline.settings.collection, action, document
    )


async def _watch_client(request: Request, gone: asyncio.Event) -> None:
    """Set ``gone`` once the client has disconnected: nobody is left to want the upload's result."""
    while not await request.is_disconnected():
        await asyncio.sleep(0.25)
    gone.set()


@router.delete("/documents/{name:path}", response_model=DocumentsChange, responses=WRITE_ERRORS)
async def delete_document(
    name: str, caller: WriterDep, pipeline: PipelineDep, request: Request
) -> dict[str, Any]:
    """Delete a document file (and its metadata sidecar) and update the index."""
    report = await run_in_threadpool(writes.delete_document, pipeline, name)
    await _audit(request, caller, pipeline, "delete", name)
    return _change(report, [], [])
