"""The ``IndexStore`` contract (``tests/contracts/store.py``) against a real PostgreSQL with pgvector."""

from __future__ import annotations

import itertools

import pytest

from rag_service.evaluation.beir import benchmark_stores, format_results, run_benchmark
from rag_service.store.postgres import copy
from rag_service.store.postgres.store import PostgresStore
from tests.contracts.store import StoreContract
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


class TestPostgresStoreWithBm25InProcess(TestPostgresStore):
    """The same contract with BM25 over the loaded texts in process (``RAG_DATABASE_LEXICAL=process``)
    instead of scored in SQL from the version's term statistics (``lexicon``, the default): both must
    rank, and score, as FAISS flat with BM25 in process does."""

    @pytest.fixture
    def store(self, pg_store: PostgresStore) -> PostgresStore:
        pg_store.lexical = "process"
        return pg_store


def test_the_retrieval_benchmark_scores_every_store(tmp_path, beir_dir, database_url, embedder) -> None:
    settings = postgres_settings(tmp_path, database_url)
    with benchmark_stores(settings, ["faiss", "postgres", "postgres-sql"]) as stores:
        results = run_benchmark(beir_dir, settings, embedder, progress=False, stores=stores)
    by_store = results["stores"]
    assert list(by_store) == ["faiss", "postgres", "postgres-sql"]
    for label, mode in itertools.product(("postgres", "postgres-sql"), ("dense", "lexical", "hybrid")):
        # BM25 in process or in SQL: the file store's figures exactly
        figures, files = by_store[label]["modes"][mode], by_store["faiss"]["modes"][mode]
        assert {**figures, "ms_per_query": 0} == {**files, "ms_per_query": 0}, (label, mode)
    assert "| postgres-sql | hybrid (RRF) |" in format_results(results)
