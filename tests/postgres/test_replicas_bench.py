"""``rag-service bench --only replicas``: real replicas over a real PostgreSQL, with the ingested pages
written again as copies (``--copies``), the way the 100,000-chunk figures were measured."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from rag_service.bench.copies import write_copies
from rag_service.bench.replicas import ON_DEMAND, fill_questions, run_replicas
from rag_service.bench.report import Report
from rag_service.bench.startup import copied
from rag_service.ingest import index_settings
from rag_service.retrieval.hybrid import SearchParams
from rag_service.store.postgres.store import PostgresStore
from tests.contracts.store import _content

pytestmark = pytest.mark.slow


def test_copies_rename_every_document_and_keep_the_vectors_unit_length(
    pg_store: PostgresStore, settings, embedder
) -> None:
    content = _content(settings, embedder)
    three = copied(content, 3, 0.01)
    assert len(three.chunks) == 3 * len(content.chunks) and len(three.sentences) == 3 * len(content.sentences)
    assert len({d.name for d in three.documents}) == 3 * len(content.documents)
    assert np.array_equal(three.chunk_vectors[: len(content.chunks)], content.chunk_vectors)
    assert not np.array_equal(
        three.chunk_vectors[len(content.chunks) :][: len(content.chunks)], content.chunk_vectors
    )
    assert np.allclose(np.linalg.norm(three.sentence_vectors, axis=1), 1.0, atol=1e-5)
    last = three.chunks[-1]  # its sentences are the last copy's, not the first's
    assert all(three.sentences[row].source == last.source for row in last.sentence_ids)
    with pg_store.writer():
        pg_store.write(three, index_settings(settings, embedder))
    loaded = pg_store.load()
    assert loaded.content.chunks == three.chunks and loaded.manifest.counts["chunks"] == len(three.chunks)


def test_copies_streamed_into_the_database_are_the_copies_with_their_layout_and_word_counts(
    pg_store: PostgresStore, settings, embedder
) -> None:
    from rag_service.answer.layout import SentenceLayout
    from rag_service.retrieval.lexical import sentence_frequencies
    from tests.test_layout import FIELDS

    content = _content(settings, embedder)
    with pg_store.writer():
        pg_store.write(content, index_settings(settings, embedder))
        base = pg_store.load()
    assert write_copies(pg_store, base, 3, 0.01) == 3 * len(content.chunks)
    with pg_store.writer():
        three = pg_store.load()  # whole
    expected = copied(content, 3, None)
    assert three.content.chunks == expected.chunks and three.content.sentences == expected.sentences
    assert [d.name for d in three.content.documents] == [d.name for d in expected.documents]
    vectors = np.asarray(three.content.sentence_vectors)
    assert np.allclose(vectors[: len(content.sentences)], content.sentence_vectors, atol=1e-6)
    assert not np.allclose(
        vectors[len(content.sentences) :][: len(content.sentences)], content.sentence_vectors
    )
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    walked = SentenceLayout.of(dataclasses.replace(three, sentence_layout=None))
    for field in FIELDS:
        assert np.array_equal(getattr(three.sentence_layout, field), getattr(walked, field)), field
    assert three.sentence_df == sentence_frequencies(s.text for s in expected.sentences)
    hits = pg_store.retriever(three).search(
        "space", np.asarray(three.content.chunk_vectors)[5], SearchParams()
    )
    assert hits and hits[0].chunk == three.content.chunks[5]


def test_the_replicas_bench_serves_the_copies_whole_and_on_demand(tmp_path: Path, settings) -> None:
    sentences = [
        f"Module {n} of the station was inspected by crew member {n % 5} on the night shift."
        for n in range(60)
    ]
    report = Report()
    run_replicas(report, settings, tmp_path, sentences, 4, 3, copies=2, fill=7)
    text = report.markdown("")
    assert "copied 2 times" in text and "7 other questions asked first" in text, text
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| whole") or line.startswith("| read on demand")
    ]
    assert len(rows) == 2 and f"cache {ON_DEMAND:,}" in rows[1], text
    for row in rows:
        start, p50, p95, peak = (float(cell) for cell in row.split("|")[2:6])
        assert 0 < start < 300 and 0 < p50 <= p95 and peak > 100
        stages = dict(part.rsplit(" ", 1) for part in row.split("|")[6].strip().split(", "))
        assert {"embed", "retrieve", "answer", "total"} <= set(stages), row
        assert 0 < float(stages["retrieve"]) < float(stages["total"]) <= p95, row


def test_the_questions_that_fill_a_replica_s_caches_are_distinct() -> None:
    sentences = [f"Part {n} of the manual says something new about topic {n}." for n in range(10)]
    asked = fill_questions(sentences, 35)
    assert len(asked) == len(set(asked)) == 35
    assert len(fill_questions(sentences, 1000)) == 40  # four forms of each sentence, no more


def test_the_row_bounds_are_checked_before_anything_runs() -> None:
    import argparse

    import pytest

    from rag_service.bench.command import _row_bounds

    assert _row_bounds("100000,20000") == (100_000, 20_000)
    for wrong in ("100k", "0", "5,,6"):
        with pytest.raises(argparse.ArgumentTypeError, match="row"):
            _row_bounds(wrong)
