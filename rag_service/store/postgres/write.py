"""Writing one index version into PostgreSQL: its row, one partition of each data table filled by
``COPY``, the version's HNSW index and BM25 statistics (``lexicon``), and the pointer that makes it
current. ``PostgresStore.write`` runs these in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from rag_service.answer.layout import SentenceLayout
from rag_service.answer.markdown_safe import link_text
from rag_service.models import Chunk, Document, Sentence
from rag_service.retrieval.lexical import DF_TERMS, sentence_frequencies
from rag_service.store.model import IndexContent, IndexSettings, Manifest
from rag_service.store.postgres import copy, lexicon
from rag_service.store.postgres.schema import partition
from rag_service.store.records import chunk_record, document_record, sentence_record

BUILD_MEMORY_CAP_MB = 8192


def build_memory(rows: int, dimension: int, hnsw_m: int) -> str:
    """``maintenance_work_mem`` for building an HNSW index over ``rows`` vectors: room for the whole
    graph (each element holds its vector and up to ``2m`` neighbour ids on layer 0), so pgvector never
    falls back to its on-disk build, which crawls (measured here: a 1M-vector build went from 30k to
    8k vectors a minute once its graph outgrew 1 GB). An upper bound the build may use, not an
    allocation; capped at 8 GB."""
    per_row = 4 * dimension + 6 * 2 * hnsw_m * 2 + 96  # vector, neighbour tids on ~2 layers, headers
    megabytes = int(rows * per_row * 1.25 / 2**20) + 64
    return f"{min(BUILD_MEMORY_CAP_MB, max(64, megabytes))}MB"


def digest(content: IndexContent, manifest: Manifest, collection: str) -> str:
    """A digest of a version's content and collection: the same files in two collections make two
    versions, each deleted with its own collection."""
    digest = hashlib.sha256(
        orjson.dumps(
            {
                "collection": collection,
                "sources": manifest.sources,
                "counts": manifest.counts,
                "skipped": manifest.skipped,
            }
        )
    )
    for vectors in (content.chunk_vectors, content.sentence_vectors, content.window_vectors):
        digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    for chunk in content.chunks:
        digest.update(f"{chunk.source}\0{chunk.start}\0{chunk.end}\0{chunk.header}\n".encode())
    return digest.hexdigest()[:10]


def insert_version(conn: psycopg.Connection[Any], name: str, manifest: Manifest, collection: str) -> int:
    row = conn.execute(
        "INSERT INTO rag_versions (name, manifest, dimension, collection) VALUES (%s, %s, %s, %s) "
        "RETURNING id",
        (name, Jsonb(manifest.as_record()), manifest.settings.dimension, collection),
    ).fetchone()
    assert row is not None
    return int(row[0])


def write_partitions(
    conn: psycopg.Connection[Any], version_id: int, content: IndexContent, settings: IndexSettings
) -> None:
    """Every partition and statistic of version ``version_id`` holding ``content``."""
    copy_rows(
        conn,
        version_id,
        content.documents,
        zip(content.chunks, content.chunk_vectors, strict=True),
        zip(content.sentences, content.sentence_vectors, strict=True),
        content.window_vectors,
    )
    build_indexes(conn, version_id, len(content.chunks), settings)
    write_statistics(
        conn,
        version_id,
        (c.text for c in content.chunks),
        sentence_frequencies(s.text for s in content.sentences),
        len(content.sentences),
        SentenceLayout.of_content(content, settings),
    )


def copy_rows(
    conn: psycopg.Connection[Any],
    version_id: int,
    documents: Iterable[Document],
    chunks: Iterable[tuple[Chunk, np.ndarray]],
    sentences: Iterable[tuple[Sentence, np.ndarray]],
    windows: Iterable[np.ndarray],
) -> None:
    """Create the version's data partitions and COPY its rows in, streamed (nothing held twice)."""
    for table in ("rag_documents", "rag_chunks", "rag_sentences", "rag_windows"):
        name = sql.Identifier(partition(table, version_id))
        conn.execute(
            sql.SQL("CREATE TABLE {} PARTITION OF {} FOR VALUES IN ({})").format(
                name, sql.Identifier(table), sql.Literal(version_id)
            )
        )
        if table != "rag_documents":  # vectors inline (schema step 2), whatever the partition inherited
            conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN embedding SET STORAGE PLAIN").format(name))
    copy.write_rows(
        conn,
        partition("rag_documents", version_id),
        ("version_id", "n", "name", "record", "head"),
        ("int8", "int4", "text", "jsonb", "jsonb"),
        ((version_id, n, d.name, *_document_records(d)) for n, d in enumerate(documents)),
    )
    copy.write_rows(
        conn,
        partition("rag_chunks", version_id),
        ("version_id", "n", "record", "text", "embedding"),
        ("int8", "int4", "jsonb", "text", "vector"),
        ((version_id, n, chunk_record(c), c.text, v) for n, (c, v) in enumerate(chunks)),
    )
    copy.write_rows(
        conn,
        partition("rag_sentences", version_id),
        ("version_id", "n", "record", "embedding"),
        ("int8", "int4", "jsonb", "vector"),
        ((version_id, n, _sentence_record(s), v) for n, (s, v) in enumerate(sentences)),
    )
    copy.write_rows(
        conn,
        partition("rag_windows", version_id),
        ("version_id", "n", "embedding"),
        ("int8", "int4", "vector"),
        ((version_id, n, v) for n, v in enumerate(windows)),
    )


