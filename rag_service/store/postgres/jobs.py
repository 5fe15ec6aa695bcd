"""Ingest jobs in PostgreSQL (schema step 6): an ingest's files as rows that workers claim.

A job is a row of ``rag_jobs`` (collection, the index settings it embeds with, state) and one row of
``rag_job_files`` per file to read and embed. A worker claims a file with ``SELECT ... FOR UPDATE OF f
SKIP LOCKED`` and keeps that transaction open while it works: no other worker gets the file, and if the
worker dies its connection goes, the server rolls the transaction back and the file is pending again
for the next worker. Its result (the extracted document, its vectors by text key, or why the file could
not be read) is written and the file marked done in that same transaction, so a file is done exactly
once. A worker that dies (killed, out of memory, crashed in a parser) rolls its claim back with it, so
each claim is also counted in ``rag_job_attempts`` on a second connection that commits at once
(``count_attempt``): the worker that finds a file claimed ``MAX_ATTEMPTS`` times already records it as
failed instead of reading it again, and a job whose finalizing took its worker down that many times is
closed as failed. When no file is pending, one process finalizes the job
(``claim_finalizing`` locks the job row the same way) and writes the version from the staged results.

Nothing here knows documents or models: rows in, rows out (``ingest_jobs`` does the work).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from rag_service.store.changes import NewFile

FINALIZING = ""
"""The ``rag_job_attempts`` name under which a job's finalizing is counted (no file has an empty name)."""
MAX_ATTEMPTS = 3
"""Claims of one file before it is recorded as failed rather than read again: one worker killed by an
operator or a database restart mid-file is retried, a file that takes every worker down is not."""


@dataclass(frozen=True)
class JobFile:
    """A claimed file: where its bytes are (``content`` None: the collection's ``rag_files`` row)."""

    job_id: int
    collection: str
    name: str
    sha256: str
    content: bytes | None
    sidecar: bytes | None
    attempts: int = 0
    """Claims of this file that began before this one (and ended without recording a result)."""


@dataclass(frozen=True)
class FileResult:
    """What a worker made of a file: a document record and its vectors, or the reason it failed."""

    sha256: str
    document: dict[str, Any] | None
    keys: list[str]
    vectors: np.ndarray
    chunks: int
    seconds: float
    reason: str | None = None


def create(
    conn: psycopg.Connection[Any],
    collection: str,
    settings: dict[str, Any],
    files: list[tuple[str, str, NewFile | None]],
) -> int:
    """A new running job for ``files`` (name, source hash, bytes when not in ``rag_files``)."""
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO rag_jobs (collection, settings) VALUES (%s, %s) RETURNING id",
            (collection, Jsonb(settings)),
        ).fetchone()
        assert row is not None
        job_id = int(row[0])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO rag_job_files (job_id, name, sha256, content, sidecar) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    (job_id, name, sha, new.content if new else None, new.sidecar if new else None)
                    for name, sha, new in files
                ],
            )
    return job_id


@contextlib.contextmanager
def claim(conn: psycopg.Connection[Any], settings: dict[str, Any]) -> Iterator[JobFile | None]:
    """The next pending file of a running job embedded with ``settings``, locked until the block ends
    (commit on success; an exception or a dead connection rolls back and frees it); None when none."""
    with conn.transaction():
        row = conn.execute(
            "SELECT f.job_id, j.collection, f.name, f.sha256, f.content, f.sidecar, "
            "coalesce(a.attempts, 0) FROM rag_job_files f JOIN rag_jobs j ON j.id = f.job_id "
            "LEFT JOIN rag_job_attempts a ON a.job_id = f.job_id AND a.name = f.name "
            "WHERE f.state = 'pending' AND j.state = 'running' AND j.settings = %s "
            "ORDER BY f.job_id, f.name LIMIT 1 FOR UPDATE OF f SKIP LOCKED",
            (Jsonb(settings),),
        ).fetchone()
        if row is None:
            yield None
            return
        job_id, collection, name, sha, content, sidecar, attempts = row
        yield JobFile(int(job_id), collection, name, sha, _bytes(content), _bytes(sidecar), int(attempts))


