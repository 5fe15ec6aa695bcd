"""Chunk search in PostgreSQL: dense top-k on the version's HNSW index, full text on its GIN index.

Two ways to add the lexical side, chosen with ``RAG_DATABASE_LEXICAL``:

* ``process`` (default): dense top-k in SQL, BM25 over the loaded chunk texts in process, fused by
  reciprocal rank (``retrieval.hybrid.fuse``) exactly as the file store does.
* ``sql``: one round trip. Dense top-k and ``tsvector`` top-k are two CTEs of one statement, fused by
  reciprocal rank in SQL. The full-text query is the OR of the question's lexemes (``websearch`` and
  ``plainto`` AND them, which matches almost nothing for a natural-language question), ranked by
  ``ts_rank_cd``; PostgreSQL has no IDF, so this ranks below BM25 (measured: docs/deployment.md,
  "Past one machine").

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
from rag_service.retrieval.hybrid import SearchParams, fuse
from rag_service.retrieval.lexical import LexicalIndex
from rag_service.store.postgres.database import Database

_OR_QUERY = (
    "(SELECT coalesce(string_agg(quote_literal(l), ' | '), '')::tsquery AS q "
    "FROM unnest(tsvector_to_array(to_tsvector('english', %(text)s))) AS l) AS query"
)


class SqlRetriever:
    def __init__(
        self,
        database: Database,
        chunks: Sequence[Chunk],
        table: str,
        dimension: int,
        lexical: LexicalIndex | None,
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
        self._lexical_sql: sql.Composed = sql.SQL(
            "SELECT n, ts_rank_cd(tsv, query.q) AS score FROM {t}, " + _OR_QUERY + " "
            "WHERE tsv @@ query.q ORDER BY score DESC, n LIMIT %(k)s"
        ).format(t=table_id)
        self._hybrid_sql: sql.Composed = sql.SQL(
            "WITH dense AS MATERIALIZED ({dense}), lexical AS MATERIALIZED ({lexical}), "
            "d AS (SELECT n, score, row_number() OVER (ORDER BY score DESC, n) AS rank FROM dense), "
            "l AS (SELECT n, score, row_number() OVER (ORDER BY score DESC, n) AS rank FROM lexical) "
            "SELECT n, d.score, l.score, "
            "coalesce(1.0 / (%(rrf)s + d.rank), 0) + coalesce(1.0 / (%(rrf)s + l.rank), 0) AS fused "
            "FROM d FULL JOIN l USING (n) ORDER BY fused DESC, d.score DESC NULLS LAST, n LIMIT %(top)s"
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
        rows = self._run(self._lexical_sql, {"text": query, "k": k})
        return [(int(n), float(score)) for n, score in rows]

    def search(self, query: str, query_vector: np.ndarray, params: SearchParams) -> list[ScoredChunk]:
        if not self.chunks:
            return []
        pool = min(max(params.candidate_pool, params.top_k), len(self.chunks))
        if params.mode == "hybrid" and self._lexical is None:
            rows = self._run(
                self._hybrid_sql,
                {
                    "vector": _vector(query_vector),
                    "text": query,
                    "k": pool,
                    "rrf": params.rrf_k,
                    "top": params.top_k,
                },
            )
            return [
                ScoredChunk(self.chunks[n], float(fused), _float(dense), _float(lexical), rank)
                for rank, (n, dense, lexical, fused) in enumerate(rows, start=1)
            ]
        dense = self.dense(query_vector, pool) if params.mode != "lexical" else []
        lexical: list[tuple[int, float]] = []
        if params.mode != "dense":
            lexical = self._lexical.search(query, pool) if self._lexical else self._sql_lexical(query, pool)
        return fuse(self.chunks, dense, lexical, params)


def _vector(query_vector: np.ndarray) -> np.ndarray:
    """Sent in pgvector's binary form (its adapter is registered on every connection), then cast in
    SQL to the index's width."""
    return np.ascontiguousarray(query_vector, dtype=np.float32).ravel()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
