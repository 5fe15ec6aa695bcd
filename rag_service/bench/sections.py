"""The benchmark sections, run in one process, one after another (nothing else should load the CPU).
The report they fill is ``bench.report``; the servers they start come from ``bench.server``.

1 floor: one query embedding, alone.  2 retrieval and ask in-process on the seeds and SciFact, as ratios
to the floor.  3 HTTP latency and throughput at concurrency 1/8/32 against a real uvicorn, as one
process and with one worker per core, with start-up to healthy and peak memory.  4 the same retrieval
through LangChain's own path (``InMemoryVectorStore.similarity_search``) with the same model, vectors
and k.  5 full ingest of SciFact (as files, ``rag-service ingest`` in a fresh process) against raw
encode throughput of the same chunk texts, its peak memory, and re-ingest with nothing / one file
changed.  6 ingest of 1,000 synthetic pages with each ONNX backend, and every backend's query time and
encode throughput.  7 reading documents: extraction throughput of each format and OCR, and the ingest of
a 300-page PDF (``bench.documents``).  8 the store and BM25 at 100k and 1M chunks.  Caches are off so
every question pays its embedding.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rag_service.bench import scale
from rag_service.bench.documents import run_documents
from rag_service.bench.ingest_runs import ingest_subprocess, write_pages
from rag_service.bench.loadtest import LoadResult, default_questions, run_load
from rag_service.bench.reader import reader_section
from rag_service.bench.report import Report
from rag_service.bench.server import ServerProcess
from rag_service.bench.timing import Timing, measure
from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.evaluation.beir import load_beir
from rag_service.evaluation.metrics import percentile
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline, make_embedder

PAGES = 1000
"""Synthetic pages of the page-corpus ingest sections."""


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


def run(
    settings: Settings,
    scifact: Path | None,
    sizes: list[int],
    runs: int = 200,
    pdf_pages: int = 300,
    store_pages: int = PAGES,
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
        reader_section(report, tmp, runs)
        if scifact is not None:
            _scifact(report, settings, embedder, scifact, tmp, floor, runs, pdf_pages)
        else:
            run_documents(report, bench_sentences(settings, seeds), tmp, pdf_pages)
        _scale(report, settings, sizes)
        sentences = bench_sentences(settings, seeds)
        postgres_section(report, seeds_settings, tmp, runs, sizes[-1:], sentences, store_pages)
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


def _scifact(
    report: Report,
    settings: Settings,
    embedder: BaseEmbedder,
    folder: Path,
    tmp: Path,
    floor: Timing,
    runs: int,
    pdf_pages: int,
) -> None:
    documents, queries, qrels = load_beir(folder)
    corpus_settings = settings.model_copy(
        update={
            "seeds_dir": tmp / "scifact",
            "index_dir": tmp / "scifact-index",
            "query_cache_size": 0,
            "store": "faiss",
        }
    )
    _write_corpus(documents, corpus_settings.seeds_dir)
    full = ingest_subprocess(corpus_settings.seeds_dir, corpus_settings.index_dir)
    pipeline = Pipeline.load(corpus_settings, embedder)
    chunk_texts = [c.text for c in pipeline.index.content.chunks]
    sample = random.Random(3).sample(chunk_texts, min(2000, len(chunk_texts)))
    raw = _encode_rate(embedder, sample)
    ingest_rate = full.chunks / full.seconds
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
        f"Ingest of SciFact ({len(documents)} files, {full.chunks} chunks, "
        f"{len(pipeline.index.content.sentences)} sentences)",
        ["measure", "value"],
        [
            [
                "full ingest (`rag-service ingest`, a fresh process: start, model load, chunks, sentences, "
                "windows, BM25, FAISS, write)",
                f"{full.seconds:.1f} s = {ingest_rate:.1f} chunks/s",
            ],
            ["peak RSS of that ingest", f"{full.peak_mb:.0f} MB"],
            [
                f"raw encode, configured backend ({settings.embedding_backend}), {len(sample)} chunk texts "
                "drawn at random",
                f"{raw:.1f} chunks/s",
            ],
            ["raw SentenceTransformer.encode (torch), same chunk texts", f"{st_rate:.1f} chunks/s"],
            ["full ingest / raw encode (configured backend)", f"{ingest_rate / raw:.2f}"],
            ["full ingest / raw SentenceTransformer.encode", f"{ingest_rate / st_rate:.2f}"],
            ["re-ingest, nothing changed", f"{nothing:.2f} s ({100 * nothing / full.seconds:.1f}% of full)"],
            ["re-ingest, one file changed", f"{one_file:.2f} s ({one.embedded} texts embedded)"],
        ],
    )
    report.target(
        "full ingest ≥ 0.9 × raw encode of the same chunk texts (configured backend)",
        "≥ 0.90",
        f"{ingest_rate / raw:.2f}",
        ingest_rate / raw >= 0.9,
    )
    report.target(
        "peak ingest RSS ≤ 1 GB (SciFact)", "≤ 1024 MB", f"{full.peak_mb:.0f} MB", full.peak_mb <= 1024
    )
    full_seconds = full.seconds
    report.target(
        "no-change re-ingest ≤ 5% of a full ingest",
        "≤ 5%",
        f"{100 * nothing / full_seconds:.1f}%",
        nothing <= 0.05 * full_seconds,
    )
    _pages(report, settings, [s.text for s in pipeline.index.content.sentences], tmp)
    run_documents(report, bench_sentences(settings, pipeline), tmp, pdf_pages)
    _backends(report, settings, sample)
    scifact_questions = [queries[q] for q in qrels if q in queries]
    retrieval, _, peer = _in_process(report, "SciFact", pipeline, embedder, scifact_questions, floor, runs)
    report.target(
        "retrieval at least as fast as LangChain (SciFact)",
        f"≤ {peer.p50:.2f} ms",
        f"{retrieval.p50:.2f} ms",
        retrieval.p50 <= peer.p50,
    )


def bench_sentences(settings: Settings, pipeline: Pipeline | None) -> list[str]:
    """The sentences synthetic documents are made of: an index's (SciFact's in the full run), or the
    seed documents' when there is no index at hand."""
    if pipeline is not None:
        return [s.text for s in pipeline.index.content.sentences]
    from rag_service.documents.chunking import make_splitter, split_document
    from rag_service.documents.files import load_document, scan_sources

    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    sentences = []
    for source in scan_sources(settings.seeds_dir)[0]:
        sentences += [s.text for s in split_document(load_document(source), splitter)[1]]
    return sentences


