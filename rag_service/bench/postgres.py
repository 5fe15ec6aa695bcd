"""The PostgreSQL store in ``rag-service bench`` (``--only postgres`` runs this part alone).

Everything runs against a real PostgreSQL 18 with pgvector 0.8 started for the run
(``store.postgres.local``) on the same machine as the service, so database and service share its
cores, as on a laptop or a single-host deployment:

* ``/api/ask`` over HTTP with ``RAG_STORE=postgres``: one process and one worker per core, both on one
  database; latency at concurrency 1 and throughput at 32, beside the file store's (``_http``).
* ingest throughput: ``rag-service ingest`` of the synthetic page corpus in a fresh process, into each
  store (the embedding work is identical; the difference is the store's write).
* HNSW at scale: the scale section's synthetic vectors (same seed, same queries) copied into one version
  partition, indexed with the service's DDL, searched with the service's SQL; recall@10 against exact
  search computed with numpy over the same vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.bench import scale
from rag_service.bench.ingest_runs import ingest_subprocess, write_pages
from rag_service.bench.report import Report
from rag_service.bench.timing import measure
from rag_service.config import Settings

SERVER_SETTINGS = {
    "shared_buffers": "'2GB'",
    "max_parallel_maintenance_workers": "2",
    "max_connections": "200",
    "synchronous_commit": "on",
}
"""A modest tuning for a 24 GB machine: the rest is PostgreSQL's defaults."""


def run_postgres(
    report: Report,
    settings: Settings,
    tmp: Path,
    runs: int,
    sizes: list[int],
    sentences: list[str],
    serve_and_load: Callable[..., Any],
    pages: int,
) -> None:
    from rag_service.store.postgres.local import LocalPostgres

    server = LocalPostgres.create(None, **SERVER_SETTINGS)
    try:
        _http(report, settings, server, tmp, runs, serve_and_load)
        _ingest(report, server, tmp, sentences, pages)
        for size in sizes:
            _hnsw(report, server, size, settings.hnsw_m, settings.hnsw_ef_search, runs)
    finally:
        server.destroy()


def _database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.url(name))


def _http(
    report: Report,
    settings: Settings,
    server: Any,
    tmp: Path,
    runs: int,
    serve_and_load: Callable[..., Any],
) -> None:
    import os

    from pydantic import SecretStr

    from rag_service.embedding.factory import make_embedder
    from rag_service.ingest import ingest_seeds

    url = _database(server, "bench_http")
    db_settings = settings.model_copy(
        update={"seeds_dir": tmp / "seeds", "store": "postgres", "database_url": SecretStr(url)}
    )
    ingest_seeds(db_settings, make_embedder(settings))
    rows = []
    for workers in sorted({1, os.cpu_count() or 1}):
        latency, loads, process = serve_and_load(
            tmp, runs, workers, RAG_STORE="postgres", RAG_DATABASE_URL=url
        )
        label = "one process" if workers == 1 else f"{workers} worker processes"
        load = loads[32]
        rows += [
            [f"**{label}**, one database: latency at concurrency 1", str(latency)],
            [
                f"{label}: throughput at concurrency 32 ({load.requests} requests)",
                f"{load.throughput:.1f} req/s, p50 {np.median(load.latencies_ms):.1f} ms, "
                f"p99 {np.percentile(load.latencies_ms, 99):.1f} ms, errors {load.errors}",
            ],
            [f"{label}: start-up to /api/health 200", f"{process.ready_seconds:.2f} s"],
        ]
    report.table(
        "HTTP /api/ask with RAG_STORE=postgres (seeds; database on the same 2 cores)",
        ["measure", "value"],
        rows,
    )


