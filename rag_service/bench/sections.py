"""The benchmark sections, run in one process, one after another (nothing else should load the CPU).
The report they fill is ``bench.report``; the servers they start come from ``bench.server``.

1 floor: one query embedding, alone.  2 retrieval and ask in-process on the seeds and SciFact, as ratios
to the floor.  3 HTTP latency and throughput at concurrency 1/8/32 against a real uvicorn.  4 the same
retrieval through LangChain's own path (``InMemoryVectorStore.similarity_search``) with the same model,
vectors and k.  5 full ingest of SciFact (as files, through ``ingest_seeds``) against raw encode
throughput, and re-ingest with nothing / one file changed.  6 the store and BM25 at 100k and 1M chunks.
7 start-up to healthy and peak memory.  Caches are off so every question pays its embedding.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rag_service.bench import scale
from rag_service.bench.loadtest import default_questions, run_load
from rag_service.bench.report import Report
from rag_service.bench.server import ServerProcess
from rag_service.bench.timing import Timing, measure
from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.evaluation.beir import load_beir
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline, make_embedder


def _write_corpus(documents: list[Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        (folder / f"{doc.name}.txt").write_text(doc.text, encoding="utf-8")


def _peer_store(pipeline: Pipeline, embedder: BaseEmbedder) -> Callable[[str, int], object]:
    """LangChain's own retrieval path over the same chunk texts and vectors."""
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    content = pipeline.index.content
    known = {c.text: v.tolist() for c, v in zip(content.chunks, content.chunk_vectors, strict=True)}

    class SameVectors(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [known[t] for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return embedder._encode([text])[0].tolist()

    store = InMemoryVectorStore(SameVectors())
    store.add_texts([c.text for c in content.chunks])
    return lambda q, k: store.similarity_search(q, k=k)


def _in_process(
    report: Report,
    label: str,
    pipeline: Pipeline,
    embedder: BaseEmbedder,
    questions: list[str],
    floor: Timing,
    runs: int,
) -> tuple[Timing, Timing, Timing]:
    params = pipeline.search_params(None)
    retrieval = measure(lambda i: pipeline.retrieve(questions[i % len(questions)]), runs)
    ask = measure(lambda i: pipeline.ask(questions[i % len(questions)]), runs)
    peer_search = _peer_store(pipeline, embedder)
    peer = measure(lambda i: peer_search(questions[i % len(questions)], params.top_k), runs)
    report.table(
        f"In-process on {label} ({len(pipeline.index.content.chunks)} chunks)",
        ["operation", "p50 ms", "p95 ms", "× floor"],
        [
            [name, f"{t.p50:.2f}", f"{t.p95:.2f}", f"{t.p50 / floor.p50:.2f}"]
            for name, t in (
                ("retrieval, hybrid (embed + FAISS + BM25 + RRF)", retrieval),
                ("ask, extractive answer + grounding", ask),
                ("LangChain InMemoryVectorStore.similarity_search (dense only)", peer),
            )
        ],
    )
    return retrieval, ask, peer


def run(settings: Settings, scifact: Path | None, sizes: list[int], runs: int = 200) -> Report:
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
            update={"seeds_dir": tmp / "seeds", "index_dir": tmp / "index", "query_cache_size": 0}
        )
        shutil.copytree(settings.seeds_dir, tmp / "seeds")
        ingest_seeds(seeds_settings, embedder)
        seeds = Pipeline.load(seeds_settings, embedder)
        retrieval, ask, peer = _in_process(report, "the seeds", seeds, embedder, questions, floor, runs)
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
        if scifact is not None:
            _scifact(report, settings, embedder, scifact, tmp, floor, runs)
    _scale(report, settings, sizes)
    return report


def _http(report: Report, tmp: Path, floor: Timing, runs: int) -> None:
    import os

    server = ServerProcess(
        tmp / "seeds", tmp / "index", RAG_INGEST_ON_START="never", RAG_QUERY_CACHE_SIZE="0"
    ).wait_healthy()
    assert server.ready_seconds is not None
    try:
        questions = default_questions()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            latency = measure(
                lambda i: client.post("/api/ask", json={"question": f"{questions[i % len(questions)]} {i}"}),
                runs,
                warmup=20,
            )
        counts = ((1, runs * 3 // 2), (8, runs * 5), (32, runs * 15))  # 300 / 1000 / 3000 at the default 200
        loads = {c: asyncio.run(run_load(server.url, n, c, questions)) for c, n in counts}
        rss = None
    finally:
        rss = server.stop()
    allowed = 1000 / floor.p50
    report.table(
        "HTTP /api/ask over loopback (real uvicorn, one process)",
        ["measure", "value"],
        [
            ["latency at concurrency 1", str(latency)],
            *[
                [
                    f"throughput at concurrency {c} ({r.requests} requests)",
                    f"{r.throughput:.1f} req/s, p50 {np.median(r.latencies_ms):.1f} ms, errors {r.errors}",
                ]
                for c, r in loads.items()
            ],
            [
                "what the floor allows (1000 / floor p50; the floor already uses every core)",
                f"{allowed:.1f} req/s on {os.cpu_count()} cores",
            ],
            ["start-up to /api/health 200 (seeds)", f"{server.ready_seconds:.2f} s"],
            ["peak RSS of the server", f"{rss:.0f} MB" if rss else "n/a"],
        ],
    )
    report.target(
        "HTTP p50 ≤ floor + 3 ms",
        f"≤ {floor.p50 + 3:.2f} ms",
        f"{latency.p50:.2f} ms",
        latency.p50 <= floor.p50 + 3,
    )
    top = loads[32]
    report.target(
        "throughput at concurrency 32 ≥ 80% of what the floor allows, no errors",
        f"≥ {0.8 * allowed:.1f} req/s, 0 errors",
        f"{top.throughput:.1f} req/s, {top.errors} errors",
        top.throughput >= 0.8 * allowed and top.errors == 0,
    )
    report.target(
        "start-up to healthy ≤ 10 s (seeds)",
        "≤ 10 s",
        f"{server.ready_seconds:.2f} s",
        server.ready_seconds <= 10,
    )


def _scifact(
    report: Report,
    settings: Settings,
    embedder: BaseEmbedder,
    folder: Path,
    tmp: Path,
    floor: Timing,
    runs: int,
) -> None:
    documents, queries, qrels = load_beir(folder)
    corpus_settings = settings.model_copy(
        update={"seeds_dir": tmp / "scifact", "index_dir": tmp / "scifact-index", "query_cache_size": 0}
    )
    _write_corpus(documents, corpus_settings.seeds_dir)
    started = time.perf_counter()
    full = ingest_seeds(corpus_settings, embedder, show_progress=False)
    full_seconds = time.perf_counter() - started
    pipeline = Pipeline.load(corpus_settings, embedder)
    chunk_texts = [c.text for c in pipeline.index.content.chunks]
    sample = chunk_texts[:1000]
    started = time.perf_counter()
    embedder.embed_documents(sample)
    raw = len(sample) / (time.perf_counter() - started)
    ingest_rate = full.chunks / full_seconds
    st_rate = _sentence_transformers_rate(settings, sample)
    started = time.perf_counter()
    ingest_seeds(corpus_settings, embedder)
    nothing = time.perf_counter() - started
    first = sorted(corpus_settings.seeds_dir.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n\nAn added closing sentence.", encoding="utf-8")
    started = time.perf_counter()
    one = ingest_seeds(corpus_settings, embedder)
    one_file = time.perf_counter() - started
    report.table(
        f"Ingest of SciFact ({len(documents)} files, {full.chunks} chunks, {full.sentences} sentences)",
        ["measure", "value"],
        [
            [
                "full ingest",
                f"{full_seconds:.1f} s = {ingest_rate:.1f} chunks/s (chunks and sentences embedded)",
            ],
            [
                f"raw encode, configured backend ({settings.embedding_backend}), 1000 chunk texts",
                f"{raw:.1f} chunks/s",
            ],
            ["raw SentenceTransformer.encode (torch), same 1000 chunk texts", f"{st_rate:.1f} chunks/s"],
            ["full ingest / raw encode (configured backend)", f"{ingest_rate / raw:.2f}"],
            ["full ingest / raw SentenceTransformer.encode", f"{ingest_rate / st_rate:.2f}"],
            ["re-ingest, nothing changed", f"{nothing:.2f} s ({100 * nothing / full_seconds:.1f}% of full)"],
            ["re-ingest, one file changed", f"{one_file:.2f} s ({one.embedded} texts embedded)"],
        ],
    )
    report.target(
        "full ingest ≥ 0.9 × raw SentenceTransformer.encode throughput",
        "≥ 0.90",
        f"{ingest_rate / st_rate:.2f}",
        ingest_rate / st_rate >= 0.9,
    )
    report.target(
        "no-change re-ingest ≤ 5% of a full ingest",
        "≤ 5%",
        f"{100 * nothing / full_seconds:.1f}%",
        nothing <= 0.05 * full_seconds,
    )
    scifact_questions = [queries[q] for q in qrels if q in queries]
    retrieval, _, peer = _in_process(report, "SciFact", pipeline, embedder, scifact_questions, floor, runs)
    report.target(
        "retrieval at least as fast as LangChain (SciFact)",
        f"≤ {peer.p50:.2f} ms",
        f"{retrieval.p50:.2f} ms",
        retrieval.p50 <= peer.p50,
    )


def _sentence_transformers_rate(settings: Settings, texts: list[str]) -> float:
    from rag_service.embedding.torch_backend import TorchEmbedder

    torch_embedder = TorchEmbedder(settings.embedding_model, cache_size=0)
    model = torch_embedder._model
    model.encode(texts[:32], batch_size=settings.embedding_batch_size)
    started = time.perf_counter()
    model.encode(texts, batch_size=settings.embedding_batch_size, normalize_embeddings=True)
    return len(texts) / (time.perf_counter() - started)


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
