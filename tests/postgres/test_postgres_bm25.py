"""BM25 over postings packed in PostgreSQL (``store.postgres.lexicon``) against bm25s in process, on a
real server: odd queries, ties, versions written before packed postings, and the migrations."""

from __future__ import annotations

from collections import Counter

import numpy as np
import psycopg
import pytest
from psycopg import sql

from rag_service.ingest import index_settings
from rag_service.retrieval.hybrid import SearchParams
from rag_service.retrieval.lexical import LexicalIndex, index_terms
from rag_service.store.postgres import lexicon, schema
from rag_service.store.postgres.store import PostgresStore
from tests.contracts.store import _content

QUERIES = [
    "launches launches launches in 2017",  # a repeated term counts each time, as in bm25s
    "What is the?",  # stop words only: nothing
    "zyxwvut",  # a word no chunk has
    "",
    "Roscosmos budget cooperation space station",
]


@pytest.fixture
def written(pg_store: PostgresStore, settings, embedder) -> PostgresStore:
    wanted = index_settings(settings, embedder)
    with pg_store.writer():
        pg_store.write(_content(settings, embedder), wanted)
    return pg_store


def _lexical(store: PostgresStore, query: str) -> list[tuple[int, float]]:
    index = store.load()
    hits = store.retriever(index).search(
        query, np.zeros(384, np.float32), SearchParams(20, 20, mode="lexical")
    )
    return [(index.content.chunks.index(h.chunk), round(h.lexical_score or 0.0, 4)) for h in hits]


@pytest.mark.parametrize("query", QUERIES)
def test_bm25_in_sql_scores_as_bm25s_does(written: PostgresStore, query: str) -> None:
    written.lexical = "sql"
    in_process = LexicalIndex([c.text for c in written.load().content.chunks])
    want = [(row, round(score, 4)) for row, score in in_process.search(query, 20)]
    assert _lexical(written, query) == want


@pytest.mark.parametrize("statistics", [False, True], ids=["before step 5", "no packed rows"])
def test_a_version_without_packed_postings_is_searched_in_process(
    written: PostgresStore, statistics: bool
) -> None:
    written.lexical = "sql"
    before = _lexical(written, QUERIES[-1])
    assert before
    with psycopg.connect(written.database.url, autocommit=True) as conn:
        (version_id,) = conn.execute("SELECT version_id FROM rag_current").fetchone()  # type: ignore[misc]
        if not statistics:  # else N and the mean length stay, without packed rows
            conn.execute("UPDATE rag_versions SET bm25_documents = NULL, bm25_mean_length = NULL")
        name = sql.Identifier(schema.partition("rag_term_postings", version_id))
        conn.execute(sql.SQL("DROP TABLE {}").format(name))
    written._lexicons.clear()
    assert _lexical(written, QUERIES[-1]) == before  # the same ranking, from bm25s over loaded texts
    assert written._lexicons[written.load().version] is None


def test_a_database_at_step_4_migrates_and_keeps_its_chunks(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE rag_schema (version int NOT NULL)")
        for step in schema.STEPS[:4]:
            conn.execute(step)
        conn.execute("INSERT INTO rag_schema VALUES (4)")
        conn.execute("INSERT INTO rag_versions (name, manifest, dimension) VALUES ('v-old', '{}', 3)")
        conn.execute("CREATE TABLE rag_chunks_v1 PARTITION OF rag_chunks FOR VALUES IN (1)")
        conn.execute(
            "INSERT INTO rag_chunks_v1 (version_id, n, record, text, embedding) "
            "VALUES (1, 0, '{}', 'Old text', '[1,0,0]')"
        )
    assert schema.migrate(database_url, 5) == 4
    with psycopg.connect(database_url) as conn:
        columns = {
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'rag_chunks_v1'::regclass AND attnum > 0"
            )
        }
        assert "tsv" not in columns and "text" in columns
        assert conn.execute("SELECT text FROM rag_chunks_v1").fetchall() == [("Old text",)]
        assert conn.execute("SELECT bm25_documents FROM rag_versions").fetchall() == [(None,)]
        assert conn.execute("SELECT to_regclass('rag_postings'), to_regclass('rag_terms')").fetchone() == (
            "rag_postings",
            "rag_terms",
        )