def _ingest(report: Report, server: Any, tmp: Path, sentences: list[str], pages: int) -> None:
    folder = tmp / "pg-pages"
    characters = write_pages(sentences, folder, pages, per_file=max(1, min(100, pages // 10)))
    rows = []
    for store, env in (
        ("faiss (files)", {}),
        ("postgres", {"RAG_STORE": "postgres", "RAG_DATABASE_URL": _database(server, "bench_ingest")}),
    ):
        run = ingest_subprocess(folder, tmp / "pg-pages-index", **env)
        rows.append(
            [
                store,
                f"{run.chunks}",
                f"{run.seconds:.1f}",
                f"{run.chunks / run.seconds:.1f}",
                f"{run.peak_mb:.0f}",
            ]
        )
    report.table(
        f"Ingest into each store ({pages:,} synthetic pages, {characters / 1e6:.1f} M characters, a fresh "
        "`rag-service ingest`)",
        ["store", "chunks", "seconds", "chunks/s", "peak RSS MB (ingest process)"],
        rows,
    )


def _hnsw(report: Report, server: Any, size: int, hnsw_m: int, ef_search: int, runs: int) -> None:
    import psycopg
    from pgvector.psycopg import register_vector

    from rag_service.store.postgres import copy, schema
    from rag_service.store.postgres.schema import partition
    from rag_service.store.postgres.write import build_memory

    url = _database(server, f"bench_hnsw_{size}")
    schema.migrate(url, 60)
    vectors = scale.synthetic_vectors(size)
    queries = scale.queries_near(vectors, runs + 20)
    scores = vectors @ queries[20:].T  # exact search, all queries at once
    top = np.argpartition(-scores, 10, axis=0)[:10]
    truth = [top[:, j] for j in range(top.shape[1])]
    del scores
    table = partition("rag_chunks", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        conn.execute(
            "INSERT INTO rag_versions (id, name, manifest, dimension) OVERRIDING SYSTEM VALUE "
            "VALUES (1, 'bench', '{}', %s)",
            (scale.DIMENSION,),
        )
        conn.execute(f"CREATE TABLE {table} PARTITION OF rag_chunks FOR VALUES IN (1)")
        started = time.perf_counter()
        copy.write_rows(
            conn,
            table,
            ("version_id", "n", "record", "text", "embedding"),
            ("int8", "int4", "jsonb", "text", "vector"),
            ((1, n, {}, "", v) for n, v in enumerate(vectors)),
        )
        copied = time.perf_counter() - started
        conn.execute(f"SET maintenance_work_mem = '{build_memory(size, scale.DIMENSION, hnsw_m)}'")
        started = time.perf_counter()
        conn.execute(
            f"CREATE INDEX {table}_hnsw ON {table} USING hnsw ((embedding::vector({scale.DIMENSION})) "
            f"vector_cosine_ops) WITH (m = {hnsw_m}, ef_construction = {max(64, 2 * hnsw_m)})"
        )
        built = time.perf_counter() - started
        conn.execute(f"ANALYZE {table}")
        index_bytes = conn.execute(f"SELECT pg_relation_size('{table}_hnsw')").fetchone()[0]  # type: ignore[index]
        conn.execute(f"SET hnsw.ef_search = {ef_search}")
        sql = (
            f"SELECT n FROM {table} ORDER BY embedding::vector({scale.DIMENSION}) "
            f"<=> %s::vector({scale.DIMENSION}) LIMIT 10"
        )
        plan = conn.execute("EXPLAIN " + sql, (queries[0],)).fetchall()
        uses_index = any("_hnsw" in str(line[0]) for line in plan)
        found: list[list[int]] = []

        def search(i: int) -> None:
            rows = conn.execute(sql, (queries[i],)).fetchall()
            if i >= 20:
                found.append([r[0] for r in rows])

        latency = measure(search, runs, warmup=20)
    recall = float(np.mean([len(set(f) & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True)]))
    report.table(
        f"pgvector HNSW at {size:,} synthetic chunks (the scale section's vectors and queries)",
        ["measure", "value"],
        [
            ["COPY of the vectors (binary)", f"{copied:.1f} s = {size / copied:,.0f} rows/s"],
            [
                f"HNSW build (m {hnsw_m}, ef_construction {max(64, 2 * hnsw_m)}, 2 parallel workers)",
                f"{built:.1f} s",
            ],
            ["index size", f"{index_bytes / size:.0f} bytes / chunk ({index_bytes / 2**20:,.0f} MB)"],
            [f"search p50 / p95 (top 10, hnsw.ef_search {ef_search}, one connection)", str(latency)],
            ["recall@10 against exact search", f"{recall:.3f}"],
            # A small table is scanned exactly: the planner finds that cheaper than the index.
            ["the query plan uses the HNSW index", "yes" if uses_index else "no (exact scan)"],
        ],
    )
    report.target(
        f"{size:,} chunks in PostgreSQL: HNSW search p50 ≤ 20 ms with recall@10 ≥ 0.95",
        "≤ 20 ms, ≥ 0.95",
        f"{latency.p50:.2f} ms, {recall:.3f}",
        latency.p50 <= 20 and recall >= 0.95,
    )
