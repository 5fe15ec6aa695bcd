"""A replica on PostgreSQL with its vectors loaded whole or read on demand (``rag-service bench --only
replicas``).

One synthetic page corpus (``ingest_runs.write_pages``) is ingested into a real PostgreSQL on this
machine; then one ``rag-service serve`` process at a time serves it with ``RAG_DATABASE_VECTOR_CACHE=0``
(the whole version's vectors loaded at start-up, the default) and with a cache of ``ON_DEMAND`` rows
(vectors read as answers need them): start-up to a healthy ``/api/health``, ``/api/ask`` latency at
concurrency 1 over questions made of the corpus' own sentences, and the process's peak memory.

A replica's caches fill as it answers questions it has not seen; fifty timed questions leave them
nearly empty, so a peak measured then says little about a replica that has run for a day. ``fill``
distinct questions are asked first (not timed), so that the peak is of caches that hold what many
answers read; ``caches`` names the row bounds measured, one process each.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import httpx

from rag_service.bench.ingest_runs import ingest_subprocess, write_pages
from rag_service.bench.report import Report
from rag_service.bench.server import ServerProcess
from rag_service.bench.timing import measure
from rag_service.config import Settings

ON_DEMAND = 100_000
"""``RAG_DATABASE_VECTOR_CACHE`` of the on-demand row: the setting's default is 0 (load whole), so the
bench names its own."""
_FORMS = (
    "What is said about {}?",
    "Which passage mentions {}?",
    "Where is it written that {}?",
    "Tell me: {}",
)


def fill_questions(sentences: list[str], count: int) -> list[str]:
    """``count`` distinct questions over ``sentences`` (each sentence in several forms when there are
    fewer sentences than questions), none of them among the timed ones."""
    tails = [s.split(" ", 3)[-1][:80] for s in sentences]
    asked = [form.format(tail) for form in _FORMS for tail in tails]
    return list(dict.fromkeys(asked))[:count]


def run_replicas(
    report: Report,
    settings: Settings,
    tmp: Path,
    sentences: list[str],
    pages: int,
    runs: int,
    copies: int = 1,
    on_demand_only: bool = False,
    caches: tuple[int, ...] = (ON_DEMAND,),
    fill: int = 0,
) -> None:
    from rag_service.store.postgres.local import LocalPostgres

    folder = tmp / "replica-pages"
    write_pages(sentences, folder, pages, per_file=max(1, min(100, pages // 10)))
    questions = [
        f"What is said about {s.split(' ', 6)[-1][:60]}?" for s in sentences[:: max(1, len(sentences) // 50)]
    ]
    server = LocalPostgres.create(None, shared_buffers="'1GB'")
    rows = []
    try:
        url = server.url()
        ingest_subprocess(folder, tmp / "replica-index", RAG_STORE="postgres", RAG_DATABASE_URL=url)
        chunks = _multiply(settings, url, copies)
        modes = [("whole version loaded (cache 0)", "0")] * (not on_demand_only)
        modes += [(f"read on demand (cache {n:,})", str(n)) for n in caches]
        filling = fill_questions(sentences, fill)
        for label, cache in modes:
            process = ServerProcess(
                folder,
                tmp / "replica-index",
                log_path=tmp / "replica.log",
                RAG_STORE="postgres",
                RAG_DATABASE_URL=url,
                RAG_INGEST_ON_START="never",
                RAG_QUERY_CACHE_SIZE="0",
                RAG_DATABASE_VECTOR_CACHE=cache,
                RAG_DATABASE_TIMEOUT="60",  # cold BM25 in SQL takes seconds at 1M chunks: measured, not 503
            )
            try:
                process.wait_healthy(300)
                with httpx.Client(base_url=process.url, timeout=60) as client:
                    for question in filling:  # not timed: caches filled as a day of questions fills them
                        client.post("/api/ask", json={"question": question}).raise_for_status()

                    stages: list[dict[str, float]] = []

                    def ask(i: int, client: httpx.Client = client, stages: list = stages) -> object:
                        response = client.post("/api/ask", json={"question": questions[i % len(questions)]})
                        response.raise_for_status()
                        stages.append(response.json()["timings_ms"])
                        return response

                    latency = measure(ask, runs)
            finally:
                peak = process.stop()
            rows.append(
                [
                    label,
                    f"{process.ready_seconds:.2f}",
                    f"{latency.p50:.2f}",
                    f"{latency.p95:.2f}",
                    f"{peak:.0f}",
                    stage_medians(stages[-runs:]),
                ]
            )
    finally:
        server.destroy()
    report.table(
        f"A replica on PostgreSQL ({chunks:,} chunks from {pages:,} synthetic pages"
        + (f" copied {copies} times" if copies > 1 else "")
        + "; one process, database on the same cores"
        + (f"; {len(filling):,} other questions asked first, untimed, to fill the caches" if filling else "")
        + ")",
        [
            "vectors",
            "start-up to healthy (s)",
            "/api/ask p50 (ms)",
            "p95 (ms)",
            "peak RSS (MB)",
            "in the process, p50 (ms)",
        ],
        rows,
    )


def stage_medians(timings: list[dict[str, float]]) -> str:
    """Each stage's median over the answers' ``timings_ms`` (where a question's time goes inside the
    process: the rest of the latency is HTTP and the client)."""
    names = dict.fromkeys(name for t in timings for name in t)
    return ", ".join(f"{name} {statistics.median(t.get(name, 0.0) for t in timings):.1f}" for name in names)


def _multiply(settings: Settings, url: str, copies: int) -> int:
    """Replace the ingested version by ``copies`` copies of it (``copies.write_copies``: other document
    names, vectors with a little noise, streamed copy by copy); returns its chunks."""
    from pydantic import SecretStr

    from rag_service.bench.copies import write_copies
    from rag_service.store.factory import make_store
    from rag_service.store.postgres.store import PostgresStore

    store = make_store(settings.model_copy(update={"store": "postgres", "database_url": SecretStr(url)}))
    assert isinstance(store, PostgresStore)
    with store.writer():  # inside it a load reads everything, vectors included
        loaded = store.load()
        if copies > 1:
            return write_copies(store, loaded, copies, 0.01)
    return len(loaded.content.chunks)
