"""Ingest jobs in PostgreSQL (schema step 6): an ingest's files as rows that workers claim.

A job is a row of ``rag_jobs`` (collection, the index settings it embeds with, state) and one row of
``rag_job_files`` per file to read and embed. A worker claims a file with ``SELECT ... FOR UPDATE OF f
SKIP LOCKED`` and keeps that transaction open while it works: no other worker gets the file, and if the
worker dies its connection goes, the server rolls the transaction back and the file is pending again
for the next worker. Its result (the extracted document, its vectors by text key, or why the file could
not be read) is written and the file marked done in that same transaction, so a file is done exactly
once. When no file is pending, one process finalizes the job (``claim_finalizing`` locks the job row
the same way) and writes the version from the staged results.

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


@dataclass(frozen=True)
class JobFile:
    """A claimed file: where its bytes are (``content`` None: the collection's ``rag_files`` row)."""

    job_id: int
    collection: str
    name: str
    sha256: str
    content: bytes | None
    sidecar: bytes | None


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
            "SELECT f.job_id, j.collection, f.name, f.sha256, f.content, f.sidecar "
            "FROM rag_job_files f JOIN rag_jobs j ON j.id = f.job_id "
            "WHERE f.state = 'pending' AND j.state = 'running' AND j.settings = %s "
            "ORDER BY f.job_id, f.name LIMIT 1 FOR UPDATE OF f SKIP LOCKED",
            (Jsonb(settings),),
        ).fetchone()
        if row is None:
            yield None
            return
        job_id, collection, name, sha, content, sidecar = row
        yield JobFile(int(job_id), collection, name, sha, _bytes(content), _bytes(sidecar))


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


def progress(
    conn: psycopg.Connection[Any], collection: str, job_id: int | None = None
) -> dict[str, Any] | None:
    """The collection's latest job (or ``job_id``) as figures: files by state, chunks, rate, failures,
    and the workers connected now (by their application name)."""
    job = conn.execute(
        "SELECT id, state, version, error, extract(epoch FROM coalesce(finished_at, now()) - created_at) "
        "FROM rag_jobs WHERE collection = %s AND (%s::bigint IS NULL OR id = %s) ORDER BY id DESC LIMIT 1",
        (collection, job_id, job_id),
    ).fetchone()
    if job is None:
        return None
    counts = dict(
        conn.execute(
            "SELECT state, count(*) FROM rag_job_files WHERE job_id = %s GROUP BY state", (job[0],)
        ).fetchall()
    )
    chunks = conn.execute(
        "SELECT coalesce(sum(chunks), 0) FROM rag_job_files WHERE job_id = %s", (job[0],)
    ).fetchone()
    failures = conn.execute(
        "SELECT name, reason FROM rag_job_files WHERE job_id = %s AND state = 'failed' ORDER BY name",
        (job[0],),
    ).fetchall()
    workers = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'rag-service worker%%'"
    ).fetchone()
    seconds = float(job[4])
    done_chunks = int(chunks[0]) if chunks else 0
    return {
        "job": int(job[0]),
        "state": job[1],
        "files": sum(counts.values()),
        "done": int(counts.get("done", 0)),
        "failed": int(counts.get("failed", 0)),
        "pending": int(counts.get("pending", 0)),
        "chunks": done_chunks,
        "seconds": round(seconds, 1),
        "chunks_per_second": round(done_chunks / seconds, 1) if seconds > 0 else 0.0,
        "failures": [{"name": n, "reason": r} for n, r in failures],
        "workers": int(workers[0]) if workers else 0,
        "version": job[2],
        "error": job[3],
    }


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)
