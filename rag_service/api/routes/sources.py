"""``GET /api/sources`` and ``GET /api/sources/{name}``: the indexed documents, for showing a citation in
its context. Names are looked up in the index, never joined to a path, so ``../`` tricks cannot reach
the file system: anything that is not an indexed document's name is a 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rag_service.api.common import COLLECTION_ERRORS
from rag_service.api.deps import PipelineDep
from rag_service.api.schemas import ErrorResponse, SourceOut, SourceText
from rag_service.errors import NotFoundError
from rag_service.models import Document

router = APIRouter(prefix="/api", tags=["sources"], responses=COLLECTION_ERRORS)


def _summary(doc: Document, chunks: int) -> dict[str, Any]:
    return {
        "name": doc.name,
        **doc.meta.as_dict(),
        "sections": [
            {"name": s.name, "start": s.start, "end": s.end, "voice": s.voice} for s in doc.sections
        ],
        "characters": doc.characters,
        "chunks": chunks,
    }


@router.get("/sources", response_model=list[SourceOut])
async def list_sources(pipeline: PipelineDep) -> list[dict[str, Any]]:
    """The indexed documents with their metadata and sections."""
    counts = pipeline.index.chunks_per_source
    return [_summary(doc, counts.get(name, 0)) for name, doc in sorted(pipeline.index.documents.items())]


@router.get("/sources/{name:path}", response_model=SourceText, responses={404: {"model": ErrorResponse}})
async def get_source(name: str, pipeline: PipelineDep) -> dict[str, Any]:
    """One document's full text, exactly as indexed (citation offsets index into ``text``)."""
    doc = pipeline.index.documents.get(name)
    if doc is None:
        raise NotFoundError(f"no indexed document is named {name[:200]!r}: GET /api/sources lists them")
    return {**_summary(doc, pipeline.index.chunks_per_source.get(name, 0)), "text": doc.text}
