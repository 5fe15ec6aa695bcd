"""``GET /api/health`` and ``POST /api/ingest``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from rag_service.api.deps import ApiKeyDep, PipelineDep, get_pipeline
from rag_service.api.schemas import ErrorResponse, HealthResponse, IngestResponse

router = APIRouter(prefix="/api", tags=["service"])


@router.get("/health", response_model=HealthResponse, responses={503: {"model": ErrorResponse}})
@router.head("/health", include_in_schema=False)  # probes that only want the status
async def health(request: Request) -> dict[str, Any]:
    """200 with index statistics once the model and index are loaded; 503 while loading or if they
    cannot be loaded (the detail says why and what to do)."""
    pipeline = await get_pipeline(request)
    index = pipeline.index
    counts = index.manifest.counts
    return {
        "status": "ok",
        "documents": counts["documents"],
        "chunks": counts["chunks"],
        "sentences": counts["sentences"],
        "model": pipeline.embedder.name,
        "dimension": pipeline.embedder.dimension,
        "index_version": index.version,
        "index_type": index.manifest.settings.index_type,
        "store": pipeline.settings.store,
        "skipped": list(index.manifest.skipped),
    }


@router.post(
    "/ingest",
    response_model=IngestResponse,
    dependencies=[ApiKeyDep],
    responses={code: {"model": ErrorResponse} for code in (401, 403, 422, 503)},
)
async def ingest(pipeline: PipelineDep) -> dict[str, Any]:
    """Re-index the seeds folder. Questions keep being answered from the old index until the new one is
    swapped in. Needs the API key (``Authorization: Bearer <RAG_API_KEY>``)."""
    report = await run_in_threadpool(pipeline.ingest)
    data = asdict(report)
    data.pop("rebuilt", None)
    return {**data, "summary": report.summary()}
