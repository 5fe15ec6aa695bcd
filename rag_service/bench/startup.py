"""What an answering process builds over the whole collection when it starts, as the collection grows
(``rag-service bench --only startup``).

Issue #34 asks that a replica's memory and start-up not grow with the collection. A process serving the
files store (or a PostgreSQL version loaded whole) holds the served version's records (documents,
chunks, sentences) and builds the answerer's per-sentence structures over all of them (line kinds,
neighbours, headings, term IDF: ``answer.layout``); a PostgreSQL replica reading on demand reads the
layout stored with the version instead and no record (``rag-service bench --only replicas``). This
section measures the walk, in a fresh process per size: one synthetic page corpus is ingested
once (real model, files store), and its content is copied K times under other document names (the copies
share their strings, so the records' figure is a lower bound; the answerer's structures are rebuilt
per copy). No vectors are kept: they can stay in the database (``RAG_DATABASE_VECTOR_CACHE``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.bench.ingest_runs import ingest_subprocess, write_pages
from rag_service.bench.report import Report
from rag_service.config import Settings
from rag_service.store.model import IndexContent

COPIES = (1, 10, 60)


def run_startup(report: Report, tmp: Path, sentences: list[str], pages: int, copies: tuple[int, ...]) -> None:
    folder, index = tmp / "startup-pages", tmp / "startup-index"
    write_pages(sentences, folder, pages, per_file=max(1, min(100, pages // 10)))
    ingest_subprocess(folder, index)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_STORE": "faiss"}
    rows = []
    for k in copies:
        command = [sys.executable, "-m", "rag_service.bench.startup", str(folder), str(index), str(k)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"start-up measure failed: {done.stderr[-2000:]}")
        f = json.loads(done.stdout.splitlines()[-1])
        rows.append(
            [
                f"{f['chunks']:,}",
                f"{f['sentences']:,}",
                f"{f['records_mb']:.0f}",
                f"{f['answerer_mb']:.0f}",
                f"{f['answerer_seconds']:.1f}",
                f"{f['rss_mb']:.0f}",
            ]
        )
    report.table(
        f"Start-up structures of an answering process ({pages} synthetic pages copied "
        f"{', '.join(str(k) for k in copies)} times; no vectors)",
        ["chunks", "sentences", "records (MB)", "answerer (MB)", "answerer build (s)", "process RSS (MB)"],
        rows,
    )


def copied(content: IndexContent, copies: int, noise: float | None) -> IndexContent:
    """``content`` ``copies`` times under other document names (``copyNNN-``); the vectors are left out
    when ``noise`` is None, else copied with that much Gaussian noise (renormalised; the first copy
    exact), so that an HNSW index over them is not one of exact duplicates."""
    documents: list[Any] = []
    chunks: list[Any] = []
    sentences: list[Any] = []
    for k in range(copies):
        offset = len(sentences)

        def rename(name: str, k: int = k) -> str:
            return f"copy{k:03d}-{name}"

        documents += [dataclasses.replace(d, name=rename(d.name)) for d in content.documents]
        chunks += [
            dataclasses.replace(
                c,
                id=f"{k}-{c.id}",
                source=rename(c.source),
                sentence_ids=tuple(i + offset for i in c.sentence_ids),
            )
            for c in content.chunks
        ]
        sentences += [dataclasses.replace(s, source=rename(s.source)) for s in content.sentences]
    rng = np.random.default_rng(0)

    def vectors(matrix: np.ndarray) -> np.ndarray:
        if noise is None:
            return np.zeros((0, matrix.shape[1]), dtype=np.float32)
        noisy = [matrix + rng.normal(scale=noise, size=matrix.shape) for _ in range(copies - 1)]
        unit = [part / np.linalg.norm(part, axis=1, keepdims=True).clip(1e-12) for part in noisy]
        return np.concatenate([matrix, *unit]).astype(np.float32)

    return IndexContent(
        tuple(documents),
        tuple(chunks),
        tuple(sentences),
        vectors(content.chunk_vectors),
        vectors(content.sentence_vectors),
        vectors(content.window_vectors),
    )


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(folder: Path, index_dir: Path, copies: int) -> dict[str, Any]:
    """Records and answerer of the index in ``index_dir`` copied ``copies`` times, in this process."""
    from rag_service.answer.extractive import ExtractiveAnswerer
    from rag_service.retrieval.lexical import content_terms
    from rag_service.store.factory import make_store
    from rag_service.store.model import LoadedIndex

    settings = Settings(seeds_dir=folder, index_dir=index_dir, store="faiss")
    loaded = make_store(settings).load()
    base, manifest = loaded.content, loaded.manifest
    del loaded
    before = _rss_mb()
    content = copied(base, copies, None)
    del base
    index = LoadedIndex(content, None, manifest, "v-startup")
    records = _rss_mb()
    started = time.perf_counter()
    answerer = ExtractiveAnswerer.from_settings(index, content_terms, settings)
    seconds = time.perf_counter() - started
    rss = _rss_mb()
    assert answerer is not None
    return {
        "chunks": len(content.chunks),
        "sentences": len(content.sentences),
        "records_mb": records - before,
        "answerer_mb": rss - records,
        "answerer_seconds": seconds,
        "rss_mb": rss,
    }


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))))
