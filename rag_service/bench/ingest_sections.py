"""Benchmark sections on ingest: SciFact ingested as files in a fresh process against raw encode
throughput of the same chunk texts, re-ingest with nothing or one file changed, 1,000 synthetic pages
with each ONNX backend, and every backend's query time and encode rate."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_service.bench.documents import run_documents
from rag_service.bench.in_process import in_process
from rag_service.bench.ingest_runs import ingest_subprocess, write_pages
from rag_service.bench.loadtest import default_questions
from rag_service.bench.report import Report
from rag_service.bench.timing import Timing, measure
from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.evaluation.beir import load_beir
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline, make_embedder

PAGES = 1000
"""Synthetic pages of the page-corpus ingest sections."""


def _write_corpus(documents: list[Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        (folder / f"{doc.name}.txt").write_text(doc.text, encoding="utf-8")


def scifact_section(
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
    retrieval, _, peer = in_process(report, "SciFact", pipeline, embedder, scifact_questions, floor, runs)
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
