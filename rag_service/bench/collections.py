"""Collections at scale in ``rag-service bench`` (``--only collections`` runs this part alone).

One collection of about 1,000 chunks (synthetic pages made of the seed or SciFact sentences, ingested
for real: chunks, sentences and their vectors), then the same service with 100 collections of that size
beside it, for each store (files; PostgreSQL 18 with pgvector started for the run on the same machine).
The 100 copies are written straight into each collection's store (the content is the same; each is its
own version, folder or partition), which takes minutes instead of the hours 100 ingests would.

Measured against a real uvicorn (one process, ``RAG_INGEST_ON_START=never``, no query cache):
``/api/ask`` latency at concurrency 1 with the questions spread over every collection, after each
collection has answered once (so every collection's index is loaded, as on a busy service), the
server's peak memory, and its start-up to healthy. The target: p50 with 100 collections within 1.5x of
one collection's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from rag_service.bench.ingest_runs import write_pages
from rag_service.bench.loadtest import default_questions
from rag_service.bench.report import Report
from rag_service.bench.server import ServerProcess
from rag_service.bench.timing import Timing, measure
from rag_service.config import Settings
from rag_service.store.model import LoadedIndex

COLLECTIONS = 100
PAGES = 175
"""About 1,000 chunks at the default chunk size (3,000-character pages)."""


def run_collections(
    report: Report,
    settings: Settings,
    tmp: Path,
    runs: int,
    sentences: list[str],
    count: int = COLLECTIONS,
    pages: int = PAGES,
) -> None:
    from pydantic import SecretStr

    from rag_service.bench.postgres import SERVER_SETTINGS, _database
    from rag_service.embedding.factory import make_embedder
    from rag_service.ingest import ingest_seeds
    from rag_service.store.files import FileStore
    from rag_service.store.postgres.local import LocalPostgres

    tmp.mkdir(parents=True, exist_ok=True)
    write_pages(sentences, tmp / "pages", pages, per_file=10)
    one = settings.model_copy(
        update={"seeds_dir": tmp / "pages", "index_dir": tmp / "one-index", "store": "faiss"}
    )
    ingest_seeds(one, make_embedder(settings))
    index = FileStore(one.index_dir).load()
    rows: list[list[str]] = []
    targets: list[tuple[str, float, float]] = []
    server = LocalPostgres.create(None, **SERVER_SETTINGS)
    try:
        for store in ("faiss", "postgres"):
            env: dict[str, str] = {}
            if store == "postgres":
                env = {"RAG_STORE": "postgres"}
            single, many = None, None
            for extra in (0, count):
                root = tmp / f"{store}-{extra}"
                local = settings.model_copy(
                    update={
                        "seeds_dir": root / "seeds",
                        "index_dir": root / "index",
                        "collections_dir": root / "collections",
                        "access_db": root / "access.sqlite3",
                        "store": store,
                    }
                )
                if store == "postgres":
                    url = _database(server, f"bench_collections_{extra}")
                    local = local.model_copy(update={"database_url": SecretStr(url)})
                    env["RAG_DATABASE_URL"] = url
                started = time.perf_counter()
                names = _populate(local, index, extra)
                written = time.perf_counter() - started
                latency, process = _serve(root, names, runs, env)
                rows.append(
                    [
                        store,
                        f"{len(names)} × {len(index.content.chunks):,} chunks",
                        f"{written:.0f}",
                        f"{process.ready_seconds:.1f}",
                        f"{latency.p50:.1f}",
                        f"{latency.p95:.1f}",
                        f"{process.peak_mb:.0f}",
                    ]
                )
                single, many = (latency, many) if extra == 0 else (single, latency)
            assert single is not None and many is not None
            targets.append((store, single.p50, many.p50))
    finally:
        server.destroy()
    report.table(
        f"Collections: one service with 1 and with {count + 1} collections (`/api/ask` at "
        "concurrency 1, questions spread over every collection, each loaded)",
        ["store", "collections", "written s", "start-up s", "p50 ms", "p95 ms", "peak RSS MB"],
        rows,
    )
    for store, single_p50, many_p50 in targets:
        report.target(
            f"ask p50 with {count} more collections ({store})",
            "≤ 1.5× one collection's",
            f"{many_p50:.1f} ms vs {single_p50:.1f} ms ({many_p50 / single_p50:.2f}×)",
            many_p50 <= 1.5 * single_p50,
        )


def _populate(settings: Settings, index: LoadedIndex, count: int) -> list[str]:
    """The default collection and ``count`` public ones, each holding ``index``'s content as its own
    version; returns their names."""
    from rag_service.access.factory import make_authority
    from rag_service.collections.manage import create_collection
    from rag_service.collections.names import for_collection
    from rag_service.store.factory import make_store

    settings.seeds_dir.mkdir(parents=True, exist_ok=True)
    authority = make_authority(settings)
    names = ["default"]
    for n in range(count):
        names.append(create_collection(authority, settings, f"c{n:03d}", "public").name)
    for name in names:
        store = make_store(for_collection(settings, name))
        with store.writer():
            store.write(index.content, index.manifest.settings)
    return names


def _serve(root: Path, names: list[str], runs: int, env: dict[str, Any]) -> tuple[Timing, ServerProcess]:
    settings = {"RAG_INGEST_ON_START": "never", "RAG_QUERY_CACHE_SIZE": "0", **env}
    server = ServerProcess(root / "seeds", root / "index", **settings).wait_healthy()
    questions = default_questions()
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for name in names:  # every collection loaded once, as on a service where all are in use
                assert (
                    client.post("/api/ask", json={"question": questions[0], "collection": name}).status_code
                    == 200
                )

            def ask(i: int) -> None:
                body = {
                    "question": f"{questions[i % len(questions)]} {i}",
                    "collection": names[i % len(names)],
                }
                client.post("/api/ask", json=body).raise_for_status()

            latency = measure(ask, runs, warmup=20)
    finally:
        server.stop()
    return latency, server
