"""Scale: the vector store and BM25 at 100k and 1M chunks, on synthetic data.

Vectors: unit-length 384-d points with low intrinsic dimension (a random 32-d Gaussian latent mapped
into 384-d, plus small noise), like sentence embeddings, whose neighbourhoods are meaningful; i.i.d.
noise in 384 dimensions would make every neighbour equidistant and recall meaningless. Queries are
perturbed corpus points. Recall@10 is measured against exact search (the flat index). Texts for BM25 are
20-word strings from a 20k-word Zipf vocabulary. Both index types go through ``store.build_faiss``, the
code ingest uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from rag_service.bench.timing import Timing, measure
from rag_service.retrieval.lexical import LexicalIndex
from rag_service.store.files import build_faiss

DIMENSION = 384
LATENT = 32


@dataclass(frozen=True)
class ScaleRow:
    kind: str
    size: int
    build_seconds: float
    bytes_per_chunk: float
    latency: Timing
    recall_at_10: float | None


def synthetic_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((LATENT, DIMENSION)).astype(np.float32)
    out = np.empty((n, DIMENSION), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = rng.standard_normal((stop - start, LATENT)).astype(np.float32) @ basis
        block += 0.5 * rng.standard_normal(block.shape).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def queries_near(vectors: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = vectors[rng.integers(0, len(vectors), count)] + 0.03 * rng.standard_normal(
        (count, DIMENSION)
    ).astype(np.float32)
    return picked / np.linalg.norm(picked, axis=1, keepdims=True)


def synthetic_texts(n: int, seed: int = 2) -> list[str]:
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(20_000)])
    ranks = np.minimum(rng.zipf(1.3, size=(n, 20)) - 1, len(vocabulary) - 1)
    return [" ".join(row) for row in vocabulary[ranks]]


def vector_rows(size: int, hnsw_m: int, ef_search: int, runs: int = 200) -> list[ScaleRow]:
    vectors = synthetic_vectors(size)
    queries = queries_near(vectors, runs + 20)
    rows = []
    truth: np.ndarray | None = None
    for kind in ("flat", "hnsw"):
        started = time.perf_counter()
        index = build_faiss(vectors, kind, hnsw_m)
        build = time.perf_counter() - started
        if kind == "hnsw":
            hnsw: Any = faiss.downcast_index(index)
            hnsw.hnsw.efSearch = ef_search
        size_bytes = len(faiss.serialize_index(index))
        found: list[np.ndarray] = []

        def search(i: int, index: faiss.Index = index, found: list[np.ndarray] = found) -> None:
            ids = index.search(queries[i : i + 1], 10)[1][0]
            if i >= 20:
                found.append(ids)

        latency = measure(search, runs, warmup=20)
        result = np.array(found)
        if truth is None:
            truth = result
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(result, truth, strict=True)]))
        rows.append(ScaleRow(kind, size, build, size_bytes / size, latency, recall))
        del index
    return rows


def bm25_row(size: int, runs: int = 100) -> ScaleRow:
    texts = synthetic_texts(size)
    started = time.perf_counter()
    lexical = LexicalIndex(texts)
    build = time.perf_counter() - started
    queries = [" ".join(t.split()[:4]) for t in synthetic_texts(runs + 10, seed=3)]
    latency = measure(lambda i: lexical.search(queries[i], 50), runs, warmup=10)
    del texts
    return ScaleRow("bm25", size, build, float("nan"), latency, None)
