"""The FastAPI application factory.

``create_app(settings)`` builds an app whose lifespan loads the embedding model and index once, in a
worker thread, so the server accepts connections at once and ``/api/health`` answers 503 until it is
ready. The same thread first removes what killed uploads left in the folder, and with
``RAG_INGEST_ON_START`` (default ``changed``) builds the index when there is none and updates it when
the folder and the index disagree, so a fresh container becomes ready on its own and a restart finishes
an upload or ingest that a crash interrupted (``missing``: only build a missing index; ``always``;
``never``). Tests
pass a ready ``pipeline`` to skip loading. CPU work (embedding, search) runs in the thread
pool, never on the event loop.

A worker of ``serve --workers N`` is built with ``load_first=True`` instead: its start-up completes only
once the model and index are loaded, so it takes no connection before it can answer. That is what
makes a restart graceful: uvicorn's supervisor starts each replacement and retires the old worker only
when the replacement has started, so no client ever meets a worker that is still loading.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from rag_service import __version__
from rag_service.access.factory import make_authority
from rag_service.api import errors
from rag_service.api.access_log import AccessLog
from rag_service.api.hosts import HostCheck, allowed_hosts
from rag_service.api.limits import BodySizeLimit, ConcurrencyLimit, HeaderLimit, SecurityHeaders
from rag_service.api.memory import cap_mmap_threshold
from rag_service.api.render_pool import RenderPool
from rag_service.api.routes import access, admin, ask, collections, documents, openai_compat, pages, sources
from rag_service.api.upload_gate import UploadGate
from rag_service.collections.pool import CollectionPool
from rag_service.config import Settings, load_settings
from rag_service.documents.drift import folder_drift
from rag_service.documents.uploads import clean_leftovers
from rag_service.errors import (
    ConfigError,
    IndexMismatchError,
    IndexMissingError,
    RagError,
    StoreUnavailableError,
)
from rag_service.ingest import ingest_seeds, read_options
from rag_service.pipeline import Pipeline, make_embedder
from rag_service.store.factory import make_store
from rag_service.store.protocol import IndexStore

log = logging.getLogger("rag_service.api")
STATIC = resources.files("rag_service.api") / "static"


def _has_index(store: IndexStore) -> bool:
    try:
        store.current_version()
    except IndexMissingError:
        return False
    except IndexMismatchError:
        return True  # loading says what is wrong with it
    return True


def _load(app: FastAPI, settings: Settings) -> None:
    try:
        embedder = make_embedder(settings)
        store = make_store(settings)
        for line in clean_leftovers(settings.seeds_dir):
            log.warning("%s", line)
        delay = 1.0
        while True:  # a database that is down at start-up: wait for it, /api/health answers 503 meanwhile
            try:
                when = settings.ingest_on_start
                if when == "always" or (when in ("missing", "changed") and not _has_index(store)):
                    log.info("%s", ingest_seeds(settings, embedder, store=store).summary())
                pipeline = Pipeline.load(settings, embedder, store)
                if when == "changed":
                    _finish_interrupted(pipeline)
                app.state.pipeline = pipeline
                break
            except StoreUnavailableError as exc:
                log.warning("%s; trying again in %.0f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        log.info("ready: %s", app.state.pipeline.index.version)
    except RagError as exc:
        app.state.load_error = exc
        log.error("cannot start answering: %s", exc)
    except Exception as exc:
        log.exception("loading failed")
        app.state.load_error = ConfigError(
            f"the service could not load its model or index ({type(exc).__name__}); see the server log"
        )


def _offline_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with their scripts served from the ``fastapi-offline``
    package: FastAPI's defaults load them from a CDN, so the pages were blank on a machine offline."""
    import fastapi_offline

    assets = resources.files(fastapi_offline) / "static"
    app.mount("/docs-assets", StaticFiles(directory=str(assets)), name="docs-assets")
    title = f"{app.title} - API"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )


def _finish_interrupted(pipeline: Pipeline) -> None:
    """Index what the folder holds if the index disagrees with it (an upload or ingest was killed)."""
    settings = pipeline.settings
    if settings.store == "postgres":
        return  # the files live in the database and change with the index, in one transaction
    drift = folder_drift(settings.seeds_dir, pipeline.index, read_options(settings))
    if drift is not None and not drift.in_sync:
        log.info("the documents folder and the index disagree (%s): indexing", drift.as_dict())
        log.info("%s", pipeline.ingest().summary())


def upload_limit(settings: Settings) -> int:
    """Bytes one ``POST /api/documents`` may send: ``RAG_MAX_UPLOAD_MB``, plus room for the form."""
    return int(settings.max_upload_mb * 1024 * 1024) + 64 * 1024


def create_app(
    settings: Settings | None = None, pipeline: Pipeline | None = None, *, load_first: bool = False
) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = None
        if app.state.pipeline is None and load_first:
            await asyncio.to_thread(_load, app, settings)
        elif app.state.pipeline is None:
            loader = asyncio.create_task(asyncio.to_thread(_load, app, settings))
        yield
        if loader is not None and not loader.done():
            loader.cancel()
        app.state.renders.close()

    app = FastAPI(
        title="rag-service",
        version=__version__,
        summary="Answers from a document collection, with exact citations.",
        lifespan=lifespan,
        docs_url=None,  # served by _offline_docs, from files in the package instead of a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.authority = make_authority(settings)
    app.state.collections = CollectionPool(settings)
    app.state.pipeline = pipeline
    app.state.load_error = None
    app.state.renders = RenderPool(settings.render_threads, settings.max_waiting_renders)
    cap_mmap_threshold()
    errors.install(app)
    # Starlette wraps in reverse order of addition. From the outside in: AccessLog, HeaderLimit,
    # SecurityHeaders, HostCheck, BodySizeLimit, ConcurrencyLimit, CORS, UploadGate. A body is read in
    # full before a concurrency slot is taken, so slow senders hold no slot (see rag_service.api.limits);
    # an upload is not read here at all: it takes a slot, then UploadGate checks its key and streams it.
    app.add_middleware(
        UploadGate,
        settings=settings,
        limit=upload_limit(settings),
        timeout=max(settings.client_timeout, 120.0),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
        )
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrency)
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        timeout=settings.client_timeout,
        upload_limit=upload_limit(settings),
    )
    app.add_middleware(HostCheck, allowed=allowed_hosts(settings))
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeaderLimit, count=settings.max_headers, size=settings.max_header_bytes)
    app.add_middleware(AccessLog)
    routers = (
        ask.router,
        sources.router,
        pages.router,
        documents.router,
        admin.router,
        openai_compat.router,
        collections.router,
        access.router,
    )
    for router in routers:  # pages before documents: its paths are longer forms of /documents/{name}
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _offline_docs(app)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    return app
