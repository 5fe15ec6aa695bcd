"""Hybrid retrieval: dense (FAISS inner product) and lexical (BM25), fused by reciprocal rank.

Reciprocal-rank fusion (Cormack et al., 2009) scores a chunk ``sum(1 / (k + rank))`` over the lists it
appears in. It needs no score calibration between cosine similarities and BM25 scores, which live on
unrelated scales, and it is robust to either retriever being confidently wrong. Each hit keeps both raw
scores so the answerer and the API can show why a passage was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import faiss
import numpy as np

from rag_service.lexical import LexicalIndex
from rag_service.models import Chunk, ScoredChunk

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class SearchParams:
    top_k: int = 6
    candidate_pool: int = 50
    rrf_k: int = 60
    mode: Mode = "hybrid"


class HybridRetriever:
    def __init__(
        self,
        chunks: list[Chunk],
        faiss_index: faiss.Index,
        lexical: LexicalIndex,
        ef_search: int | None = None,
    ) -> None:
        self.chunks = chunks
        self._faiss = faiss_index
        self._lexical = lexical
        if ef_search is not None and hasattr(faiss_index, "hnsw"):
            faiss_index.hnsw.efSearch = ef_search

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
        fused: dict[int, float] = {}
        for ranked in (dense, lexical):
            for rank, (row, _) in enumerate(ranked):
                fused[row] = fused.get(row, 0.0) + 1.0 / (params.rrf_k + rank + 1)
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        order = sorted(fused, key=lambda row: (-fused[row], -dense_scores.get(row, -1.0), row))
        return [
            ScoredChunk(self.chunks[row], fused[row], dense_scores.get(row), lexical_scores.get(row), rank)
            for rank, row in enumerate(order[: params.top_k], start=1)
        ]