@pytest.mark.parametrize("span_bits", [lexicon.SPAN_BITS, 2])
def test_packed_postings_rank_ties_and_repeats_as_bm25s(
    database_url: str, monkeypatch, span_bits: int
) -> None:
    """More rows tie than fit in k (the same text 30 times): the lowest rows are kept, in row order, as
    in process; and the packing (a GROUP BY in SQL) keeps each chunk's counts and lengths, whether a
    term's postings take one row or, in spans of four chunks, ten."""
    monkeypatch.setattr(lexicon, "SPAN_BITS", span_bits)
    texts = ["alpha beta"] * 30 + ["alpha gamma delta gamma"] * 5 + ["unrelated words here", ""]
    schema.migrate(database_url, 10)
    with psycopg.connect(database_url) as conn:
        (version_id,) = conn.execute(  # type: ignore[misc]
            "INSERT INTO rag_versions (name, manifest, dimension) VALUES ('v-ties', '{}', 3) RETURNING id"
        ).fetchone()
        written = lexicon.write(conn, version_id, iter(texts))
        assert lexicon.load(conn, version_id) == written
        table = sql.Identifier(schema.partition(lexicon.TABLE, version_id))
        spans = conn.execute(sql.SQL("SELECT count(*), max(df) FROM {} WHERE term = 'alpha'").format(table))
        assert spans.fetchone() == ((35 + 3) >> span_bits if span_bits == 2 else 1, 35)
        in_process = LexicalIndex(texts)
        for query in ("alpha", "alpha beta", "gamma gamma", "delta words", "nothing"):
            for k in (1, 5, 20, 40):
                got = written.search(conn, index_terms(query), k)
                want = in_process.search(query, k)
                assert [(r, round(s, 4)) for r, s in got] == [(r, round(s, 4)) for r, s in want], (query, k)
        assert written.search(conn, index_terms("alpha"), 20) == [
            (row, pytest.approx(written.search(conn, ["alpha"], 1)[0][1])) for row in range(20)
        ]


def test_migrating_to_step_10_packs_a_kept_versions_postings(written: PostgresStore) -> None:
    """A database at step 9 whose version has per-posting rows (as steps 5 to 9 wrote them): the
    migration packs them, and the version is searched in the database, ranking as bm25s does."""
    written.lexical = "sql"
    texts = [c.text for c in written.load().content.chunks]
    url = written.database.url
    with psycopg.connect(url, autocommit=True) as conn:
        (version_id,) = conn.execute("SELECT version_id FROM rag_current").fetchone()  # type: ignore[misc]
        conn.execute("DROP TABLE rag_term_postings")  # with its partitions: the database as at step 9
        conn.execute("UPDATE rag_schema SET version = 9")
        old = sql.Identifier(schema.partition("rag_postings", version_id))
        conn.execute(
            sql.SQL("CREATE TABLE {} PARTITION OF rag_postings FOR VALUES IN ({})").format(
                old, sql.Literal(version_id)
            )
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL(
                    "INSERT INTO {} (version_id, term, n, tf, length) VALUES (%s, %s, %s, %s, %s)"
                ).format(old),
                [
                    (version_id, term, n, tf, len(terms))
                    for n, terms in enumerate(index_terms(text) for text in texts)
                    for term, tf in Counter(terms).items()
                ],
            )
    assert schema.migrate(url, 10) == 9
    with psycopg.connect(url) as conn:
        packed = lexicon.load(conn, version_id)
        assert packed is not None
        in_process = LexicalIndex(texts)
        for query in QUERIES:
            got = [(r, round(s, 4)) for r, s in packed.search(conn, index_terms(query), 20)]
            assert got == [(r, round(s, 4)) for r, s in in_process.search(query, 20)], query
    written._lexicons.clear()
    assert _lexical(written, QUERIES[-1])  # the store reads the migrated rows
    assert written._lexicons[written.load().version] == packed
