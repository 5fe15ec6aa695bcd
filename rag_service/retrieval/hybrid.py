"""Hybrid retrieval: dense (FAISS inner product) and lexical (BM25), fused by reciprocal rank.

Reciprocal-rank fusion (Cormack et al., 2009) scores a chunk ``sum(1 / (k + rank))`` over the lists it
appears in. It needs no score calibration between cosine similarities and BM25 scores, which live on
unrelated scales, and it is robust to either retriever being confidently wrong. Each hit keeps both raw
scores so the answerer and the API can show why a passage was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import faiss
import numpy as np

from rag_service.config import DEFAULT_CANDIDATE_POOL, DEFAULT_RRF_K, DEFAULT_TOP_K
from rag_service.models import Chunk, ScoredChunk
from rag_service.retrieval.lexical import LexicalIndex
from rag_service.store.model import LoadedIndex

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class SearchParams:
    top_k: int = DEFAULT_TOP_K
    candidate_pool: int = DEFAULT_CANDIDATE_POOL
    rrf_k: int = DEFAULT_RRF_K
    mode: Mode = "hybrid"


class Retriever(Protocol):
    """Chunk search over one loaded index; each store builds the kind that suits it
    (``IndexStore.retriever``). Rows are positions in that index's ``content.chunks``."""

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def search(self, query: str, query_vector: np.ndarray, params: SearchParams) -> list[ScoredChunk]: ...


def prefetch(records: Sequence[Any], rows: Sequence[int]) -> None:
    """Have records read on demand (``store.postgres.rows``) fetch ``rows`` in one query, before they
    are read one by one; a tuple holds them already."""
    ask = getattr(records, "prefetch", None)
    if ask is not None and rows:
        ask(rows)


def fuse(
    chunks: Sequence[Chunk],
    dense: list[tuple[int, float]],
    lexical: list[tuple[int, float]],
    params: SearchParams,
) -> list[ScoredChunk]:
    """Reciprocal-rank fusion of two ranked ``(row, score)`` lists, best first, cut to ``top_k``."""
    fused: dict[int, float] = {}
    for ranked in (dense, lexical):
        for rank, (row, _) in enumerate(ranked):
            fused[row] = fused.get(row, 0.0) + 1.0 / (params.rrf_k + rank + 1)
    dense_scores = dict(dense)
    lexical_scores = dict(lexical)
    order = sorted(fused, key=lambda row: (-fused[row], -dense_scores.get(row, -1.0), row))
    prefetch(chunks, order[: params.top_k])
    return [
        ScoredChunk(chunks[row], fused[row], dense_scores.get(row), lexical_scores.get(row), rank)
        for rank, row in enumerate(order[: params.top_k], start=1)
    ]


class HybridRetriever:
    """Dense search with the index's FAISS file and BM25, both in process (the file store's)."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        faiss_index: faiss.Index,
        lexical: LexicalIndex,
        ef_search: int | None = None,
    ) -> None:
        self.chunks = chunks
        self._faiss = faiss_index
        self._lexical = lexical
        if ef_search is not None and hasattr(faiss_index, "hnsw"):
            faiss_index.hnsw.efSearch = ef_search

    @classmethod
    def for_index(cls, index: LoadedIndex, ef_search: int | None = None) -> HybridRetriever:
        """Dense + BM25 over one loaded index: how the service and the retrieval benchmark build it."""
        if index.faiss_index is None:
            raise ValueError("this index has no FAISS file: search it with its store's retriever")
        lexical = LexicalIndex([c.text for c in index.content.chunks])
        return cls(index.content.chunks, index.faiss_index, lexical, ef_search)

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        scores, rows = self._faiss.search(
            query_vector.reshape(1, -1).astype(np.float32, copy=False), min(k, len(self.chunks))
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def search(self, query: str, query_vector: np.ndarray, params: SearchParams) -> list[ScoredChunk]:
        pool = max(params.candidate_pool, params.top_k)
        dense = self.dense(query_vector, pool) if params.mode != "lexical" else []
        lexical = self._lexical.search(query, pool) if params.mode != "dense" else []
        return fuse(self.chunks, dense, lexical, params)
