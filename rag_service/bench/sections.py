"""The benchmark's order: its sections, run in one process, one after another (nothing else should
load the CPU). The report they fill is ``bench.report``; the servers they start come from
``bench.server``; sections 2 and 4 are ``bench.in_process``, 5 and 6 ``bench.ingest_sections``, the
reader's ``bench.reader``, the database's ``bench.postgres``.

1 floor: one query embedding, alone.  2 retrieval and ask in-process on the seeds and SciFact, as ratios
to the floor.  3 HTTP latency and throughput at concurrency 1/8/32 against a real uvicorn, as one
process and with one worker per core, with start-up to healthy and peak memory.  4 the same retrieval
through LangChain's own path (``InMemoryVectorStore.similarity_search``) with the same model, vectors
and k.  5 full ingest of SciFact (as files, ``rag-service ingest`` in a fresh process) against raw
encode throughput of the same chunk texts, its peak memory, and re-ingest with nothing / one file
changed.  6 ingest of 1,000 synthetic pages with each ONNX backend, and every backend's query time and
encode throughput.  7 reading documents: extraction throughput of each format and OCR, and the ingest of
a 300-page PDF (``bench.documents``).  8 the store and BM25 at 100k and 1M chunks.  9 PostgreSQL
(``bench.postgres``).  10 one service with 100 collections (``bench.collections``).  Caches are off so
every question pays its embedding.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import httpx
import numpy as np

from rag_service.bench import scale
from rag_service.bench.documents import run_documents
from rag_service.bench.in_process import in_process
from rag_service.bench.ingest_sections import PAGES, bench_sentences, scifact_section
from rag_service.bench.loadtest import LoadResult, default_questions, run_load
from rag_service.bench.reader import reader_section
from rag_service.bench.report import Report
from rag_service.bench.server import ServerProcess
from rag_service.bench.timing import Timing, measure
from rag_service.config import Settings
from rag_service.evaluation.metrics import percentile
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline, make_embedder


def run(
    settings: Settings,
    scifact: Path | None,
    sizes: list[int],
    runs: int = 200,
    pdf_pages: int = 300,
    store_pages: int = PAGES,
    collections: tuple[int, int] = (100, 175),
) -> Report:
    report = Report()
    embedder = make_embedder(settings.model_copy(update={"query_cache_size": 0}))
    questions = default_questions()
    floor = measure(lambda i: embedder._encode([questions[i % len(questions)]]), runs, warmup=20)
    report.table(
        "Floor",
        ["what", "p50 ms", "p95 ms"],
        [
            [
                f"one query embedding ({settings.embedding_backend}, {embedder.name})",
                f"{floor.p50:.2f}",
                f"{floor.p95:.2f}",
            ]
        ],
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        seeds_settings = settings.model_copy(
            update={
                "seeds_dir": tmp / "seeds",
                "index_dir": tmp / "index",
                "query_cache_size": 0,
                "store": "faiss",  # throw-away indexes; the postgres section makes its own database
            }
        )
        shutil.copytree(settings.seeds_dir, tmp / "seeds")
        ingest_seeds(seeds_settings, embedder)
        seeds = Pipeline.load(seeds_settings, embedder)
        retrieval, ask, peer = in_process(report, "the seeds", seeds, embedder, questions, floor, runs)
        report.target(
            "ask p50 ≤ 1.5 × floor (seeds)",
            f"≤ {1.5 * floor.p50:.2f} ms",
            f"{ask.p50:.2f} ms",
            ask.p50 <= 1.5 * floor.p50,
        )
        report.target(
            "retrieval at least as fast as LangChain (seeds)",
            f"≤ {peer.p50:.2f} ms",
            f"{retrieval.p50:.2f} ms",
            retrieval.p50 <= peer.p50,
        )
        _http(report, tmp, floor, runs)
        reader_section(report, tmp, runs)
        if scifact is not None:
            scifact_section(report, settings, embedder, scifact, tmp, floor, runs, pdf_pages)
        else:
            run_documents(report, bench_sentences(settings, seeds), tmp, pdf_pages)
        _scale(report, settings, sizes)
        sentences = bench_sentences(settings, seeds)
        postgres_section(report, seeds_settings, tmp, runs, sizes[-1:], sentences, store_pages)
        from rag_service.bench.collections import run_collections

        run_collections(report, seeds_settings, tmp / "collections", runs, sentences, *collections)
    return report


def postgres_section(
    report: Report,
    settings: Settings,
    tmp: Path,
    runs: int,
    sizes: list[int],
    sentences: list[str],
    pages: int = PAGES,
) -> None:
    """The PostgreSQL store (``bench.postgres``), over the seeds folder of ``settings`` in ``tmp``."""
    from rag_service.bench.postgres import run_postgres

    run_postgres(report, settings, tmp, runs, sizes, sentences, _serve_and_load, pages)


def _serve_and_load(
    tmp: Path, runs: int, workers: int, **env: str
) -> tuple[Timing, dict[int, LoadResult], ServerProcess]:
    settings = {
        "RAG_INGEST_ON_START": "never",
        "RAG_QUERY_CACHE_SIZE": "0",
        "RAG_WORKERS": str(workers),
        **env,
    }
    server = ServerProcess(tmp / "seeds", tmp / "index", log_path=None, port=None, **settings).wait_healthy()
    questions = default_questions()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            latency = measure(
                lambda i: client.post("/api/ask", json={"question": f"{questions[i % len(questions)]} {i}"}),
                runs,
                warmup=20,
            )
        counts = ((1, runs * 3 // 2), (8, runs * 5), (32, runs * 15))  # 300 / 1000 / 3000 at the default 200
        loads = {c: asyncio.run(run_load(server.url, n, c, questions)) for c, n in counts}
    finally:
        server.stop()
    return latency, loads, server


def _http(report: Report, tmp: Path, floor: Timing, runs: int) -> None:
    import os

    cores = os.cpu_count() or 1
    runs_by_workers = {w: _serve_and_load(tmp, runs, w) for w in sorted({1, cores})}
    allowed = 1000 / floor.p50
    rows: list[list[str]] = []
    for workers, (latency, loads, server) in runs_by_workers.items():
        label = "one process" if workers == 1 else f"{workers} worker processes"
        rows.append([f"**{label}**: latency at concurrency 1", str(latency)])
        rows += [
            [
                f"{label}: throughput at concurrency {c} ({r.requests} requests)",
                f"{r.throughput:.1f} req/s, p50 {np.median(r.latencies_ms):.1f} ms, "
                f"p99 {percentile(r.latencies_ms, 99):.1f} ms, errors {r.errors}",
            ]
            for c, r in loads.items()
        ]
        rows.append([f"{label}: start-up to /api/health 200 (seeds)", f"{server.ready_seconds:.2f} s"])
        peak = server.peak_mb
        rows.append([f"{label}: peak RSS of the server (all processes)", f"{peak:.0f} MB" if peak else "n/a"])
    rows.append(
        [
            "what the floor allows (1000 / floor p50; the floor already uses every core)",
            f"{allowed:.1f} req/s on {cores} cores",
        ]
    )
    report.table("HTTP /api/ask over loopback (real uvicorn)", ["measure", "value"], rows)
    single_latency, _, single = runs_by_workers[1]
    latency, loads, server = runs_by_workers[cores]
    report.target(
        "HTTP p50 ≤ floor + 3 ms (one process, concurrency 1)",
        f"≤ {floor.p50 + 3:.2f} ms",
        f"{single_latency.p50:.2f} ms",
        single_latency.p50 <= floor.p50 + 3,
    )
    top = loads[32]
    report.target(
        f"throughput at concurrency 32 ≥ 80% of what the floor allows, no errors ({cores} workers)",
        f"≥ {0.8 * allowed:.1f} req/s, 0 errors",
        f"{top.throughput:.1f} req/s, {top.errors} errors",
        top.throughput >= 0.8 * allowed and top.errors == 0,
    )
    slowest = max(single.ready_seconds or 0.0, server.ready_seconds or 0.0)
    report.target("start-up to healthy ≤ 10 s (seeds)", "≤ 10 s", f"{slowest:.2f} s", slowest <= 10)


def _scale(report: Report, settings: Settings, sizes: list[int]) -> None:
    rows = []
    for size in sizes:
        for row in [*scale.vector_rows(size, settings.hnsw_m, settings.hnsw_ef_search), scale.bm25_row(size)]:
            rows.append(row)
            print(f"  scale {row.kind} {row.size}: {row.latency}", flush=True)
    report.table(
        "Scale (synthetic 384-d vectors and texts)",
        ["index", "chunks", "build s", "bytes / chunk", "search p50 ms", "p95 ms", "recall@10 vs exact"],
        [
            [
                r.kind,
                f"{r.size:,}",
                f"{r.build_seconds:.1f}",
                "–" if np.isnan(r.bytes_per_chunk) else f"{r.bytes_per_chunk:.0f}",
                f"{r.latency.p50:.2f}",
                f"{r.latency.p95:.2f}",
                "–" if r.recall_at_10 is None else f"{r.recall_at_10:.3f}",
            ]
            for r in rows
        ],
    )
    largest = [r for r in rows if r.kind == "hnsw" and r.size == max(sizes)]
    if largest:
        r = largest[0]
        report.target(
            f"{r.size:,} chunks: retrieval p50 ≤ 20 ms with recall@10 ≥ 0.95 (HNSW)",
            "≤ 20 ms, ≥ 0.95",
            f"{r.latency.p50:.2f} ms, {r.recall_at_10:.3f}",
            r.latency.p50 <= 20 and (r.recall_at_10 or 0) >= 0.95,
        )
