"""``PostgresStore``: the ``IndexStore`` protocol over PostgreSQL with pgvector (``RAG_STORE=postgres``).

A version is a row of ``rag_versions`` plus one partition of each data table (``schema``). ``write``
creates the partitions, copies the rows in, builds the version's HNSW index and BM25 postings and points
``rag_current`` at it, all in one transaction: readers see the previous version until the commit and
the new one, complete, after it; an ingest killed part-way is rolled back by the server. Versions older
than the current one and the one before it are dropped afterwards (a reader still serving the previous
version keeps searching it until its next request switches it over). Each collection has its own
versions, current pointer and writer lock; one store object serves one collection. The collection's
document files are rows too (``files``), changed only with a version (``write(files=...)``).

Readers load the current version whole by default (documents, chunks, sentences, vectors); with a
``vector_cache`` they load only what the writer computed over it for them (its manifest, the answerer's
layout, word counts, the documents without their texts) and read chunks, sentences, vectors and texts
as answers need them (``rows``, ``texts``), so a replica's memory and start-up do not grow with the
collection. Chunk search runs in the database (``search.SqlRetriever``) either way, so no process needs
a FAISS index. Nothing is kept on local disk:
any number of service processes can serve one database, and ``RAG_DATABASE_READ_URL`` sends their reads
to a streaming replica. Loads inside ``writer()`` (an ingest reusing the previous version's vectors)
read the primary, which a replica may lag behind.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

import psycopg
from psycopg import sql

from rag_service.errors import IndexMismatchError, IndexMissingError, StoreUnavailableError
from rag_service.retrieval.hybrid import Retriever
from rag_service.retrieval.lexical import LexicalIndex
from rag_service.store.changes import FileChanges, NewFile
from rag_service.store.model import IndexContent, IndexSettings, LoadedIndex, Manifest
from rag_service.store.postgres import files as stored_files
from rag_service.store.postgres import lexicon, reading
from rag_service.store.postgres.database import Database, where
from rag_service.store.postgres.files import StoredFile
from rag_service.store.postgres.lexicon import Lexicon
from rag_service.store.postgres.schema import DATA_TABLES, partition
from rag_service.store.postgres.search import SqlRetriever
from rag_service.store.postgres.write import digest, insert_version, point_at, write_partitions

WRITER_LOCK = 7_261_002
"""First advisory lock key of ``writer()`` (the second is the collection's hash): one ingest of a
collection at a time across every process on the database."""
KEEP_VERSIONS = 2
LOAD_TIMEOUT = 600
"""Seconds each statement of a load may take. Reading a version is a bulk read that grows with the
collection (at 100,000 chunks its 510,000 sentence vectors took longer than the 5 s a request's query
gets, and the replica never became healthy), not a request; a dead server is still noticed at once."""
Lexical = Literal["process", "sql"]


class PostgresStore:
    """An ``IndexStore`` in a PostgreSQL database (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        *,
        lexical: Lexical = "sql",
        collection: str = "default",
        vector_cache: int = 0,
    ) -> None:
        self.database = database
        self.vector_cache = vector_cache
        """Rows of each kind (vectors, chunks, sentences) a served version keeps when it reads them on
        demand (``rows``); 0: load the version whole."""
        self.lexical = lexical
        self.collection = collection
        self._ids: dict[str, int] = {}
        self._lexicons: dict[str, Lexicon | None] = {}
        self._writing = threading.local()
        self._written = 0
        """Id of the last version this process wrote: a load from a lagging replica waits for it."""

    @property
    def where(self) -> str:
        place = f"the database {where(self.database.url)} (RAG_DATABASE_URL)"
        return place if self.collection == "default" else f"collection {self.collection} of {place}"

    def _reads_primary(self) -> bool:
        return bool(getattr(self._writing, "active", False))

    def current_version(self) -> str:
        if self._reads_primary():
            with self.database.connection(write=True) as conn:
                return self._current(conn)[1]
        return self.database.read(self._current)[1]

    def _current(self, conn: psycopg.Connection[Any]) -> tuple[int, str, str]:
        row = conn.execute(
            "SELECT v.id, v.name, v.manifest::text "
            "FROM rag_current c JOIN rag_versions v ON v.id = c.version_id WHERE c.collection = %s",
            (self.collection,),
        ).fetchone()
        if row is None:
            raise IndexMissingError(f"no index in {self.where}: run `rag-service ingest` to build it")
        return int(row[0]), str(row[1]), str(row[2])

    def load(self, wanted: IndexSettings | None = None) -> LoadedIndex:
        for attempt in range(3):
            try:
                with self.database.connection(write=self._reads_primary()) as conn:
                    conn.execute(f"SET statement_timeout = '{LOAD_TIMEOUT}s'")
                    try:
                        return self._load(conn, wanted)
                    finally:  # the connection goes back to the pool with a request's timeout
                        with contextlib.suppress(psycopg.Error):
                            conn.execute("RESET statement_timeout")
            except psycopg.errors.UndefinedTable:
                if attempt == 2:  # retired under us three times: ingests are running back to back
                    raise StoreUnavailableError(
                        f"the index in {self.where} changed while loading: retry in a few seconds"
                    ) from None
        raise AssertionError("unreachable")

    def _caught_up(self, conn: psycopg.Connection[Any]) -> tuple[int, str, str]:
        """The current version as ``conn`` sees it, once it is at least the one this process wrote:
        a replica replays the primary's commit a moment later, and an ingest must not be followed by
        loading the version it replaced."""
        deadline = time.monotonic() + self.database.timeout
        while True:
            try:
                current = self._current(conn)
            except IndexMissingError:
                current = (0, "", "")
            if current[0] >= self._written or self._reads_primary():
                if not current[0]:
                    return self._current(conn)  # raises IndexMissingError with its message
                return current
            if time.monotonic() > deadline:
                raise StoreUnavailableError(
                    f"the read replica (RAG_DATABASE_READ_URL) has not replayed the index version written "
                    f"{self.database.timeout:g} s ago: check replication, or retry in a few seconds"
                )
            time.sleep(0.05)

    def _load(self, conn: psycopg.Connection[Any], wanted: IndexSettings | None) -> LoadedIndex:
        version_id, name, manifest_text = self._caught_up(conn)
        whole = self._reads_primary() or not self.vector_cache  # an ingest reuses every vector

        def vectors(version: int, dimension: int) -> list[Any]:
            return reading.vectors(conn, self.database, version, dimension, 0 if whole else self.vector_cache)

        on_demand = None if whole else (self.database.read, self.vector_cache)
        index = reading.version(conn, version_id, name, manifest_text, wanted, self.where, vectors, on_demand)
        self._ids[name] = version_id
        self._lexicons[name] = lexicon.load(conn, version_id)
        return index

    def write(
        self,
        content: IndexContent,
        settings: IndexSettings,
        skipped: tuple[dict[str, str], ...] = (),
        files: FileChanges | None = None,
    ) -> str:
        """A new current version of ``content``; ``files`` (uploads, deletions, imports) are stored in
        the same transaction, so a document's file and its index entries appear and go together."""
        manifest = Manifest.of(content, settings, skipped)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"v-{stamp}-{digest(content, manifest, self.collection)}"
        with self.database.connection(write=True) as conn, conn.transaction():
            existing = conn.execute("SELECT id FROM rag_versions WHERE name = %s", (name,)).fetchone()
            if files:
                stored_files.apply(conn, self.collection, files)
            if existing is not None:  # the same content written twice within a second
                point_at(conn, int(existing[0]), self.collection)
                self._written = int(existing[0])
                return name
            version_id = insert_version(conn, name, manifest, self.collection)
            write_partitions(conn, version_id, content, settings)
            point_at(conn, version_id, self.collection)
        self._written = version_id
        self._prune()
        return name

    def _prune(self) -> None:
        """Drop this collection's versions older than its current one and the one before (best effort)."""
        try:
            with self.database.connection(write=True) as conn, conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                current = conn.execute(
                    "SELECT version_id FROM rag_current WHERE collection = %s", (self.collection,)
                ).fetchone()
                rows = conn.execute(
                    "SELECT id FROM rag_versions WHERE collection = %s ORDER BY id DESC", (self.collection,)
                ).fetchall()
                keep = {current[0] if current else None, *[r[0] for r in rows[:KEEP_VERSIONS]]}
                for (version_id,) in rows:
                    if version_id not in keep:
                        _drop_version(conn, version_id)
        except (psycopg.errors.LockNotAvailable, StoreUnavailableError):
            pass  # readers busy on an old version, or the database gone: the next write prunes

    def drop_collection(self) -> None:
        """Delete every version of this collection and its current pointer (the collection is deleted)."""
        with self.database.connection(write=True) as conn, conn.transaction():
            conn.execute("DELETE FROM rag_current WHERE collection = %s", (self.collection,))
            conn.execute(
                "DELETE FROM rag_job_attempts a USING rag_jobs j WHERE a.job_id = j.id AND j.collection = %s",
                (self.collection,),
            )
            conn.execute("DELETE FROM rag_jobs WHERE collection = %s", (self.collection,))  # and their files
            stored_files.drop(conn, self.collection)
            rows = conn.execute("SELECT id FROM rag_versions WHERE collection = %s", (self.collection,))
            for (version_id,) in rows.fetchall():
                _drop_version(conn, version_id)

    def stored_files(self) -> dict[str, StoredFile]:
        """The collection's document files (without their bytes), from the primary inside ``writer()``."""
        if self._reads_primary():
            with self.database.connection(write=True) as conn:
                return stored_files.listing(conn, self.collection)
        return self.database.read(lambda conn: stored_files.listing(conn, self.collection))

    def stored_file(self, name: str) -> NewFile | None:
        """One document file's bytes and sidecar; None when the collection has no file of that name."""
        if self._reads_primary():
            with self.database.connection(write=True) as conn:
                return stored_files.content(conn, self.collection, name)
        return self.database.read(lambda conn: stored_files.content(conn, self.collection, name))

    def document_hashes(self, wanted: IndexSettings) -> dict[str, str]:
        """Name -> source hash of each document of the current version, when it was built with
        ``wanted`` (else, or with no readable version, nothing is up to date: {}); reads no vector."""
        with self.database.connection(write=True) as conn:
            try:
                current = self._current(conn)
            except IndexMissingError:
                return {}
            return reading.document_hashes(conn, current, wanted, self.where)

    def stored_sidecar(self, name: str) -> bytes | None:
        """The metadata sidecar stored with document file ``name``; None when it has none."""
        return self.database.read(lambda conn: stored_files.sidecar(conn, self.collection, name))

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """The collection's writer lock, across every process on the database (collections are written
        independently). A killed writer's transaction was rolled back by the server and its lock freed
        with its connection, so there is nothing to clean up on entry."""
        key = (WRITER_LOCK, self.collection)
        with self.database.connection(write=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
            self._writing.active = True
            try:
                yield
            finally:
                self._writing.active = False
                with contextlib.suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)

    def retriever(self, index: LoadedIndex, ef_search: int | None = None) -> Retriever:
        version_id = self._ids.get(index.version)
        if version_id is None:
            raise IndexMismatchError(f"index version {index.version} was not loaded from {self.where}")
        statistics = self._lexicons.get(index.version) if self.lexical == "sql" else None
        lexical: LexicalIndex | Lexicon = statistics or LexicalIndex([c.text for c in index.content.chunks])
        return SqlRetriever(
            self.database,
            index.content.chunks,
            partition("rag_chunks", version_id),
            index.manifest.settings.dimension,
            lexical,
            ef_search or 40,
        )


def _drop_version(conn: psycopg.Connection[Any], version_id: int) -> None:
    for table in DATA_TABLES:
        name = partition(table, version_id)
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.execute("DELETE FROM rag_versions WHERE id = %s", (version_id,))
