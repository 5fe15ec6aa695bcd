"""``/api/documents``: the documents folder as a collection: list, inspect, upload, replace, delete.

Uploads and deletions need the API key, like ``POST /api/ingest``. Each one changes the folder and then
runs the same incremental ingest: questions keep being answered from the previous index until the new
one is swapped in, and the reply says what was added, changed, removed and skipped (with reasons). An
upload is checked by extracting it before it is written (``documents.uploads``), so a file the service
cannot read is refused with its reason and never lands in the folder; if no file of a request can be
stored, the answer is 422 and nothing changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from rag_service.api.deps import ApiKeyDep, PipelineDep, SettingsDep
from rag_service.api.schemas import (
    DocumentDetail,
    DocumentList,
    DocumentsChange,
    ErrorResponse,
    PageHighlight,
)
from rag_service.config import Settings
from rag_service.documents.files import SkippedFile, read_inside
from rag_service.documents.formats.pdf_view import locate, render_page
from rag_service.documents.uploads import Accepted, rejected, remove_document, store_upload
from rag_service.errors import DocumentError, InvalidRequestError, NotFoundError
from rag_service.ingest import IngestReport, read_options
from rag_service.models import Document, Region
from rag_service.pipeline import Pipeline

router = APIRouter(prefix="/api", tags=["documents"])
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 503)
}


def _size(settings: Settings, name: str) -> int | None:
    path = settings.seeds_dir / name
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def _summary(doc: Document, pipeline: Pipeline) -> dict[str, Any]:
    structure = doc.structure
    return {
        "name": doc.name,
        "title": doc.meta.title,
        "author": doc.meta.author,
        "type": structure.kind,
        "pages": len(structure.pages) if structure.kind == "pdf" else None,
        "size": _size(pipeline.settings, doc.name),
        "characters": len(doc.text),
        "chunks": pipeline.index.chunks_per_source.get(doc.name, 0),
        "notes": list(structure.notes),
    }


def _regions(regions: tuple[Region, ...]) -> list[dict[str, Any]]:
    return [{"start": r.start, "end": r.end, "label": r.label} for r in regions]


@router.get("/documents", response_model=DocumentList)
async def list_documents(pipeline: PipelineDep, settings: SettingsDep) -> dict[str, Any]:
    """The indexed documents (title, type, pages, size), the folder's files that are not indexed, and
    whether this server accepts uploads (so the chat page shows its management controls or not)."""
    documents = pipeline.index.documents
    return {
        "documents": [_summary(documents[name], pipeline) for name in sorted(documents)],
        "skipped": list(pipeline.index.manifest.skipped),
        "writable": bool(settings.api_key and settings.api_key.get_secret_value()),
    }


def _indexed_pdf(name: str, pipeline: Pipeline) -> Document:
    doc = pipeline.index.documents.get(name)
    if doc is None:
        raise NotFoundError(f"no indexed document is named {name[:200]!r}: GET /api/documents lists them")
    if doc.structure.kind != "pdf":
        raise NotFoundError(
            f"{name} is not a PDF: it has no pages to show; GET /api/sources/{name} has its text"
        )
    return doc


def _pdf_bytes(doc: Document, pipeline: Pipeline) -> bytes:
    settings = pipeline.settings
    max_bytes = read_options(settings).max_bytes
    return read_inside(settings.seeds_dir / doc.name, settings.seeds_dir.resolve(), max_bytes)


_PAGES: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
PAGE_CACHE_SIZE = 32
"""Rendered pages kept per process, by (document, content hash, page): a page is usually opened again
(each citation of it), and rendering means reading and parsing the whole file."""


_PAGES_LOCK = threading.Lock()


def _page_png(doc: Document, number: int, pipeline: Pipeline) -> bytes:
    key = (doc.name, doc.sha256, number)
    with _PAGES_LOCK:
        if key in _PAGES:
            _PAGES.move_to_end(key)
            return _PAGES[key]
    png = render_page(_pdf_bytes(doc, pipeline), doc.name, number)
    with _PAGES_LOCK:
        _PAGES[key] = png
        while len(_PAGES) > PAGE_CACHE_SIZE:
            _PAGES.popitem(last=False)
    return png


PAGE_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse} for code in (404, 422)}


@router.get(
    "/documents/{name:path}/pages/{number}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **PAGE_ERRORS},
)
async def page_image(name: str, number: int, pipeline: PipelineDep) -> Response:
    """Page ``number`` (from 1) of an indexed PDF as a PNG image, for showing a citation on its page."""
    doc = _indexed_pdf(name, pipeline)
    png = await run_in_threadpool(_page_png, doc, number, pipeline)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get(
    "/documents/{name:path}/pages/{number}/highlight", response_model=PageHighlight, responses=PAGE_ERRORS
)
async def page_highlight(
    name: str,
    number: int,
    pipeline: PipelineDep,
    start: Annotated[int, Query(ge=0, description="offset of the cited passage in the document's text")],
    end: Annotated[int, Query(ge=1, description="end offset of the cited passage")],
) -> dict[str, Any]:
    """Where the passage ``[start, end)`` of the document's text lies on page ``number``: rectangles as
    fractions of the page (left, top, right, bottom), to lay over the page image."""
    doc = _indexed_pdf(name, pipeline)
    if not start < end <= len(doc.text):
        raise InvalidRequestError(f"start and end must satisfy 0 <= start < end <= {len(doc.text)}")
    raw = await run_in_threadpool(_pdf_bytes, doc, pipeline)
    found = await run_in_threadpool(locate, raw, name, number, doc.text[start:end])
    return {"width": found.width, "height": found.height, "rects": [list(r) for r in found.rects]}


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
    return {
        **_summary(doc, pipeline),
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


@router.post("/documents", response_model=DocumentsChange, dependencies=[ApiKeyDep], responses=WRITE_ERRORS)
async def upload_documents(
    files: Annotated[
        list[UploadFile],
        File(description="one or more documents (.pdf .docx .odt .epub .html .md .rst .txt)"),
    ],
    pipeline: PipelineDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Add documents, or replace those of the same name, and update the index. Each file is read and
    checked first; those that cannot be read are listed under ``rejected`` with the reason."""
    if len(files) > settings.max_upload_files:
        limit = settings.max_upload_files
        raise InvalidRequestError(
            f"{len(files)} files in one upload; the limit is {limit} (RAG_MAX_UPLOAD_FILES)"
        )
    options = read_options(settings)
    accepted: list[Accepted] = []
    refused: list[SkippedFile] = []
    for upload in files:
        raw_name = upload.filename or ""
        raw = await upload.read(options.max_bytes + 1)
        try:
            stored = await run_in_threadpool(store_upload, settings.seeds_dir, raw_name, raw, options)
        except DocumentError as exc:
            refused.append(rejected(raw_name, exc))
            continue
        finally:
            await upload.close()
        accepted = [a for a in accepted if a.name != stored.name] + [stored]
    if not accepted:
        reasons = "; ".join(r.reason for r in refused) or "the request holds no file"
        raise DocumentError(f"no file was stored: {reasons}")
    report = await run_in_threadpool(pipeline.ingest)
    return _change(report, accepted, refused)


@router.delete(
    "/documents/{name:path}", response_model=DocumentsChange, dependencies=[ApiKeyDep], responses=WRITE_ERRORS
)
async def delete_document(name: str, pipeline: PipelineDep, settings: SettingsDep) -> dict[str, Any]:
    """Delete a document file (and its metadata sidecar) and update the index."""
    await run_in_threadpool(remove_document, settings.seeds_dir, name)
    report = await run_in_threadpool(pipeline.ingest)
    return _change(report, [], [])
