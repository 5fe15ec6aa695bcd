"""The reader's cost: ``/api/ask`` over a real uvicorn with ``RAG_READER`` on and off, side by side.

The figures beside each other are what the reader costs a user: latency at concurrency 1 (its target,
p50 ≤ 25 ms on two cores) and throughput at concurrency 32 with as many worker processes as cores.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from rag_service.bench.report import Report
from rag_service.config import Settings

TARGET_MS = 25.0


def reader_section(report: Report, tmp: Path, runs: int) -> None:
    """``tmp`` holds ``seeds`` and its ``index`` (faiss), as the HTTP section leaves them."""
    from rag_service.bench.sections import _serve_and_load

    cores = os.cpu_count() or 1
    rows: list[list[str]] = []
    measured = {}
    for reader in ("false", "true"):
        latency, loads, _ = _serve_and_load(tmp, runs, cores, RAG_READER=reader)
        measured[reader] = latency
        top = loads[32]
        rows.append(
            [
                "on" if reader == "true" else "off",
                f"{latency.p50:.2f}",
                f"{latency.p95:.2f}",
                f"{top.throughput:.1f} req/s (p50 {np.median(top.latencies_ms):.1f} ms, errors {top.errors})",
            ]
        )
    report.table(
        f"The reader: /api/ask with RAG_READER off and on ({cores} workers, seeds)",
        ["reader", "p50 ms (c=1)", "p95 ms (c=1)", "throughput at concurrency 32"],
        rows,
    )
    with_reader = measured["true"].p50
    report.target(
        f"/api/ask p50 ≤ {TARGET_MS:.0f} ms at concurrency 1 with the reader",
        f"≤ {TARGET_MS:.0f} ms",
        f"{with_reader:.2f} ms",
        with_reader <= TARGET_MS,
    )


def run_alone(settings: Settings, tmp: Path, runs: int) -> Report:
    """``rag-service bench --only reader``: index the seeds into ``tmp`` and run the section."""
    from rag_service.embedding.factory import make_embedder
    from rag_service.ingest import ingest_seeds

    shutil.copytree(settings.seeds_dir, tmp / "seeds")
    local = settings.model_copy(
        update={"seeds_dir": tmp / "seeds", "index_dir": tmp / "index", "store": "faiss"}
    )
    ingest_seeds(local, make_embedder(local))
    report = Report()
    reader_section(report, tmp, runs)
    return report
