"""Ingest spread over worker processes (``RAG_STORE=postgres``): the slow part, reading and embedding
files, runs on as many machines as run ``rag-service worker``.

``enqueue`` (``rag-service ingest --queue``) looks at the collection as an ingest would (its stored
files, plus the new and changed files of the documents folder) and makes a job of every file whose
document is missing from the current version or out of date. Workers claim the job's files one at a
time (``store.postgres.jobs``: ``FOR UPDATE SKIP LOCKED``, the claim held while the file is worked on,
so a worker killed mid-file loses nothing: the file is claimed again). For each file a worker stores
the document it extracted and the vectors of its texts, keyed as ``embedding.passages`` keys them.
When no file is pending, one worker finalizes: an ordinary incremental ingest (``ingest_seeds``) that
takes those documents and vectors instead of reading and embedding again, and writes the version in
one transaction as always. A file's vectors depend on that file alone (a worker embeds one document
per pass), so one, two or three workers build the identical index.

A file that cannot be read is recorded as failed with the reason, and so is one whose reading raises
anything else (a parser's bug: the traceback goes to the worker's log). A file that takes its worker
down with it (killed, out of memory, a crash in native code) rolls its claim back; each claim is
counted apart (``jobs.count_attempt``), and the worker that finds a file claimed ``jobs.MAX_ATTEMPTS``
times records it as failed instead of reading it once more, so one bad file never stalls a job; a
job whose finalizing took its worker down that many times is closed as failed, with that reason.
Progress is kept per file, not within a file.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from rag_service.config import Settings
from rag_service.documents.files import SkippedFile, SourceFile
from rag_service.embedding.base import Embedder
from rag_service.embedding.passages import vector_cache
from rag_service.errors import (
    DocumentError,
    RagError,
    StoreUnavailableError,
)
from rag_service.ingest import IngestReport, build_content, index_settings, ingest_seeds, read_options
from rag_service.ingest_sources import DatabaseSources, Staged
from rag_service.store.changes import FileChanges, NewFile
from rag_service.store.factory import make_store
from rag_service.store.postgres import jobs, schema
from rag_service.store.postgres.jobs import FileResult, JobFile
from rag_service.store.postgres.store import PostgresStore
from rag_service.store.protocol import IndexStore
from rag_service.store.records import document_from, document_record

log = logging.getLogger(__name__)
WORKER_NAME = "rag-service worker"
TALLY_NAME = "rag-service claims"


def _require_postgres(settings: Settings) -> None:
    if settings.store != "postgres":
        raise RagError(
            "ingest jobs and workers need RAG_STORE=postgres: the files store ingests in one process"
        )


def _store(settings: Settings, collection: str | None = None) -> PostgresStore:
    _require_postgres(settings)
    if collection is not None and collection != settings.collection:
        settings = settings.model_copy(update={"collection": collection})
    store = make_store(settings)
    assert isinstance(store, PostgresStore)
    return store


def enqueue(settings: Settings, embedder: Embedder) -> tuple[int, list[SkippedFile]]:
    """A job for the collection's files that need reading; returns its id and the folder's unreadable
    files. A job with no file is finalized by the first worker that sees it (the folder may have had
    only unchanged files: the version then stays as it is)."""
    store = _store(settings)
    options = read_options(settings)
    origin = DatabaseSources(store, settings.seeds_dir)
    sources, skipped = origin.scan(options)
    wanted = index_settings(settings, embedder)
    indexed = store.document_hashes(wanted)  # not the version itself: its vectors are not needed here
    todo = [
        (s.name, s.sha256, origin.changes.puts.get(s.name))
        for s in sources
        if s.name in origin.changes.puts or indexed.get(s.name) != s.sha256
    ]
    with store.database.connection(write=True) as conn:
        return jobs.create(conn, store.collection, wanted.as_record(), todo), skipped


def latest_job(store: IndexStore, job: int | None = None) -> dict[str, Any] | None:
    """The progress of ``store``'s collection's latest job, or of ``job`` (``jobs.progress``); None
    when there is none."""
    assert isinstance(store, PostgresStore)
    return store.database.read(lambda conn: jobs.progress(conn, store.collection, job))


def process(file: JobFile, settings: Settings, embedder: Embedder) -> FileResult:
    """Read and embed one claimed file, as an ingest would, on its own."""
    started = time.perf_counter()
    store = _store(settings, file.collection)
    options = read_options(settings)
    new = NewFile(file.content, file.sidecar) if file.content is not None else store.stored_file(file.name)
    if new is None:
        return _failed(file.sha256, f"{file.name}: deleted before a worker read it", embedder.dimension)
    sha = new.source_hash(options.ocr_state())
    try:
        origin = DatabaseSources(store, None, FileChanges({file.name: new}))
        document = origin.load(SourceFile(file.name, Path(file.name), sha), options)
    except DocumentError as exc:
        return _failed(sha, str(exc), embedder.dimension, time.perf_counter() - started)
    content = build_content([document], embedder, settings)
    cache = vector_cache(content.chunks, content.sentences, content.chunk_vectors, content.sentence_vectors)
    keys = list(cache)
    vectors = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    seconds = time.perf_counter() - started
    return FileResult(sha, document_record(document), keys, vectors, len(content.chunks), seconds)


def _failed(sha: str, reason: str, dimension: int, seconds: float = 0.0) -> FileResult:
    return FileResult(sha, None, [], np.zeros((0, dimension), dtype=np.float32), 0, seconds, reason)


def finalize(
    conn: psycopg.Connection[Any], settings: Settings, embedder: Embedder, job_id: int, collection: str
) -> IngestReport:
    """Write the version of a job whose files are all done (inside its ``claim_finalizing`` block)."""
    documents: dict[str, tuple[str, Any]] = {}
    vectors: dict[str, np.ndarray] = {}
    puts: dict[str, NewFile] = {}
    for name, sha, record, reason, keys, matrix, content, sidecar in jobs.staged(
        conn, job_id, embedder.dimension
    ):
        documents[name] = (sha, document_from(record) if record is not None else reason)
        vectors.update(zip(keys, matrix, strict=True))
        if content is not None:
            puts[name] = NewFile(content, sidecar)
    if collection != settings.collection:
        settings = settings.model_copy(update={"collection": collection})
    report = ingest_seeds(
        settings,
        embedder,
        store=_store(settings),
        changes=FileChanges(puts),
        staged=Staged(documents, vectors),
    )
    jobs.close(conn, job_id, report.version, None)
    return report


class Worker:
    """One worker process's loop: claim a file, work on it, record it; finalize jobs left complete."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        _require_postgres(settings)
        self.settings = settings
        self.embedder = embedder
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.record = index_settings(settings, embedder).as_record()
        self._conn: psycopg.Connection[Any] | None = None
        self._tally: psycopg.Connection[Any] | None = None
        """A second connection, for counting claims outside the claim's transaction."""

    def _connect(self, role: str = WORKER_NAME) -> psycopg.Connection[Any]:
        assert self.settings.database_url is not None
        return psycopg.connect(
            self.settings.database_url.get_secret_value(),
            autocommit=True,
            application_name=f"{role} {self.name}"[:63],
            connect_timeout=max(1, round(self.settings.database_timeout)),
        )

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            assert self.settings.database_url is not None
            schema.migrate(self.settings.database_url.get_secret_value(), self.settings.database_timeout)
            self._conn = self._connect()
        return self._conn

    def _tally_connection(self) -> psycopg.Connection[Any]:
        if self._tally is None or self._tally.closed:
            self._tally = self._connect(TALLY_NAME)  # not counted as another worker by ``progress``
        return self._tally

    def _close(self) -> None:
        for conn in (self._conn, self._tally):
            if conn is not None:
                conn.close()

    def step(self) -> str | None:
        """Do one thing: a file (its name) or a job's finalization ("job N"); None when idle."""
        conn = self._connection()
        with jobs.claim(conn, self.record) as file:
            if file is not None:
                if file.attempts >= jobs.MAX_ATTEMPTS:
                    reason = (
                        f"{file.name}: its worker stopped while reading it {file.attempts} times (killed, "
                        "out of memory or crashed): not tried again; see the workers' logs"
                    )
                    result = _failed(file.sha256, reason, self.embedder.dimension)
                else:
                    jobs.count_attempt(self._tally_connection(), file.job_id, file.name)
                    result = self._process(file)
                jobs.finish(conn, file, result, self.name)
                return file.name
        with jobs.claim_finalizing(conn, self.record) as job:
            if job is None:
                return None
            if jobs.count_attempt(self._tally_connection(), job[0], jobs.FINALIZING) > jobs.MAX_ATTEMPTS:
                reason = (
                    f"writing the version stopped its worker {jobs.MAX_ATTEMPTS} times (killed, out of "
                    "memory or crashed): not tried again; see the workers' logs, then queue the ingest again"
                )
                jobs.close(conn, job[0], None, reason)
                return f"job {job[0]}"
            try:
                finalize(conn, self.settings, self.embedder, *job)
            except StoreUnavailableError:
                raise
            except RagError as exc:  # not worth retrying (the collection was deleted, say)
                jobs.close(conn, job[0], None, str(exc))
            return f"job {job[0]}"

    def _process(self, file: JobFile) -> FileResult:
        """``process``, with anything but an outage recorded as the file's failure (an outage rolls
        the claim back, and the file waits for the database to return)."""
        try:
            return process(file, self.settings, self.embedder)
        except (psycopg.Error, StoreUnavailableError):
            raise
        except Exception as exc:
            log.exception("reading %s failed", file.name)
            reason = f"{file.name}: reading it failed ({type(exc).__name__}); see the worker's log"
            return _failed(file.sha256, reason, self.embedder.dimension)

    def run(self, *, until_idle: bool = False, poll: float = 1.0, say: Any = None) -> int:
        """Work until stopped (or, ``until_idle``, until nothing is left); returns the steps done."""
        try:
            return self._loop(until_idle, poll, say)
        finally:
            self._close()

    def _loop(self, until_idle: bool, poll: float, say: Any) -> int:
        done = 0
        while True:
            try:
                what = self.step()
            except (psycopg.OperationalError, StoreUnavailableError) as exc:
                log.warning("database unavailable, retrying in %.0f s: %s", poll * 5, type(exc).__name__)
                self._close()
                time.sleep(poll * 5)
                continue
            if what is not None:
                done += 1
                if say is not None:
                    say(what)
                continue
            if until_idle:
                return done
            time.sleep(poll)
