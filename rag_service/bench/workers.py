"""Queued ingest with 1, 2 and 3 ``rag-service worker`` processes (``rag-service bench --only workers``).

Each run gets a fresh database on one real PostgreSQL on this machine, the same synthetic page corpus
(SciFact's or the seeds' sentences, ``ingest_runs.write_pages``, ten pages a file so that every worker
has files to take), a job made by ``ingest_jobs.enqueue``, and N worker processes started together
with ``--until-idle``; each gets ``cores / N`` embedding threads (at least one). The time is from
starting the workers to the last one's exit (model loads, reading, embedding, and the version written
by whichever finalizes), the throughput the job's chunks over that time. The runs' chunk and sentence
vectors are compared: the index is the same whatever the number of workers, or the table says not.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.bench.ingest_runs import write_pages
from rag_service.bench.report import Report
from rag_service.config import Settings


def run_workers(
    report: Report, settings: Settings, tmp: Path, sentences: list[str], pages: int, counts: tuple[int, ...]
) -> None:
    from pydantic import SecretStr

    from rag_service.embedding.factory import make_embedder
    from rag_service.ingest_jobs import enqueue, latest_job
    from rag_service.store.factory import make_store
    from rag_service.store.postgres.local import LocalPostgres

    folder = tmp / "worker-pages"
    characters = write_pages(sentences, folder, pages, per_file=10)
    embedder = make_embedder(settings)
    server = LocalPostgres.create()
    rows, contents = [], []
    try:
        for count in counts:
            url = _database(server, f"bench_workers_{count}")
            local = settings.model_copy(
                update={"seeds_dir": folder, "store": "postgres", "database_url": SecretStr(url)}
            )
            job, _ = enqueue(local, embedder)
            threads = max(1, (os.cpu_count() or 1) // count)
            started = time.perf_counter()
            workers = [
                start_worker(local, tmp / f"worker-{count}-{n}.log", RAG_EMBEDDING_THREADS=str(threads))
                for n in range(count)
            ]
            for worker in workers:
                if worker.wait(7200) != 0:
                    raise RuntimeError(f"a worker failed: see {tmp}")
            seconds = time.perf_counter() - started
            store = make_store(local)
            figures = latest_job(store)
            content = store.load().content
            contents.append(content)
            same = _same(contents[0], content)
            assert figures is not None and figures["job"] == job
            rows.append(
                [
                    str(count),
                    str(threads),
                    str(len(content.chunks)),
                    f"{seconds:.1f}",
                    f"{len(content.chunks) / seconds:.1f}",
                    f"{figures['done']}/{figures['files']}",
                    same,
                ]
            )
    finally:
        server.destroy()
    report.table(
        f"Queued ingest by worker processes ({pages:,} synthetic pages, {characters / 1e6:.1f} M characters "
        f"in {pages // 10} files; PostgreSQL on the same cores)",
        ["workers", "threads each", "chunks", "seconds", "chunks/s", "files done", "index as with 1 worker"],
        rows,
    )


def _database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.url(name))


def start_worker(settings: Settings, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """``rag-service worker --until-idle`` on ``settings``' database, logging to ``log``; ``env`` adds
    settings (``RAG_EMBEDDING_THREADS``, say)."""
    assert settings.database_url is not None
    full_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "RAG_STORE": "postgres",
        "RAG_DATABASE_URL": settings.database_url.get_secret_value(),
        "RAG_SEEDS_DIR": str(settings.seeds_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        **env,
    }
    command = [sys.executable, "-m", "rag_service.cli", "worker", "--until-idle", "--quiet", "--poll", "0.2"]
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=full_env, stdout=out, stderr=subprocess.STDOUT)


def _same(first: Any, other: Any) -> str:
    if first.chunks != other.chunks or first.sentences != other.sentences:
        return "no: other chunks or sentences"
    if np.array_equal(first.chunk_vectors, other.chunk_vectors) and np.array_equal(
        first.sentence_vectors, other.sentence_vectors
    ):
        return "yes, bit for bit"
    gap = max(
        float(np.abs(first.chunk_vectors - other.chunk_vectors).max(initial=0)),
        float(np.abs(first.sentence_vectors - other.sentence_vectors).max(initial=0)),
    )
    return f"same texts; vectors differ by at most {gap:.1e}"
