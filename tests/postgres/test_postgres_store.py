"""The PostgreSQL store beyond the shared contract: schema, versions, incremental ingest, errors, and
the same answers as the file store. Every test runs against a real PostgreSQL 18 with pgvector."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from rag_service.config import load_settings
from rag_service.errors import ConfigError, IndexMissingError, StoreUnavailableError
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.factory import make_store
from rag_service.store.postgres import schema
from rag_service.store.postgres.database import Database
from rag_service.store.postgres.local import free_port
from rag_service.store.postgres.store import PostgresStore
from tests.conftest import ROOT, make_settings
from tests.postgres.conftest import postgres_settings


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'rag_%'")}


def test_the_schema_is_created_once_and_its_version_recorded(database_url: str) -> None:
    assert schema.migrate(database_url, 5) == 0
    assert schema.migrate(database_url, 5) == schema.SCHEMA_VERSION  # already there: nothing applied
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT version FROM rag_schema").fetchone() == (schema.SCHEMA_VERSION,)
        assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    assert {"rag_versions", "rag_current", "rag_chunks", "rag_sentences"} <= _tables(database_url)


def test_a_newer_schema_is_refused(database_url: str) -> None:
    schema.migrate(database_url, 5)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE rag_schema SET version = %s", (schema.SCHEMA_VERSION + 1,))
    with pytest.raises(ConfigError, match="newer than this rag-service"):
        schema.migrate(database_url, 5)


def test_each_version_has_its_own_hnsw_index_and_bm25_postings_and_old_ones_are_dropped(
    tmp_path: Path, database_url: str, embedder
) -> None:
    settings = postgres_settings(tmp_path, database_url)
    store = make_store(settings)
    versions = []
    for n in range(3):
        (settings.seeds_dir / "extra.txt").write_text(
            f"Lunar base number {n} needs water ice.", encoding="utf-8"
        )
        versions.append(ingest_seeds(settings, embedder, store=store).version)
    assert store.current_version() == versions[-1]
    with psycopg.connect(database_url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM rag_versions ORDER BY id")]
        indexes = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'rag_chunks_v%'"
        ).fetchall()
        postings = conn.execute(
            "SELECT p.term, length(p.chunks) / 4, get_byte(p.tfs, 1), p.df FROM rag_term_postings p "
            "JOIN rag_current c USING (version_id) WHERE p.term = 'lunar'"
        ).fetchall()
    assert names == versions[1:]  # the current one and the one before it
    tables = _tables(database_url)
    for table in ("rag_chunks", "rag_sentences", "rag_windows", "rag_documents", "rag_term_postings"):
        assert len({t for t in tables if re.fullmatch(table + r"_v\d+", t)}) == 2, table
    methods = [re.search(r"USING (\w+)", d).group(1) for (d,) in indexes]  # type: ignore[union-attr]
    assert methods.count("hnsw") == 2 and "gin" not in methods
    assert postings == [("lunar", 1, 1, 1)]  # only extra.txt says "Lunar", once
    assert all("vector_cosine_ops" in d and "vector(384)" in d for (d,) in indexes if "hnsw" in d)
    with psycopg.connect(database_url) as conn:  # vectors inline: an exact scan never detoasts them
        storage = conn.execute(
            "SELECT DISTINCT a.attstorage FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname ~ '^rag_(chunks|sentences|windows)' AND c.relkind IN ('r', 'p') "
            "AND a.attname = 'embedding'"
        ).fetchall()
    assert storage == [("p",)]


def test_ingest_is_incremental_by_content_hash(tmp_path: Path, database_url: str, counting_embedder) -> None:
    settings = postgres_settings(tmp_path, database_url)
    store = make_store(settings)
    first = ingest_seeds(settings, counting_embedder, store=store)
    again = ingest_seeds(settings, counting_embedder, store=store)
    assert again.version == first.version and again.embedded == 0
    (settings.seeds_dir / "extra.txt").write_text("Lunar bases need water ice.", encoding="utf-8")
    changed = ingest_seeds(settings, counting_embedder, store=store)
    assert changed.version != first.version and changed.added == ["extra.txt"]
    assert counting_embedder.embedded[-1] == 1  # the new document's one passage only


def test_the_same_questions_get_the_same_answers_and_citations_from_both_stores(
    tmp_path: Path, database_url: str, embedder
) -> None:
    files = make_settings(tmp_path / "files")
    ingest_seeds(files, embedder)
    database = postgres_settings(tmp_path / "db", database_url)
    ingest_seeds(database, embedder)
    on_files, on_database = Pipeline.load(files, embedder), Pipeline.load(database, embedder)
    assert on_database.index.faiss_index is None  # it searches in SQL
    cases = [
        json.loads(line) for line in (ROOT / "eval" / "seeds.jsonl").read_text().splitlines() if line.strip()
    ]
    questions = [c["question"] for c in cases if "question" in c]
    assert len(questions) >= 40
    for question in questions:
        a, b = on_files.ask(question), on_database.ask(question)
        assert (a.text, a.not_found) == (b.text, b.not_found), question
        assert [(c.source, c.start, c.end) for c in a.citations] == [
            (c.source, c.start, c.end) for c in b.citations
        ]
        assert [h.chunk.id for h in a.retrieved] == [h.chunk.id for h in b.retrieved]


def test_an_unreachable_database_is_a_clear_503_error_without_the_password() -> None:
    port = free_port()  # nothing listens there
    store = PostgresStore(Database(f"postgresql://rag:s3cret-pw@127.0.0.1:{port}/ragdb", timeout=1))
    for call in (store.current_version, store.load):
        with pytest.raises(StoreUnavailableError) as caught:
            call()
        message = str(caught.value)
        assert f"127.0.0.1:{port}/ragdb" in message and "retry" in message
        assert "s3cret-pw" not in message and "rag:" not in message


def test_postgres_needs_a_url_and_never_echoes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_STORE", "postgres")
    with pytest.raises(ConfigError, match="RAG_DATABASE_URL"):
        load_settings()
    monkeypatch.setenv("RAG_DATABASE_URL", "postgresql://rag:s3cret-pw@db/rag")
    monkeypatch.setenv("RAG_DATABASE_TIMEOUT", "-1")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "RAG_DATABASE_TIMEOUT" in str(caught.value) and "s3cret-pw" not in str(caught.value)


def test_throw_away_evaluation_indexes_never_touch_the_configured_database(tmp_path: Path, embedder) -> None:
    """``eval-qa`` and the benchmarks build temporary indexes; with RAG_STORE=postgres they must still go
    to files (here the database cannot even be reached, so any attempt would fail)."""
    from rag_service.evaluation.qa import corpus_pipeline

    unreachable = f"postgresql://rag:pw@127.0.0.1:{free_port()}/rag"
    settings = postgres_settings(tmp_path, unreachable, database_timeout=1)
    with corpus_pipeline([("a.txt", "Lunar bases need water ice.")], settings, embedder, progress=False) as p:
        assert p.index.faiss_index is not None and "a.txt" in p.index.documents


def test_a_query_slower_than_the_timeout_is_a_503_error_not_a_hang(
    pg_store: PostgresStore, tmp_path: Path
) -> None:
    import time

    pg_store.database.timeout = 1
    with pytest.raises(IndexMissingError):  # creates the schema; no index yet
        pg_store.current_version()
    with psycopg.connect(pg_store.database.url) as blocker:
        blocker.execute("LOCK TABLE rag_current IN ACCESS EXCLUSIVE MODE")  # held until the block ends
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="did not answer within 1 s"):
            pg_store.current_version()
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("vector_cache", [0, 100_000])
def test_clapnq_questions_get_the_same_answers_and_citations_from_both_stores(
    tmp_path: Path, database_url: str, embedder, vector_cache: int
) -> None:
    """Questions of the public ClapNQ set over its Wikipedia passages (documents nobody tuned the store
    on), answered through both stores: same abstentions, answers, citations and retrieved passages,
    with the database's vectors loaded whole or read as answers need them."""
    from rag_service.evaluation.qa import load_qa
    from tests.test_qa_eval import _slice

    files, questions = load_qa(_slice(tmp_path, questions=40, extra_passages=80))
    for folder in ("files", "db"):
        (tmp_path / folder / "seeds").mkdir(parents=True)
        for name, text in files:
            (tmp_path / folder / "seeds" / name).write_text(text, encoding="utf-8")
    on_files = make_settings(tmp_path / "files")
    on_database = postgres_settings(tmp_path / "db", database_url, database_vector_cache=vector_cache)
    for settings in (on_files, on_database):
        ingest_seeds(settings, embedder)
    a_pipeline, b_pipeline = Pipeline.load(on_files, embedder), Pipeline.load(on_database, embedder)
    assert len(a_pipeline.index.content.documents) == len(files) > 100
    declined = 0
    for q in questions:
        a, b = a_pipeline.ask(q.question), b_pipeline.ask(q.question)
        assert (a.text, a.not_found) == (b.text, b.not_found), q.question
        assert [(c.source, c.start, c.end) for c in a.citations] == [
            (c.source, c.start, c.end) for c in b.citations
        ]
        assert [h.chunk.id for h in a.retrieved] == [h.chunk.id for h in b.retrieved]
        declined += a.not_found
    assert len(questions) == 40 and 0 < declined < 40  # both kinds of outcome were compared