def build_indexes(
    conn: psycopg.Connection[Any], version_id: int, chunks: int, settings: IndexSettings
) -> None:
    """The version's HNSW index over its ``chunks`` chunk vectors, and its sentences' text indexes."""
    sentences = sql.Identifier(partition("rag_sentences", version_id))
    for key in ("text", "shown"):  # a follow-up finds the sentences its history quoted (``RowSentences``)
        conn.execute(sql.SQL("CREATE INDEX ON {} (md5(record->>{}))").format(sentences, sql.Literal(key)))
    table = sql.Identifier(partition("rag_chunks", version_id))
    memory = build_memory(chunks, settings.dimension, settings.hnsw_m)
    conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(memory)))
    conn.execute(
        sql.SQL(
            "CREATE INDEX ON {} USING hnsw ((embedding::vector({})) vector_cosine_ops) "
            "WITH (m = {}, ef_construction = {})"
        ).format(
            table,
            sql.Literal(settings.dimension),
            sql.Literal(settings.hnsw_m),
            sql.Literal(max(64, 2 * settings.hnsw_m)),
        )
    )
    conn.execute(sql.SQL("ANALYZE {}").format(table))


def write_statistics(
    conn: psycopg.Connection[Any],
    version_id: int,
    chunk_texts: Iterable[str],
    sentence_df: dict[str, int],
    sentences: int,
    layout: SentenceLayout,
) -> None:
    """What readers would otherwise compute over the whole version: BM25's postings and term
    statistics (``lexicon``), the word counts over its ``sentences`` sentences and the answerer's
    layout."""
    lexicon.write(conn, version_id, chunk_texts)
    conn.execute(
        "UPDATE rag_versions SET sentence_df = %s, sentence_layout = %s WHERE id = %s",
        (
            orjson.dumps({"terms": DF_TERMS, "sentences": sentences, "df": sentence_df}),
            layout.to_bytes(),
            version_id,
        ),
    )


def _document_records(d: Document) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document's record, and its head: the record without its text, with the text's length."""
    record = document_record(d)
    return record, {**{k: v for k, v in record.items() if k != "text"}, "characters": len(d.text)}


def _sentence_record(s: Sentence) -> dict[str, Any]:
    """A sentence's record, with how an answer shows it (``link_text``: Markdown and reStructuredText links
    as their text) when that differs."""
    record = sentence_record(s)
    shown = link_text(s.text)
    return record if shown == s.text else {**record, "shown": shown}


def point_at(conn: psycopg.Connection[Any], version_id: int, collection: str) -> None:
    conn.execute(
        "INSERT INTO rag_current (collection, version_id) VALUES (%s, %s) "
        "ON CONFLICT (collection) DO UPDATE SET version_id = excluded.version_id",
        (collection, version_id),
    )
