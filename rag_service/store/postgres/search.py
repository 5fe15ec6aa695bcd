"""Chunk search in PostgreSQL: dense top-k on the version's HNSW index, BM25 on its packed postings.

Two ways to add the lexical side, chosen with ``RAG_DATABASE_LEXICAL``:

* ``sql`` (default): the question's terms' postings are fetched from the database (``lexicon``: one
  row per term, written with the version) and scored here, then fused with the dense top-k by
  ``retrieval.hybrid.fuse``, as the file store does. Both reads go through one connection checkout. No
  process holds the texts for search.
* ``process``: dense top-k in SQL, BM25 over the loaded chunk texts in process, fused the same way.
  Also what a version without packed postings (written before schema step 5) gets, whatever the
  setting, until it is re-ingested.

The HNSW search widens ``hnsw.ef_search`` to at least the candidate pool, or a LIMIT larger than
``ef_search`` would silently return fewer rows. Query vectors are unit length, so the cosine distance
``<=>`` orders exactly as the inner product the file store uses, and ``1 - distance`` is its score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import psycopg
from psycopg import sql

from rag_service.errors import StoreUnavailableError
from rag_service.models import Chunk, ScoredChunk
from rag_service.retrieval.hybrid import SearchParams, fuse
from rag_service.retrieval.lexical import LexicalIndex, index_terms
from rag_service.store.postgres.database import Database
from rag_service.store.postgres.lexicon import Lexicon

_T = TypeVar("_T")


class SqlRetriever:
    def __init__(
        self,
        database: Database,
        chunks: Sequence[Chunk],
        table: str,
        dimension: int,
        lexical: LexicalIndex | Lexicon,
        ef_search: int,
    ) -> None:
        self.chunks = chunks
        self._database = database
        self._lexical = lexical
        self._ef_search = ef_search
        distance = sql.SQL("embedding::vector({}) <=> %(vector)s::vector({})").format(
            sql.Literal(dimension), sql.Literal(dimension)
        )
        table_id = sql.Identifier(table)
        self._dense_sql: sql.Composed = sql.SQL(
            "SELECT n, 1 - ({d}) AS score FROM {t} ORDER BY {d} LIMIT %(k)s"
        ).format(d=distance, t=table_id)

    def _dense_rows(
        self, conn: psycopg.Connection[Any], query_vector: np.ndarray, k: int
    ) -> list[tuple[int, float]]:
        params = {"vector": _vector(query_vector), "k": k}
        wanted = max(self._ef_search, k)
        if wanted <= self._database.ef_search:  # the connection's own setting is enough
            rows = conn.execute(self._dense_sql, params).fetchall()
        else:
            with conn.transaction():
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(min(wanted, 1000)),))
                rows = conn.execute(self._dense_sql, params).fetchall()
        return [(int(n), float(score)) for n, score in rows]

    def _read(self, work: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        try:
            return self._database.read(work)
        except psycopg.errors.UndefinedTable:
            raise StoreUnavailableError(
                "the index version being searched was just retired by a newer ingest: retry"
            ) from None

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        return self._read(lambda conn: self._dense_rows(conn, query_vector, min(k, len(self.chunks))))

    def search(self, query: str, query_vector: np.ndarray, params: SearchParams) -> list[ScoredChunk]:
        if not self.chunks:
            return []
        pool = min(max(params.candidate_pool, params.top_k), len(self.chunks))
        lexicon = self._lexical if isinstance(self._lexical, Lexicon) else None
        if lexicon is None or params.mode == "dense":
            dense = self.dense(query_vector, pool) if params.mode != "lexical" else []
            lexical = self._lexical_search(query, pool) if params.mode != "dense" else []
            return fuse(self.chunks, dense, lexical, params)
        terms = index_terms(query)

        def both(conn: psycopg.Connection[Any]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
            found = self._dense_rows(conn, query_vector, pool) if params.mode != "lexical" else []
            return found, lexicon.search(conn, terms, pool)

        return fuse(self.chunks, *self._read(both), params)

    def _lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        assert isinstance(self._lexical, LexicalIndex)
        return self._lexical.search(query, k)


def _vector(query_vector: np.ndarray) -> np.ndarray:
    """Sent in pgvector's binary form (its adapter is registered on every connection), then cast in
    SQL to the index's width."""
    return np.ascontiguousarray(query_vector, dtype=np.float32).ravel()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
