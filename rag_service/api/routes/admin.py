"""``GET /api/health`` and ``POST /api/ingest``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from rag_service.api.callers import authority
from rag_service.api.common import COLLECTION_ERRORS
from rag_service.api.deps import CollectionQuery, PipelineDep, WriterDep, get_pipeline
from rag_service.api.schemas import ErrorResponse, HealthResponse, IngestResponse
from rag_service.budget import Budget
from rag_service.collections.names import DEFAULT
from rag_service.documents.drift import folder_drift
from rag_service.ingest import read_options

router = APIRouter(prefix="/api", tags=["service"], responses=COLLECTION_ERRORS)


@router.get("/health", response_model=HealthResponse, responses={503: {"model": ErrorResponse}})
@router.head("/health", include_in_schema=False)  # probes that only want the status
async def health(request: Request, collection: CollectionQuery = DEFAULT) -> dict[str, Any]:
    """200 with the collection's index statistics once the model and index are loaded; 503 while
    loading or if they cannot be loaded (the detail says why and what to do)."""
    pipeline = await get_pipeline(request, collection)
    index = pipeline.index
    counts = index.manifest.counts
    settings = pipeline.settings
    drift = job = None  # with PostgreSQL the folder only imports: the database's files are the collection
    if settings.store != "postgres":
        drift = await run_in_threadpool(folder_drift, settings.seeds_dir, index, read_options(settings))
    else:
        from rag_service.ingest_jobs import latest_job

        job = await run_in_threadpool(latest_job, pipeline.store)
    return {
        "status": "ok" if drift is None or drift.in_sync else "out_of_date",
        "folder": None if drift is None else drift.as_dict(),
        "documents": counts["documents"],
        "chunks": counts["chunks"],
        "sentences": counts["sentences"],
        "model": pipeline.embedder.name,
        "dimension": pipeline.embedder.dimension,
        "index_version": index.version,
        "index_type": index.manifest.settings.index_type,
        "store": pipeline.settings.store,
        "collection": pipeline.settings.collection,
        "skipped": list(index.manifest.skipped),
        "ingest_job": job,
    }


@router.post(
    "/ingest",
    response_model=IngestResponse,
    responses={code: {"model": ErrorResponse} for code in (401, 403, 404, 422, 503)},
)
async def ingest(caller: WriterDep, pipeline: PipelineDep, request: Request) -> dict[str, Any]:
    """Re-index the seeds folder. Questions keep being answered from the old index until the new one is
    swapped in. Needs a writer key of the collection (``Authorization: Bearer <key>``; ``RAG_API_KEY``
    is one). Stopped, with nothing changed, past ``RAG_WRITE_BUDGET_SECONDS`` (``rag-service ingest``
    has no such limit)."""
    budget = Budget(pipeline.settings.write_budget_seconds, "the ingest")
    report = await run_in_threadpool(lambda: pipeline.ingest(budget=budget))
    await run_in_threadpool(authority(request).audit.record, caller, pipeline.settings.collection, "ingest")
    data = asdict(report)
    data.pop("rebuilt", None)
    return {**data, "summary": report.summary()}
