"""Vectors read on demand from PostgreSQL (``store.postgres.vectors.RowVectors``): they index like the
matrix they stand for, fetch what they lack in one query, keep a bounded cache, and say "retry" when
their version is retired under them."""

from __future__ import annotations

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