def count_attempt(tally: psycopg.Connection[Any], job_id: int, name: str) -> int:
    """Count a claim of file ``name`` of job ``job_id`` (``FINALIZING``: of the job's finalizing) on
    ``tally``, an autocommit connection other than the claim's: the count must outlive the claim's
    transaction, which a dying worker takes with it. Returns the claims counted so far, this one too."""
    row = tally.execute(
        "INSERT INTO rag_job_attempts (job_id, name, attempts) VALUES (%s, %s, 1) "
        "ON CONFLICT (job_id, name) DO UPDATE SET attempts = rag_job_attempts.attempts + 1 "
        "RETURNING attempts",
        (job_id, name),
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish(conn: psycopg.Connection[Any], file: JobFile, result: FileResult, worker: str) -> None:
    """Record ``result`` for the claimed ``file`` (inside its ``claim`` block)."""
    conn.execute(
        "UPDATE rag_job_files SET state = %s, sha256 = %s, worker = %s, reason = %s, document = %s, "
        "keys = %s, vectors = %s, chunks = %s, seconds = %s, finished_at = now() "
        "WHERE job_id = %s AND name = %s",
        (
            "failed" if result.reason else "done",
            result.sha256,
            worker,
            result.reason,
            Jsonb(result.document) if result.document is not None else None,
            result.keys,
            np.ascontiguousarray(result.vectors, dtype="<f4").tobytes(),
            result.chunks,
            result.seconds,
            file.job_id,
            file.name,
        ),
    )


@contextlib.contextmanager
def claim_finalizing(
    conn: psycopg.Connection[Any], settings: dict[str, Any]
) -> Iterator[tuple[int, str] | None]:
    """A running job with no pending file, locked for finalizing until the block ends; None when none
    (or when another process is finalizing it)."""
    with conn.transaction():
        row = conn.execute(
            "SELECT j.id, j.collection FROM rag_jobs j WHERE j.state = 'running' AND j.settings = %s "
            "AND NOT EXISTS (SELECT 1 FROM rag_job_files f WHERE f.job_id = j.id AND f.state = 'pending') "
            "ORDER BY j.id LIMIT 1 FOR UPDATE SKIP LOCKED",
            (Jsonb(settings),),
        ).fetchone()
        yield None if row is None else (int(row[0]), str(row[1]))


def staged(conn: psycopg.Connection[Any], job_id: int, dimension: int) -> Iterator[tuple[Any, ...]]:
    """Each finished file of the job: name, hash, document record, reason, keys, vectors, and the bytes
    of a file not yet stored (``content``, ``sidecar``)."""
    rows = conn.execute(
        "SELECT name, sha256, document, reason, keys, vectors, content, sidecar FROM rag_job_files "
        "WHERE job_id = %s AND state <> 'pending' ORDER BY name",
        (job_id,),
    )
    for name, sha, document, reason, keys, vectors, content, sidecar in rows:
        matrix = np.frombuffer(bytes(vectors or b""), dtype="<f4").reshape(-1, dimension)
        yield name, sha, document, reason, keys or [], matrix, _bytes(content), _bytes(sidecar)


def close(conn: psycopg.Connection[Any], job_id: int, version: str | None, error: str | None) -> None:
    """Mark the job done (with its version) or failed (with why), dropping its staged results."""
    conn.execute(
        "UPDATE rag_jobs SET state = %s, version = %s, error = %s, finished_at = now() WHERE id = %s",
        ("failed" if error else "done", version, error, job_id),
    )
    conn.execute(
        "UPDATE rag_job_files SET document = NULL, keys = NULL, vectors = NULL, content = NULL, "
        "sidecar = NULL WHERE job_id = %s",
        (job_id,),
    )
    conn.execute("DELETE FROM rag_job_attempts WHERE job_id = %s", (job_id,))


def progress(
    conn: psycopg.Connection[Any], collection: str, job_id: int | None = None
) -> dict[str, Any] | None:
    """The collection's latest job (or ``job_id``) as figures: files by state, chunks, rate, failures,
    and the workers connected now (by their application name). One statement: ``/api/health`` asks it
    on every probe."""
    row = conn.execute(
        "SELECT j.id, j.state, j.version, j.error, "
        "extract(epoch FROM coalesce(j.finished_at, now()) - j.created_at), f.*, "
        "(SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'rag-service worker%%') "
        "FROM rag_jobs j CROSS JOIN LATERAL ("
        " SELECT count(*), count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'),"
        " count(*) FILTER (WHERE state = 'pending'), coalesce(sum(chunks), 0),"
        " coalesce(jsonb_agg(jsonb_build_object('name', name, 'reason', reason) ORDER BY name)"
        "  FILTER (WHERE state = 'failed'), '[]')"
        " FROM rag_job_files WHERE job_id = j.id) f "
        "WHERE j.collection = %s AND (%s::bigint IS NULL OR j.id = %s) ORDER BY j.id DESC LIMIT 1",
        (collection, job_id, job_id),
    ).fetchone()
    if row is None:
        return None
    job, state, version, error, seconds, files, done, failed, pending, chunks, failures, workers = row
    seconds, chunks = float(seconds), int(chunks)
    return {
        "job": int(job),
        "state": state,
        "files": int(files),
        "done": int(done),
        "failed": int(failed),
        "pending": int(pending),
        "chunks": chunks,
        "seconds": round(seconds, 1),
        "chunks_per_second": round(chunks / seconds, 1) if seconds > 0 else 0.0,
        "failures": list(failures),
        "workers": int(workers),
        "version": version,
        "error": error,
    }


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)
