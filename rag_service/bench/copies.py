"""A version made of K copies of an ingested one, streamed into PostgreSQL (``bench --only replicas
--copies K``): how a replica behaves at a million chunks without embedding a million chunks.

Each copy's documents get other names (``copyNNN-``), its vectors a little Gaussian noise (the first
copy exact; an HNSW index over exact duplicates would not be a realistic one). Rows are generated copy
by copy and streamed through the store's own writers (``write.copy_rows``, ``build_indexes``,
``write_statistics``), so memory stays that of one copy whatever K is; what readers would otherwise
compute over the whole version is derived from the ingested version's: word counts over sentences
times K, and its answerer layout tiled (``tiled``), which equals the layout computed over the copies
(tested).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from rag_service.answer.layout import HEADING_OFFSET, SentenceLayout, with_layout
from rag_service.answer.row_links import RowLinks, RowRuns
from rag_service.retrieval.lexical import sentence_frequencies
from rag_service.store.model import LoadedIndex, Manifest
from rag_service.store.postgres.store import PostgresStore
from rag_service.store.postgres.write import (
    build_indexes,
    copy_rows,
    insert_version,
    point_at,
    write_statistics,
)


def renamed(name: str, k: int) -> str:
    return f"copy{k:03d}-{name}"


def write_copies(store: PostgresStore, loaded: LoadedIndex, copies: int, noise: float) -> int:
    """Write ``copies`` copies of ``loaded`` (read whole) as the store's current version; returns its
    chunks."""
    content, settings = loaded.content, loaded.manifest.settings
    sizes = {
        "documents": len(content.documents),
        "chunks": len(content.chunks),
        "sentences": len(content.sentences),
    }
    manifest = Manifest(
        settings=settings,
        sources={renamed(d.name, k): d.sha256 for k in range(copies) for d in content.documents},
        counts={kind: n * copies for kind, n in sizes.items()},
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    layout = tiled(with_layout(loaded).sentence_layout, copies, len(content.window_vectors))
    counted = sentence_frequencies(s.text for s in content.sentences)
    name = f"v-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-copies{copies}"
    with store.database.connection(write=True) as conn, conn.transaction():
        version_id = insert_version(conn, name, manifest, store.collection)
        copy_rows(
            conn,
            version_id,
            (
                dataclasses.replace(d, name=renamed(d.name, k))
                for k in range(copies)
                for d in content.documents
            ),
            _chunks(loaded, copies, noise),
            _sentences(loaded, copies, noise),
            (v for k in range(copies) for v in _noisy(content.window_vectors, k, noise)),
        )
        build_indexes(conn, version_id, sizes["chunks"] * copies, settings)
        texts = (c.text for _ in range(copies) for c in content.chunks)
        df = {term: n * copies for term, n in counted.items()}
        write_statistics(conn, version_id, texts, df, sizes["sentences"] * copies, layout)
        point_at(conn, version_id, store.collection)
    return sizes["chunks"] * copies


def tiled(layout: SentenceLayout, copies: int, windows: int) -> SentenceLayout:
    """The layout of ``copies`` copies of a version whose layout is ``layout`` (``windows`` windows):
    each copy's rows follow the previous copy's, so every row it names moves by one copy's count."""
    documents, chunks, sentences = (layout.counts()[k] for k in ("documents", "chunks", "sentences"))

    def moved(rows: Any, step: int) -> np.ndarray:
        rows = np.asarray(rows)
        return np.concatenate([np.where(rows >= 0, rows + k * step, rows) for k in range(copies)])

    return SentenceLayout(
        np.tile(layout.flags, copies),
        RowLinks(moved(layout.neighbours, sentences)),
        RowLinks(moved(layout.heading_rows, sentences), HEADING_OFFSET),
        np.tile(layout.label_codes, copies),
        layout.labels,
        np.tile(layout.words, copies),
        RowRuns(moved(layout.document, documents)),
        RowRuns(moved(layout.chunk, chunks)),
        moved(layout.chunk_windows, windows),
        np.tile(layout.document_chunks, copies),
        layout.spoken,
    )


def _noisy(matrix: np.ndarray, k: int, noise: float) -> np.ndarray:
    if k == 0 or not len(matrix):
        return np.asarray(matrix, dtype=np.float32)
    shaken = matrix + np.random.default_rng(k).normal(scale=noise, size=matrix.shape)
    return (shaken / np.linalg.norm(shaken, axis=1, keepdims=True).clip(1e-12)).astype(np.float32)


def _chunks(loaded: LoadedIndex, copies: int, noise: float) -> Iterator[tuple[Any, np.ndarray]]:
    content = loaded.content
    for k in range(copies):
        offset = k * len(content.sentences)
        for chunk, vector in zip(content.chunks, _noisy(content.chunk_vectors, k, noise), strict=True):
            yield (
                dataclasses.replace(
                    chunk,
                    id=f"{k}-{chunk.id}",
                    source=renamed(chunk.source, k),
                    sentence_ids=tuple(i + offset for i in chunk.sentence_ids),
                ),
                vector,
            )


def _sentences(loaded: LoadedIndex, copies: int, noise: float) -> Iterator[tuple[Any, np.ndarray]]:
    content = loaded.content
    for k in range(copies):
        vectors = _noisy(content.sentence_vectors, k, noise)
        for sentence, vector in zip(content.sentences, vectors, strict=True):
            yield dataclasses.replace(sentence, source=renamed(sentence.source, k)), vector
