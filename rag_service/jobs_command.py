"""``rag-service ingest --queue``, ``rag-service worker`` and ``rag-service jobs``: an ingest spread over
worker processes (``ingest_jobs``), and its progress (files done, chunks, rate, failures with reasons)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any

from rag_service.config import Settings


def add_commands(sub: Any, collection_option: Any) -> None:
    p = sub.add_parser(
        "worker",
        help="Read and embed the files of queued ingests (RAG_STORE=postgres); run one per machine or more.",
    )
    p.add_argument("--until-idle", action="store_true", help="exit once no file or job is left")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between looks for work when idle")
    p.add_argument("--quiet", action="store_true", help="print nothing per file")
    p.set_defaults(run=run_worker)
    p = sub.add_parser("jobs", help="Show the progress of the collection's latest queued ingest.")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    collection_option(p)
    p.set_defaults(run=run_jobs)


def _embedder(settings: Settings) -> Any:
    from rag_service.embedding.factory import make_embedder

    return make_embedder(settings)


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.ingest_jobs import Worker
    from rag_service.process_logs import configure_logging

    configure_logging()  # a database outage is logged while the worker waits for it
    _stop_on_signals()
    worker = Worker(settings, _embedder(settings))
    say = None if args.quiet else lambda what: print(f"{worker.name}: {what}", flush=True)
    try:
        done = worker.run(until_idle=args.until_idle, poll=args.poll, say=say)
    except KeyboardInterrupt:  # the claimed file, if any, is rolled back and claimed again
        return 130
    print(f"{worker.name}: {done} step(s), nothing left")
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM (``docker compose stop``, systemd) stop the worker the same way: its claim is
    rolled back and its connections closed. SIGINT is set explicitly because a process started in the
    background by a shell (``worker &``, ``nohup``) inherits it ignored, and such a worker could not be
    stopped by it at all."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def _progress(settings: Settings, job: int | None = None) -> dict[str, Any] | None:
    from rag_service.ingest_jobs import _store, latest_job

    return latest_job(_store(settings), job)


def describe(figures: dict[str, Any]) -> str:
    line = (
        f"job {figures['job']} {figures['state']}: {figures['done']} of {figures['files']} file(s) done, "
        f"{figures['failed']} failed, {figures['pending']} pending; {figures['chunks']} chunks in "
        f"{figures['seconds']:.0f} s ({figures['chunks_per_second']:.1f} chunks/s); "
        f"{figures['workers']} worker(s) connected"
    )
    if figures["version"]:
        line += f"; version {figures['version']}"
    if figures["error"]:
        line += f"; error: {figures['error']}"
    return "\n".join([line, *(f"  failed: {f['reason']}" for f in figures["failures"])])


def run_jobs(args: argparse.Namespace, settings: Settings) -> int:
    import json

    figures = _progress(settings)
    if figures is None:
        print("no queued ingest yet: `rag-service ingest --queue` makes one")
        return 0
    print(json.dumps(figures, indent=2) if args.json else describe(figures))
    return 0


def run_queued(args: argparse.Namespace, settings: Settings) -> int:
    """``ingest --queue``: make the job, then (unless ``--no-wait``) report its progress until done."""
    from rag_service.ingest_jobs import enqueue

    job, skipped = enqueue(settings, _embedder(settings))
    print(f"queued job {job}; workers (`rag-service worker`) read and embed its files")
    for item in skipped:
        print(f"  skipped: {item.reason}")
    if args.no_wait:
        return 0
    last = ""
    while True:
        figures = _progress(settings, job)
        assert figures is not None
        line = describe(figures)
        if line != last:
            print(line, flush=True)
            last = line
        if figures["state"] != "running":
            return 0 if figures["state"] == "done" else 1
        if not figures["workers"]:
            print(
                "  waiting for a worker: start `rag-service worker` here or on another machine",
                file=sys.stderr,
            )
        time.sleep(2.0)