def _pages(report: Report, settings: Settings, sentences: list[str], tmp: Path) -> None:
    """A 1,000-page corpus (SciFact sentences in a seeded random order, 100 pages a file), ingested by
    each ONNX backend in a fresh process: time and peak memory."""
    folder = tmp / "pages"
    characters = write_pages(sentences, folder, PAGES)
    rows, peaks = [], []
    for backend in ("onnx", "onnx-int8"):
        run = ingest_subprocess(folder, tmp / f"pages-index-{backend}", RAG_EMBEDDING_BACKEND=backend)
        peaks.append(run.peak_mb)
        rows.append(
            [
                backend,
                f"{run.chunks}",
                f"{run.seconds:.1f}",
                f"{run.chunks / run.seconds:.1f}",
                f"{run.peak_mb:.0f}",
            ]
        )
    report.table(
        f"Ingest of {PAGES:,} synthetic pages ({characters / 1e6:.1f} M characters in {PAGES // 100} files)",
        ["backend", "chunks", "seconds", "chunks/s", "peak RSS MB"],
        rows,
    )
    report.target(
        f"peak ingest RSS ≤ 1 GB ({PAGES:,} pages, every backend)",
        "≤ 1024 MB",
        f"{max(peaks):.0f} MB",
        max(peaks) <= 1024,
    )


def _backends(report: Report, settings: Settings, sample: list[str]) -> None:
    """Query embedding time and raw encode throughput of every backend, on the same texts."""
    questions = default_questions()
    rows = []
    for backend in ("onnx", "onnx-int8", "torch"):
        embedder = make_embedder(
            settings.model_copy(update={"embedding_backend": backend, "query_cache_size": 0})
        )
        query = measure(_query_call(embedder, questions), 200, warmup=20)
        rate = _encode_rate(embedder, sample[:500])
        rows.append([backend, f"{query.p50:.2f}", f"{query.p95:.2f}", f"{rate:.1f}"])
    report.table(
        "Embedding backends (same weights; SciFact nDCG@10 of each in docs/scifact-retrieval*.json)",
        ["backend", "query p50 ms", "query p95 ms", "raw encode chunks/s (500 SciFact chunks)"],
        rows,
    )


def _query_call(embedder: BaseEmbedder, questions: list[str]) -> Callable[[int], object]:
    return lambda i: embedder._encode([questions[i % len(questions)]])


def _encode_rate(embedder: BaseEmbedder, texts: list[str]) -> float:
    embedder.embed_documents(texts[:16])
    started = time.perf_counter()
    embedder.embed_documents(texts)
    return len(texts) / (time.perf_counter() - started)


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
