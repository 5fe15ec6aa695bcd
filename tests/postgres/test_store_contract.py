"""The ``IndexStore`` contract (``tests/contracts/store.py``) against a real PostgreSQL with pgvector."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from rag_service.evaluation.beir import benchmark_stores, format_results, run_benchmark
from rag_service.ingest import index_settings
from rag_service.retrieval.hybrid import HybridRetriever, SearchParams
from rag_service.store.files import build_faiss
from rag_service.store.postgres import copy
from rag_service.store.postgres.store import PostgresStore
from tests.contracts.store import StoreContract, _content
from tests.postgres.conftest import postgres_settings


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, pg_store: PostgresStore) -> PostgresStore:
        return pg_store

    def fail_writes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = copy.write_rows

        def crash_on_windows(conn, table, *args, **kwargs):  # after documents, chunks and sentences
            if table.startswith("rag_windows"):
                raise RuntimeError("simulated crash while copying the window vectors")
            return real(conn, table, *args, **kwargs)

        monkeypatch.setattr(copy, "write_rows", crash_on_windows)


class TestPostgresStoreWithSqlFullText(TestPostgresStore):
    """The same contract with the lexical half in SQL (one round trip). ``ts_rank_cd`` is not BM25, so
    only the dense half must rank as exact search; the full-text half must return chunks holding a
    query word, best first."""

    @pytest.fixture
    def store(self, pg_store: PostgresStore) -> PostgresStore:
        pg_store.lexical = "sql"
        return pg_store

    def test_its_retriever_ranks_as_exact_search_with_bm25(self, store, settings, embedder) -> None:
        wanted = index_settings(settings, embedder)
        with store.writer():
            store.write(_content(settings, embedder), wanted)
        index = store.load(wanted)
        exact = HybridRetriever.for_index(
            replace(index, faiss_index=build_faiss(index.content.chunk_vectors))
        )
        retriever = store.retriever(index, 64)
        question = "How many space launches are planned?"
        vector = embedder.embed_query(question)
        dense = SearchParams(top_k=5, mode="dense")
        assert [h.chunk.id for h in retriever.search(question, vector, dense)] == [
            h.chunk.id for h in exact.search(question, vector, dense)
        ]
        lexical = retriever.search(question, vector, SearchParams(top_k=5, mode="lexical"))
        stems = ("space", "launch", "plan")  # "how", "many", "are" are English stop words
        assert lexical and all(any(w in h.chunk.text.lower() for w in stems) for h in lexical)
        assert "launch" in lexical[0].chunk.text.lower()
        hybrid = retriever.search(question, vector, SearchParams(top_k=5))
        assert [h.rank for h in hybrid] == [1, 2, 3, 4, 5]
        assert all(a.score >= b.score for a, b in itertools.pairwise(hybrid))
        assert all(h.dense_score is not None or h.lexical_score is not None for h in hybrid)


def test_the_retrieval_benchmark_scores_every_store(tmp_path, beir_dir, database_url, embedder) -> None:
    settings = postgres_settings(tmp_path, database_url)
    with benchmark_stores(settings, ["faiss", "postgres", "postgres-sql"]) as stores:
        results = run_benchmark(beir_dir, settings, embedder, progress=False, stores=stores)
    by_store = results["stores"]
    assert list(by_store) == ["faiss", "postgres", "postgres-sql"]
    for mode in ("dense", "lexical", "hybrid"):  # BM25 in process: the file store's figures exactly
        assert (
            by_store["postgres"]["modes"][mode]["ndcg_at_10"]
            == by_store["faiss"]["modes"][mode]["ndcg_at_10"]
        )
    assert by_store["postgres-sql"]["modes"]["dense"] == {
        **by_store["faiss"]["modes"]["dense"],
        "ms_per_query": by_store["postgres-sql"]["modes"]["dense"]["ms_per_query"],
    }
    assert by_store["postgres-sql"]["modes"]["lexical"]["recall_at_100"] > 0
    assert "| postgres-sql | hybrid (RRF) |" in format_results(results)
