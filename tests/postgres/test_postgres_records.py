"""Chunks and sentences read from PostgreSQL as answers need them (``store.postgres.rows``): a replica
with ``RAG_DATABASE_VECTOR_CACHE`` set reads no record at start-up, reads them like the tuples it stands
for, finds a quoted sentence by its text through the database, and answers every seeds question and
conversation exactly as a replica that loaded the version whole. Real server, real model."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from rag_service.ingest import index_settings, ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.postgres.rows import RowChunks, RowSentences
from rag_service.store.postgres.store import PostgresStore
from rag_service.store.postgres.texts import DocumentTexts, StoredDocument
from tests.conftest import EVAL_SET
from tests.contracts.store import _content
from tests.postgres.conftest import postgres_settings

LINKED = "The packaging guide is kept in [the wiki](https://wiki.example.org/Packaging) and in print.\n"


@pytest.fixture
def on_demand(pg_store: PostgresStore, settings, embedder):
    content = _content(settings, embedder, extra=LINKED)
    with pg_store.writer():
        pg_store.write(content, index_settings(settings, embedder))
    pg_store.vector_cache = 50
    return pg_store.load(), content


def test_records_read_on_demand_read_like_the_tuples(on_demand) -> None:
    index, content = on_demand
    chunks, sentences = index.content.chunks, index.content.sentences
    assert isinstance(chunks, RowChunks) and isinstance(sentences, RowSentences)
    assert chunks.fetches == sentences.fetches == 0  # nothing read at load
    assert len(chunks) == len(content.chunks) and len(sentences) == len(content.sentences)
    assert sentences[7] == content.sentences[7] and sentences[-1] == content.sentences[-1]
    assert list(sentences[3:6]) == list(content.sentences[3:6])
    with pytest.raises(IndexError):
        sentences[len(sentences)]
    assert chunks == content.chunks and sentences == content.sentences  # a walk reads all, in batches
    before = chunks.fetches
    chunks.prefetch([1, 4, 9, 4])
    assert chunks.fetches == before + 1
    assert [chunks[r] for r in (1, 4, 9)] == [content.chunks[r] for r in (1, 4, 9)]
    assert chunks.fetches == before + 1  # read from the cache
    assert chunks.row_of(content.chunks[4].id) == 4  # cached
    assert chunks.row_of(content.chunks[-1].id) == len(content.chunks) - 1  # asked of the database
    with pytest.raises(KeyError):
        chunks.row_of("no such chunk")
    sentences.prefetch(range(200))
    assert len(sentences._cache) == 50  # bounded


def test_a_quoted_sentence_is_found_by_its_text_or_as_it_reads(on_demand) -> None:
    index, content = on_demand
    sentences = index.content.sentences
    linked = next(r for r, s in enumerate(content.sentences) if "](https://" in s.text)
    shown = "The packaging guide is kept in the wiki and in print."
    first = content.sentences[0].text
    same = [r for r, s in enumerate(content.sentences) if s.text == first]
    found = sentences.rows_with_text({first, shown, content.sentences[linked].text, "Never written."})
    assert found == {first: same, shown: [linked], content.sentences[linked].text: [linked]}


def test_documents_are_read_without_their_texts_which_come_when_asked(on_demand, pg_store) -> None:
    index, content = on_demand
    documents = index.content.documents
    assert all(isinstance(d, StoredDocument) for d in documents)
    texts = documents[0]._texts
    assert texts.fetches == 0  # nothing read at load
    for stored, written in zip(documents, content.documents, strict=True):
        assert (stored.name, stored.meta, stored.sections, stored.sha256, stored.structure) == (
            written.name,
            written.meta,
            written.sections,
            written.sha256,
            written.structure,
        )
        assert stored.characters == len(written.text) and texts.fetches == 0
    assert documents[1].text == content.documents[1].text and texts.fetches == 1
    assert documents[1].text == content.documents[1].text and texts.fetches == 1  # kept
    with psycopg.connect(pg_store.database.url) as conn:  # heads written before: read from the records
        conn.execute("UPDATE rag_documents SET head = NULL")
    again = pg_store.load().content.documents
    assert [(d.name, d.characters, d.structure) for d in again] == [
        (d.name, len(d.text), d.structure) for d in content.documents
    ]
    small = DocumentTexts(pg_store.database.read, texts.table, cache_chars=1)
    for row in (0, 1, 0):
        assert small.text(row) == content.documents[row].text
    assert small.fetches == 3 and len(small._cache) == 1  # only the last text kept when over the bound


def test_a_version_without_a_stored_layout_is_read_whole(on_demand, pg_store: PostgresStore) -> None:
    with psycopg.connect(pg_store.database.url) as conn:  # as written before schema step 9
        conn.execute("UPDATE rag_versions SET sentence_layout = NULL")
    index = pg_store.load()
    assert isinstance(index.content.chunks, tuple) and isinstance(index.content.sentences, tuple)
    assert not any(isinstance(d, StoredDocument) for d in index.content.documents)


def _conversations() -> list[list[str]]:
    cases = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [[t["question"] for t in c["turns"]] if "turns" in c else [c["question"]] for c in cases]


def test_a_replica_reading_on_demand_answers_as_one_that_loaded_everything(
    tmp_path: Path, database_url: str, embedder
) -> None:
    whole_settings = postgres_settings(tmp_path / "a", database_url, database_vector_cache=0)
    ingest_seeds(whole_settings, embedder)
    whole = Pipeline.load(whole_settings, embedder)
    settings = postgres_settings(tmp_path / "b", database_url, database_vector_cache=5_000)
    lazy = Pipeline.load(settings, embedder)
    try:
        chunks, sentences = lazy.index.content.chunks, lazy.index.content.sentences
        assert isinstance(chunks, RowChunks) and isinstance(sentences, RowSentences)
        assert chunks.fetches == sentences.fetches == 0  # start-up read no record
        conversations = _conversations()
        assert sum(len(turns) > 1 for turns in conversations) >= 5
        for turns in conversations:
            history_a: list = []
            history_b: list = []
            for question in turns:
                a, b = whole.ask(question, history_a), lazy.ask(question, history_b)
                assert (a.text, a.citations, a.notes) == (b.text, b.citations, b.notes), question
                history_a += _turn(question, a.text)
                history_b += _turn(question, b.text)
        assert 0 < sentences.fetches < len(sentences)
        assert _api(whole) == _api(lazy)
    finally:
        for pipeline in (whole, lazy):
            pipeline.store.database.close()  # type: ignore[attr-defined]


def _turn(question: str, answer: str) -> list:
    from rag_service.models import Message

    return [Message(role="user", content=question), Message(role="assistant", content=answer)]


def _api(pipeline: Pipeline) -> list:
    """What the read routes answer about the collection's documents."""
    from fastapi.testclient import TestClient

    from rag_service.api.app import create_app

    settings = pipeline.settings.model_copy(update={"api_key": None})
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        listed = client.get("/api/sources").json()
        names = [d["name"] for d in listed]
        shown = [client.get(f"/api/sources/{n}").json() for n in names]
        detail = [client.get(f"/api/documents/{n}").json() for n in names]
        return [listed, shown, detail, client.get("/api/documents").json()["documents"]]


def test_a_nul_character_in_a_question_or_its_history_is_dropped_not_sent_to_the_database(
    tmp_path: Path, database_url: str, embedder
) -> None:
    """PostgreSQL's text type cannot hold NUL, and a follow-up's history quotes are looked up in the
    database: a client's stray NUL must give the answer it would give without it, never a 500."""
    settings = postgres_settings(tmp_path, database_url, database_vector_cache=5_000)
    ingest_seeds(settings, embedder)
    lazy = Pipeline.load(settings, embedder)
    try:
        first = lazy.ask("Who heads Roscosmos?")
        assert not first.not_found
        clean = lazy.ask("And what did he say about Asia?", _turn("Who heads Roscosmos?", first.text))
        marked = first.text.replace(" ", " \x00", 3)
        dirty = lazy.ask("And what did he\x00 say about Asia?", _turn("Who heads\x00 Roscosmos?", marked))
        assert (dirty.text, dirty.citations, dirty.notes) == (clean.text, clean.citations, clean.notes)
        assert "\x00" not in dirty.standalone_question
    finally:
        lazy.store.database.close()  # type: ignore[attr-defined]
