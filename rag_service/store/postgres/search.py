"""Chunk search in PostgreSQL: dense top-k on the version's HNSW index, BM25 on its postings.

Two ways to add the lexical side, chosen with ``RAG_DATABASE_LEXICAL``:

* ``sql`` (default): one round trip. Dense top-k and BM25 top-k (``lexicon``: term statistics written
  with the version, scored in SQL) are two CTEs of one statement, fused by reciprocal rank in SQL with
  the same ties as ``retrieval.hybrid.fuse``. No process holds the texts for search.
* ``process``: dense top-k in SQL, BM25 over the loaded chunk texts in process, fused by
  ``retrieval.hybrid.fuse`` exactly as the file store does. Also what a version written before the
  statistics existed (schema step 5) gets, whatever the setting, until it is re-ingested.

The HNSW search widens ``hnsw.ef_search`` to at least the candidate pool, or a LIMIT larger than
``ef_search`` would silently return fewer rows. Query vectors are unit length, so the cosine distance
``<=>`` orders exactly as the inner product the file store uses, and ``1 - distance`` is its score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from rag_service.errors import StoreUnavailableError
from rag_service.models import Chunk, ScoredChunk
from rag_service.retrieval.hybrid import SearchParams, fuse, prefetch
from rag_service.retrieval.lexical import LexicalIndex, index_terms
from rag_service.store.postgres.database import Database
from rag_service.store.postgres.lexicon import Lexicon


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
        self._lexical_sql: sql.Composed | None = None
        self._hybrid_sql: sql.Composed | None = None
        if isinstance(lexical, Lexicon):
            self._lexical_sql = lexical.query()
            self._hybrid_sql = sql.SQL(
                "WITH dense AS MATERIALIZED ({dense}), lexical AS MATERIALIZED ({lexical}), "
                "d AS (SELECT n, score, row_number() OVER (ORDER BY score DESC, n) AS rank FROM dense), "
                "l AS (SELECT n, score, row_number() OVER (ORDER BY score DESC, n) AS rank FROM lexical) "
                "SELECT n, d.score, l.score, "
                "coalesce(1.0 / (%(rrf)s + d.rank), 0) + coalesce(1.0 / (%(rrf)s + l.rank), 0) AS fused "
                "FROM d FULL JOIN l USING (n) ORDER BY fused DESC, d.score DESC NULLS LAST, n "
                "LIMIT %(top)s"
            ).format(dense=self._dense_sql, lexical=self._lexical_sql)

    def _run(self, query: sql.Composed, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        wanted = max(self._ef_search, int(params.get("k", 0)))

        def work(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            if wanted <= self._database.ef_search:  # the connection's own setting is enough
                return conn.execute(query, params).fetchall()
            with conn.transaction():
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(min(wanted, 1000)),))
                return conn.execute(query, params).fetchall()

        try:
            return self._database.read(work)
        except psycopg.errors.UndefinedTable:
            raise StoreUnavailableError(
                "the index version being searched was just retired by a newer ingest: retry"
            ) from None

    def dense(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        rows = self._run(self._dense_sql, {"vector": _vector(query_vector), "k": min(k, len(self.chunks))})
        return [(int(n), float(score)) for n, score in rows]

    def _sql_lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        assert self._lexical_sql is not None
        rows = self._run(self._lexical_sql, {"terms": index_terms(query), "k": k})
        return [(int(n), float(score)) for n, score in rows]

    def search(self, query: str, query_vector: np.ndarray, params: SearchParams) -> list[ScoredChunk]:
        if not self.chunks:
            return []
        pool = min(max(params.candidate_pool, params.top_k), len(self.chunks))
        in_sql = self._hybrid_sql is not None
        if params.mode == "hybrid" and self._hybrid_sql is not None:
            rows = self._run(
                self._hybrid_sql,
                {
                    "vector": _vector(query_vector),
                    "terms": index_terms(query),
                    "k": pool,
                    "rrf": params.rrf_k,
                    "top": params.top_k,
                },
            )
            prefetch(self.chunks, [n for n, *_ in rows])
            return [
                ScoredChunk(self.chunks[n], float(fused), _float(dense), _float(lexical), rank)
                for rank, (n, dense, lexical, fused) in enumerate(rows, start=1)
            ]
        dense = self.dense(query_vector, pool) if params.mode != "lexical" else []
        lexical: list[tuple[int, float]] = []
        if params.mode != "dense":
            lexical = self._sql_lexical(query, pool) if in_sql else self._lexical_search(query, pool)
        return fuse(self.chunks, dense, lexical, params)

    def _lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        assert isinstance(self._lexical, LexicalIndex)
        return self._lexical.search(query, k)


def _vector(query_vector: np.ndarray) -> np.ndarray:
    """Sent in pgvector's binary form (its adapter is registered on every connection), then cast in
    SQL to the index's width."""
    return np.ascontiguousarray(query_vector, dtype=np.float32).ravel()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
