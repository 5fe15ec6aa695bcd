"""Collections in one PostgreSQL database: each has its own versions and current pointer, a search
reads its own version's partition only (isolation holds in SQL, not after it), and the schema step that
added collections keeps an existing index as the default collection's."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from rag_service.collections.names import for_collection
from rag_service.errors import IndexMissingError
from rag_service.ingest import ingest_seeds
from rag_service.retrieval.hybrid import SearchParams
from rag_service.store.factory import make_store
from rag_service.store.postgres import schema
from tests.postgres.conftest import postgres_settings

SECRET = "The strongroom of the northern office opens with the combination seven nine three."


def _collection(settings, name: str, text: str, embedder):
    chosen = for_collection(settings, name)
    chosen.seeds_dir.mkdir(parents=True, exist_ok=True)
    (chosen.seeds_dir / "note.txt").write_text(text, encoding="utf-8")
    store = make_store(chosen)
    ingest_seeds(chosen, embedder, store=store)
    return chosen, store


def test_a_search_never_reads_another_collections_rows(tmp_path: Path, database_url: str, embedder) -> None:
    settings = postgres_settings(tmp_path, database_url)
    ingest_seeds(settings, embedder)  # the default collection: the seeds
    _, secret = _collection(settings, "vault", SECRET, embedder)
    _, plain = _collection(settings, "garden", "Tomatoes need sun and water every day.", embedder)
    assert secret.current_version() != plain.current_version()
    query = "What is the combination of the strongroom of the northern office?"
    vector = embedder.embed_query(query)
    params = SearchParams(top_k=10, candidate_pool=50, rrf_k=60, mode="hybrid")
    for store in (plain, make_store(settings)):  # the secret matches this query best, and is elsewhere
        index = store.load()
        hits = store.retriever(index, 40).search(query, vector, params)
        assert hits and all("strongroom" not in hit.chunk.text for hit in hits)
        assert all(hit.chunk.source in index.documents for hit in hits)
    found = secret.retriever(secret.load(), 40).search(query, vector, params)
    assert "strongroom" in found[0].chunk.text
    with psycopg.connect(database_url) as conn:
        collections = dict(conn.execute(
            "SELECT c.collection, v.collection FROM rag_current c JOIN rag_versions v ON v.id = c.version_id"
        ).fetchall())  # fmt: skip
    assert collections == {"default": "default", "vault": "vault", "garden": "garden"}


def test_dropping_one_collection_leaves_the_others(tmp_path: Path, database_url: str, embedder) -> None:
    settings = postgres_settings(tmp_path, database_url)
    _, one = _collection(settings, "one", SECRET, embedder)
    _, two = _collection(settings, "two", "Tomatoes need sun.", embedder)
    kept = two.current_version()
    one.drop_collection()
    with pytest.raises(IndexMissingError, match="collection one"):
        one.current_version()
    assert two.current_version() == kept and two.load().documents["note.txt"].text.startswith("Tomatoes")
    with psycopg.connect(database_url) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'rag_chunks_v%'")
        ]
    assert len(tables) == 1  # only two's version is left


def test_the_collections_step_keeps_an_existing_index_as_the_default(
    tmp_path: Path, database_url: str, embedder
) -> None:
    """A database written before collections (schema 2) is migrated with its index kept, and served."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE rag_schema (version int NOT NULL)")
        conn.execute("INSERT INTO rag_schema VALUES (0)")
        for step in schema.STEPS[:2]:
            conn.execute(step)
        conn.execute("UPDATE rag_schema SET version = 2")
        conn.execute("""INSERT INTO rag_versions (name, manifest, dimension) VALUES ('v-old', '{}', 384)""")
        conn.execute("INSERT INTO rag_current (only_row, version_id) VALUES (true, 1)")
    assert schema.migrate(database_url, 5) == 2
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT collection, version_id FROM rag_current").fetchall() == [("default", 1)]
        assert conn.execute("SELECT collection FROM rag_versions").fetchall() == [("default",)]
    settings = postgres_settings(tmp_path, database_url)
    assert make_store(settings).current_version() == "v-old"
