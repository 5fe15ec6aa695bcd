"""``/api/documents/{name}/pages/...``: a PDF page as an image, and where a cited passage lies on it.

Both parse the PDF, so both run in the app's ``RenderPool`` (``app.state.renders``): a flood of page
requests waits there, or is turned away with 503, and never takes the threads that answer questions.
Rendered pages are cached (a page is usually opened again, once per citation of it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from rag_service.api.common import COLLECTION_ERRORS
from rag_service.api.deps import PipelineDep
from rag_service.api.render_pool import RenderPool
from rag_service.api.schemas import ErrorResponse, PageHighlight
from rag_service.documents.files import read_inside
from rag_service.documents.formats.pdf_view import Highlight, locate, render_page
from rag_service.errors import InvalidRequestError, NotFoundError
from rag_service.ingest import read_options
from rag_service.models import Document
from rag_service.pipeline import Pipeline

router = APIRouter(prefix="/api", tags=["documents"], responses=COLLECTION_ERRORS)
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse} for code in (404, 422, 503)}


def _renders(request: Request) -> RenderPool:
    pool: RenderPool = request.app.state.renders
    return pool


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
    if settings.store == "postgres":  # the file is in the database, whichever replica received it
        stored = pipeline.store.stored_file(doc.name)  # type: ignore[attr-defined]
        if stored is None:
            raise NotFoundError(
                f"{doc.name} was indexed before documents were kept in the database, and its file is not "
                "there: ingest it again from its folder (rag-service ingest) to show its pages"
            )
        return bytes(stored.content)
    options = read_options(settings)
    root = settings.seeds_dir.resolve()
    return read_inside(settings.seeds_dir / doc.name, root, options.max_bytes, hardlinks=options.hardlinks)


_PAGES: OrderedDict[tuple[str, str, str, int], bytes] = OrderedDict()
PAGE_CACHE_SIZE = 32
"""Rendered pages kept per process, by (collection, document, content hash, page): a page is usually
opened again (each citation of it), and rendering means reading and parsing the whole file. The
collection is part of the key so that no request can ever be answered from another collection's entry."""


_PAGES_LOCK = threading.Lock()


def _key(doc: Document, number: int, pipeline: Pipeline) -> tuple[str, str, str, int]:
    return (pipeline.settings.collection, doc.name, doc.sha256, number)


def _cached(key: tuple[str, str, str, int]) -> bytes | None:
    with _PAGES_LOCK:
        if key in _PAGES:
            _PAGES.move_to_end(key)
            return _PAGES[key]
    return None


def _page_png(doc: Document, number: int, pipeline: Pipeline) -> bytes:
    key = _key(doc, number, pipeline)
    cached = _cached(key)
    if cached is not None:
        return cached
    png = render_page(_pdf_bytes(doc, pipeline), doc.name, number)
    with _PAGES_LOCK:
        _PAGES[key] = png
        while len(_PAGES) > PAGE_CACHE_SIZE:
            _PAGES.popitem(last=False)
    return png


def _locate(doc: Document, pipeline: Pipeline, number: int, passage: str) -> Highlight:
    return locate(_pdf_bytes(doc, pipeline), doc.name, number, passage)


@router.get(
    "/documents/{name:path}/pages/{number}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **PAGE_ERRORS},
)
async def page_image(name: str, number: int, pipeline: PipelineDep, request: Request) -> Response:
    """Page ``number`` (from 1) of an indexed PDF as a PNG image, for showing a citation on its page."""
    doc = _indexed_pdf(name, pipeline)
    png = _cached(_key(doc, number, pipeline))
    if png is None:
        png = await _renders(request).run(_page_png, doc, number, pipeline)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get(
    "/documents/{name:path}/pages/{number}/highlight", response_model=PageHighlight, responses=PAGE_ERRORS
)
async def page_highlight(
    name: str,
    number: int,
    pipeline: PipelineDep,
    request: Request,
    start: Annotated[int, Query(ge=0, description="offset of the cited passage in the document's text")],
    end: Annotated[int, Query(ge=1, description="end offset of the cited passage")],
) -> dict[str, Any]:
    """Where the passage ``[start, end)`` of the document's text lies on page ``number``: rectangles as
    fractions of the page (left, top, right, bottom), to lay over the page image."""
    doc = _indexed_pdf(name, pipeline)
    if not start < end <= doc.characters:
        raise InvalidRequestError(f"start and end must satisfy 0 <= start < end <= {doc.characters}")
    found = await _renders(request).run(_locate, doc, pipeline, number, doc.text[start:end])
    return {"width": found.width, "height": found.height, "rects": [list(r) for r in found.rects]}
