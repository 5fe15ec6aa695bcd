"""Reading one stored version of a collection back (``PostgresStore.load``): its records, its vectors
whole or on demand, and the documents' hashes alone.

Kept apart from ``store`` (which decides *which* version to read, waits for a lagging replica and
retries a version retired under it) because this half only turns a version's partitions into values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import psycopg
from psycopg import sql

from rag_service.answer.layout import SentenceLayout
from rag_service.errors import IndexMismatchError
from rag_service.models import Document
from rag_service.retrieval.lexical import DF_TERMS
from rag_service.store.checks import RERUN, inconsistency
from rag_service.store.model import IndexContent, IndexSettings, LoadedIndex, Manifest
from rag_service.store.postgres import copy
from rag_service.store.postgres.database import Database
from rag_service.store.postgres.rows import Reader, RowChunks, RowSentences
from rag_service.store.postgres.schema import partition, rows_of
from rag_service.store.postgres.texts import DocumentTexts, StoredDocument
from rag_service.store.postgres.vectors import RowVectors
from rag_service.store.records import chunk_from, document_from, sentence_from


def version(
    conn: psycopg.Connection[Any],
    version_id: int,
    name: str,
    manifest_text: str,
    wanted: IndexSettings | None,
    where: str,
    vectors: Callable[[int, int], list[Any]],
    on_demand: tuple[Reader, int] | None = None,
) -> LoadedIndex:
    """Version ``version_id`` (``name``) as a ``LoadedIndex``, its vectors from ``vectors(version_id,
    dimension)``; refused when built for another model than ``wanted`` or damaged. With ``on_demand``
    (``Database.read`` and a cache size) and a stored layout, chunks and sentences are read as answers
    need them (``rows.RowRecords``), not at start-up; documents are read whole."""
    manifest = Manifest.from_record(orjson.loads(manifest_text), where)
    if wanted is not None:
        problem = manifest.settings.difference(wanted, serving_only=True)
        if problem:
            raise IndexMismatchError(f"{problem}: {RERUN} with the configured model")
    counted, layout = derived(conn, version_id, manifest.counts)
    try:
        chunk_vectors, sentence_vectors, window_vectors = vectors(version_id, manifest.settings.dimension)
        if on_demand is not None and layout is not None:
            read, cache = on_demand
            documents = _stored_documents(conn, read, partition("rag_documents", version_id))
            table = partition("rag_chunks", version_id)
            chunks: Sequence[Any] = RowChunks(read, table, len(chunk_vectors), cache)
            table = partition("rag_sentences", version_id)
            sentences: Sequence[Any] = RowSentences(read, table, len(sentence_vectors), cache)
        else:
            documents = tuple(
                map(document_from, copy.read_records(conn, partition("rag_documents", version_id)))
            )
            chunks = tuple(map(chunk_from, copy.read_records(conn, partition("rag_chunks", version_id))))
            sentences = tuple(
                map(sentence_from, copy.read_records(conn, partition("rag_sentences", version_id)))
            )
        content = IndexContent(documents, chunks, sentences, chunk_vectors, sentence_vectors, window_vectors)
    except (ValueError, KeyError, TypeError) as exc:
        reason = f"index version {name} cannot be read ({type(exc).__name__}): {RERUN}"
        raise IndexMismatchError(reason) from exc
    problem = inconsistency(manifest, content)
    if problem:
        raise IndexMismatchError(f"index version {name} is damaged ({problem}): {RERUN}")
    return LoadedIndex(content, None, manifest, name, counted, layout)


def _stored_documents(conn: psycopg.Connection[Any], read: Reader, table: str) -> tuple[Document, ...]:
    """The documents of ``table`` without their texts, which are read when asked (``texts``)."""
    texts = DocumentTexts(read, table)
    rows = conn.execute(sql.SQL("SELECT n, head::text {} ORDER BY n").format(rows_of(table))).fetchall()
    if any(head is None for _, head in rows):  # written before its head was: read the records' texts
        head = "record - 'text' || jsonb_build_object('characters', length(record->>'text'))"
        query = sql.SQL("SELECT n, (" + head + ")::text {} ORDER BY n")
        rows = conn.execute(query.format(rows_of(table))).fetchall()
    heads = [(int(n), orjson.loads(head)) for n, head in rows]
    return tuple(StoredDocument(head, int(head["characters"]), n, texts) for n, head in heads)


def derived(
    conn: psycopg.Connection[Any], version_id: int, counts: Mapping[str, int]
) -> tuple[dict[str, int] | None, SentenceLayout | None]:
    """What the writer computed over the version's records for its readers: the word counts over
    sentences (schema step 8) and the answerer's layout (step 9). Each is None for a version written
    before, or computed another way or over other records than ``counts`` says the version has (the
    answerer computes it then)."""
    row = conn.execute(
        "SELECT sentence_df, sentence_layout FROM rag_versions WHERE id = %s", (version_id,)
    ).fetchone()
    if row is None:
        return None, None
    counted = None
    if row[0] is not None:
        stored = orjson.loads(bytes(row[0]))
        if stored.get("terms") == DF_TERMS and stored.get("sentences") == counts.get("sentences"):
            counted = {str(term): int(df) for term, df in stored["df"].items()}
    layout = SentenceLayout.from_bytes(bytes(row[1]), counts) if row[1] is not None else None
    return counted, layout


def vectors(
    conn: psycopg.Connection[Any], database: Database, version_id: int, dimension: int, cache: int
) -> list[Any]:
    """The version's chunk, sentence and window vectors: read whole with ``cache`` 0, else fetched as
    answers need them through ``database``, ``cache`` rows of each kind kept (``RowVectors``)."""
    tables = [partition(t, version_id) for t in ("rag_chunks", "rag_sentences", "rag_windows")]
    if not cache:
        return [copy.read_vectors(conn, table, dimension) for table in tables]
    # One row of three counts, not three rows of a UNION ALL: PostgreSQL may run a UNION's branches in
    # parallel and return their rows in any order (it did at 100,000 chunks, and the version was refused).
    # Rows are numbered from 0, so the highest number counts them, read off the primary key's index: a
    # count(*) would scan every vector (8 GB of sentence rows at a million chunks). A row missing below
    # it is found when fetched ("lacks rows"), and the record counts are checked against the manifest.
    count = sql.SQL("(SELECT coalesce(max(n) + 1, 0) {})")
    row = conn.execute(
        sql.SQL("SELECT ") + sql.SQL(", ").join(count.format(rows_of(t)) for t in tables)
    ).fetchone()
    assert row is not None
    return [  # a sentence's neighbours are scored with it: read two either side along
        RowVectors(database.read, table, int(rows), dimension, cache, around)
        for table, rows, around in zip(tables, row, (0, 2, 0), strict=True)
    ]


def document_hashes(
    conn: psycopg.Connection[Any], current: tuple[int, str, str], wanted: IndexSettings, where: str
) -> dict[str, str]:
    """Name -> source hash of each document of version ``current`` (id, name, manifest) when it was
    built with ``wanted``; {} otherwise (nothing of it can be reused)."""
    version_id, _, manifest_text = current
    try:
        settings = Manifest.from_record(orjson.loads(manifest_text), where).settings
    except IndexMismatchError:
        return {}
    if settings.difference(wanted) is not None:
        return {}
    rows = conn.execute(
        sql.SQL("SELECT name, record->>'sha256' FROM {}").format(
            sql.Identifier(partition("rag_documents", version_id))
        )
    )
    return {name: sha for name, sha in rows}
