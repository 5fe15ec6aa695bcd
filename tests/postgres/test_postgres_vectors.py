"""Vectors read on demand from PostgreSQL (``store.postgres.vectors.RowVectors``): they index like the
matrix they stand for, fetch what they lack in one query, keep a bounded cache, and say "retry" when
their version is retired under them."""

from __future__ import annotations

import dataclasses

import numpy as np
import psycopg
import pytest
from psycopg import sql

from rag_service.errors import StoreUnavailableError
from rag_service.ingest import index_settings
from rag_service.store.postgres.store import PostgresStore
from rag_service.store.postgres.vectors import RowVectors
from tests.contracts.store import _content


@pytest.fixture
def loaded(pg_store: PostgresStore, settings, embedder):
    content = _content(settings, embedder)
    with pg_store.writer():
        pg_store.write(content, index_settings(settings, embedder))
    pg_store.vector_cache = 5
    return pg_store.load(), content


def test_they_index_like_the_matrix_and_fetch_once_per_call(loaded) -> None:
    index, content = loaded
    lazy = index.content.sentence_vectors
    assert isinstance(lazy, RowVectors) and lazy.shape == content.sentence_vectors.shape
    want = content.sentence_vectors
    assert np.allclose(lazy[3], want[3], atol=1e-6) and lazy[3].shape == (384,)
    pairs = np.array([[0, 1], [2, 0], [1, 1]])
    assert np.allclose(lazy[pairs], want[pairs], atol=1e-6) and lazy[pairs].shape == (3, 2, 384)
    assert np.allclose(lazy[[-1]], want[[-1]], atol=1e-6)
    assert np.allclose(lazy[1:4], want[1:4], atol=1e-6)
    lazy._around = 0  # no read-ahead, to count exactly (read-ahead is tested below)
    lazy[[0, 1, 2]]
    before = lazy.fetches
    lazy[[0, 1, 2]]  # cached
    assert lazy.fetches == before
    lazy[list(range(10, 20))]  # ten rows at once: one query, and only the last five kept
    assert lazy.fetches == before + 1 and len(lazy._cache) == 5
    with pytest.raises(IndexError):
        lazy[[len(lazy)]]
    with pytest.raises(TypeError):
        lazy[np.ones(len(lazy), dtype=bool)]
    assert np.allclose(np.asarray(index.content.chunk_vectors), content.chunk_vectors, atol=1e-6)


def test_a_sentence_s_neighbours_are_read_with_it(loaded) -> None:
    index, content = loaded
    lazy = index.content.sentence_vectors
    lazy[[10]]
    assert lazy.fetches == 1 and sorted(lazy._cache) == [8, 9, 10, 11, 12]
    assert np.allclose(lazy[[9, 11, 12]], content.sentence_vectors[[9, 11, 12]], atol=1e-6)
    assert lazy.fetches == 1  # the neighbours came with it


def test_a_retired_version_says_retry(loaded, pg_store: PostgresStore) -> None:
    index, _ = loaded
    version_id = pg_store._ids[index.version]
    with psycopg.connect(pg_store.database.url, autocommit=True) as conn:
        name = sql.Identifier(f"rag_sentences_v{version_id}")
        conn.execute(sql.SQL("DROP TABLE {}").format(name))
    with pytest.raises(StoreUnavailableError, match="retry"):
        index.content.sentence_vectors[[0]]


def test_inside_the_writer_and_with_no_cache_a_version_is_read_whole(loaded, pg_store: PostgresStore) -> None:
    with pg_store.writer():
        assert isinstance(pg_store.load().content.sentence_vectors, np.ndarray)
    pg_store.vector_cache = 0
    assert isinstance(pg_store.load().content.sentence_vectors, np.ndarray)


def test_word_counts_over_sentences_are_stored_at_ingest_and_weigh_words_as_counted_at_start(
    loaded, pg_store: PostgresStore, settings
) -> None:
    from rag_service.answer.terms import TermStats
    from rag_service.retrieval.lexical import content_terms, sentence_frequencies

    index, content = loaded
    want = sentence_frequencies(s.text for s in content.sentences)
    assert index.sentence_df == want and len(want) > 50
    stored = TermStats(index, content_terms)
    counted_here = TermStats(dataclasses.replace(index, sentence_df=None), content_terms)
    assert stored.idf == counted_here.idf
    assert TermStats(index, lambda text: text.lower().split()).idf != stored.idf  # another word list counts
    with psycopg.connect(pg_store.database.url) as conn:  # a version written before schema step 8
        conn.execute("UPDATE rag_versions SET sentence_df = NULL")
    assert pg_store.load().sentence_df is None


def test_the_answerer_s_layout_is_stored_at_ingest_and_read_back_by_a_replica(
    loaded, pg_store: PostgresStore
) -> None:
    from rag_service.answer.layout import SentenceLayout
    from tests.test_layout import FIELDS

    index, _ = loaded
    stored = index.sentence_layout
    assert isinstance(stored, SentenceLayout)
    walked = SentenceLayout.of(dataclasses.replace(index, sentence_layout=None))
    for field in FIELDS:
        assert np.array_equal(getattr(stored, field), getattr(walked, field)), field
    assert stored.labels == walked.labels and stored.spoken == walked.spoken and stored.other_voice.any()
    with psycopg.connect(pg_store.database.url) as conn:  # a version written before schema step 9
        conn.execute("UPDATE rag_versions SET sentence_layout = NULL")
    assert pg_store.load().sentence_layout is None


def test_the_vector_counts_hold_when_postgres_plans_in_parallel(loaded, pg_store: PostgresStore) -> None:
    from rag_service.store.postgres import reading

    index, content = loaded
    version_id = pg_store._ids[index.version]
    with psycopg.connect(pg_store.database.url, autocommit=True) as conn:
        for knob in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            conn.execute(f"SET {knob} = 0")  # a parallel plan even for these small tables
        conn.execute("SET max_parallel_workers_per_gather = 4")
        chunk, sentence, window = reading.vectors(conn, pg_store.database, version_id, 384, 5)
    assert chunk.shape == content.chunk_vectors.shape and sentence.shape == content.sentence_vectors.shape
    assert (
        window.shape == content.window_vectors.shape and len({chunk.shape, sentence.shape, window.shape}) == 3
    )


def test_a_load_may_take_longer_than_a_request_s_query_and_gives_its_connection_back_as_it_was(
    loaded, pg_store: PostgresStore, monkeypatch
) -> None:
    from rag_service.store.postgres import store as store_module

    def setting(conn) -> str:
        return str(conn.execute("SHOW statement_timeout").fetchone()[0])

    before = pg_store.database.read(setting)
    seen: list[str] = []
    real = PostgresStore._load

    def watched(self, conn, wanted):
        seen.append(setting(conn))
        return real(self, conn, wanted)

    monkeypatch.setattr(PostgresStore, "_load", watched)
    pg_store.load()
    assert seen == [f"{store_module.LOAD_TIMEOUT // 60}min"] and before != seen[0]
    assert {pg_store.database.read(setting) for _ in range(4)} == {before}  # every pooled connection
