"""Dependencies: routes read ``pipeline: PipelineDep``, ``settings: SettingsDep`` and, to write,
``caller: WriterDep``. Each takes the ``collection`` query parameter (``default`` when absent, so every
request that worked before collections works the same) and checks the caller's key against it.

The pipeline is loaded by the lifespan in a background thread; until it is ready every route that needs
it answers 503 with ``Retry-After`` (or the load error, which says what to do). Each request first
makes sure the pipeline serves the store's current index version (see ``Pipeline.refresh``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from rag_service.access.roles import Caller, Role
from rag_service.api.callers import authority, caller_of
from rag_service.collections.names import DEFAULT, require_name
from rag_service.collections.pool import CollectionPool
from rag_service.config import Settings
from rag_service.errors import RagError
from rag_service.pipeline import Pipeline


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


CollectionQuery = Annotated[
    str,
    Query(description="the collection to use (`default` when not given): GET /api/collections lists them"),
]


async def get_pipeline(request: Request, collection: CollectionQuery = DEFAULT) -> Pipeline:
    """The pipeline of the collection named by the ``collection`` query parameter, if the caller may
    read it (404 otherwise, as for a collection that does not exist)."""
    return await collection_pipeline(request, collection)


async def collection_pipeline(request: Request, name: str, need: Role = "reader") -> Pipeline:
    """Collection ``name``'s pipeline once the caller is known to hold ``need`` on it, switched to the
    newest index version first if another process (a worker, a CLI ingest) wrote one: checking costs one
    small file read, loading runs off the event loop."""
    name = require_name(name)
    caller = await caller_of(request)
    info = await run_in_threadpool(authority(request).require, caller, name, need)
    default = loaded_pipeline(request)
    pool: CollectionPool = request.app.state.collections
    pipeline = default if name == DEFAULT else pool.loaded(name, info.created_at)
    if pipeline is None:
        pipeline = await run_in_threadpool(pool.get, name, default, info.created_at)
    if not pipeline.is_current():
        await run_in_threadpool(pipeline.refresh)
    return pipeline


def loaded_pipeline(request: Request) -> Pipeline:
    state = request.app.state
    if state.pipeline is not None:
        return state.pipeline
    if state.load_error is not None:
        error: RagError = state.load_error
        raise error
    raise HTTPException(
        503,
        "the service is still loading the model and index; retry in a few seconds",
        headers={"Retry-After": "2"},
    )


async def require_writer(request: Request, collection: CollectionQuery = DEFAULT) -> Caller:
    """Uploading, deleting and ingesting need a writer (or admin) key of the collection."""
    caller = await caller_of(request)
    await run_in_threadpool(authority(request).require, caller, require_name(collection), "writer")
    return caller


SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
WriterDep = Annotated[Caller, Depends(require_writer)]