def test_a_write_that_fails_part_way_stores_none_of_its_files(
    tmp_path: Path, database_url: str, embedder, monkeypatch
) -> None:
    """Uploads ride in the version's transaction: a crash after the file rows were written and before
    the version is current (here: copying the window vectors) leaves neither."""
    from rag_service.ingest import index_settings
    from rag_service.store.changes import FileChanges, NewFile
    from rag_service.store.postgres import copy
    from tests.contracts.store import _content

    settings = postgres_settings(tmp_path, database_url)
    store = make_store(settings)
    wanted = index_settings(settings, embedder)
    with store.writer():
        version = store.write(_content(settings, embedder), wanted)
    real = copy.write_rows

    def crash_on_windows(conn, table, *args, **kwargs):
        if table.startswith("rag_windows"):
            raise RuntimeError("simulated crash while copying the window vectors")
        return real(conn, table, *args, **kwargs)

    monkeypatch.setattr(copy, "write_rows", crash_on_windows)
    upload = FileChanges({"extra.txt": NewFile(b"A document that never lands.")})
    with pytest.raises(RuntimeError, match="simulated"), store.writer():
        store.write(_content(settings, embedder, "A document that never lands."), wanted, files=upload)
    monkeypatch.undo()
    assert store.current_version() == version
    assert store.stored_files() == {}  # type: ignore[attr-defined]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM rag_files").fetchone() == (0,)
