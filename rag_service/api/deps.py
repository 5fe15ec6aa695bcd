"""Dependencies: routes read ``pipeline: PipelineDep`` and ``settings: SettingsDep``.

The pipeline is loaded by the lifespan in a background thread; until it is ready every route that needs
it answers 503 with ``Retry-After`` (or the load error, which says what to do). Each request first
makes sure the pipeline serves the store's current index version (see ``Pipeline.refresh``).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from rag_service.config import Settings
from rag_service.errors import RagError
from rag_service.pipeline import Pipeline


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_pipeline(request: Request) -> Pipeline:
    """The loaded pipeline, switched to the newest index version first if another process (a worker, a
    CLI ingest) wrote one: checking costs one small file read, loading runs off the event loop."""
    pipeline = loaded_pipeline(request)
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


def key_problem(settings: Settings, authorization: str | None, x_api_key: str | None) -> HTTPException | None:
    """Why a request's key does not allow a write (403: writes disabled, 401: missing or wrong), or None.
    Shared by the dependency and ``UploadGate``, which must decide before reading the body."""
    if settings.api_key is None or not settings.api_key.get_secret_value():
        return HTTPException(403, "this endpoint is disabled: set RAG_API_KEY on the server to enable it")
    given = x_api_key
    if given is None and authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    expected = settings.api_key.get_secret_value()
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        return HTTPException(
            401,
            "missing or wrong API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None


def require_api_key(
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> None:
    """Write endpoints need ``RAG_API_KEY``; with none configured they are disabled outright."""
    problem = key_problem(settings, authorization, x_api_key)
    if problem is not None:
        raise problem


SettingsDep = Annotated[Settings, Depends(get_settings)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
ApiKeyDep = Depends(require_api_key)
