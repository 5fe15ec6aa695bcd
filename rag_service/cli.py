"""Command line: rag-service COMMAND, one command per task (rag-service --help lists them).

Each command is a thin wrapper over the pipeline. Errors from the service's own tree print one line
(``error: ...`` saying what to do) and exit 1; argparse's usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from rag_service.config import Settings, load_settings
from rag_service.errors import ConfigError, RagError
from rag_service.process_logs import configure_logging, peak_memory_mb


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.embedding.factory import make_embedder
    from rag_service.ingest import ingest_seeds

    if args.queue:
        from rag_service.jobs_command import run_queued

        return run_queued(args, settings)

    report = ingest_seeds(settings, make_embedder(settings), show_progress=not args.quiet)
    print(report.summary())
    for label, names in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
        for name in names:
            print(f"  {label}: {name}")
    for skipped in report.skipped:
        print(f"  skipped: {skipped.reason}")
    peak = peak_memory_mb()
    if peak is not None:
        print(f"peak memory: {peak:.0f} MB")
    if args.strict and report.skipped:
        print(f"error: {len(report.skipped)} file(s) skipped (--strict)", file=sys.stderr)
        return 1
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.answer.markdown_safe import unescape
    from rag_service.questions import require_question
    from rag_service.serialize import citations_footer

    question = require_question(" ".join(args.question))  # before the slow model load
    data, where = _answer(args, settings, question)
    print(f"answered by {where}", file=sys.stderr)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(unescape(data["answer"]))  # a terminal shows text, not Markdown
    footer = citations_footer(data["citations"])
    if footer:
        print()
        print(footer)
    for note in data.get("notes", []):
        print(f"note: {note}")
    return 0


def _answer(args: argparse.Namespace, settings: Settings, question: str) -> tuple[dict[str, Any], str]:
    """The answer from a running server (``--url``, or one found at RAG_HOST:RAG_PORT), else in-process."""
    from rag_service.ask_client import ServerUnavailable, server_answer

    key = settings.api_key.get_secret_value() if settings.api_key else None
    if not args.local:
        url = args.url or f"http://{settings.host}:{settings.port}"
        try:
            answer = server_answer(
                url, question, args.top_k, key, probe=args.url is None, collection=settings.collection
            )
            return answer, f"the server at {url}"
        except ServerUnavailable:
            if args.url:  # asked for that server explicitly: say it is not there
                raise
    from rag_service.pipeline import Pipeline
    from rag_service.serialize import answer_dict

    pipeline = Pipeline.load(settings)
    return answer_dict(pipeline.ask(question, top_k=args.top_k)), "this process (index loaded from disk)"


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """One process, or ``workers`` processes sharing the socket (uvicorn's supervisor: SIGHUP restarts
    them one by one, each replacement serving before its predecessor stops). Every worker loads the
    model and index itself and follows the index folder's current version (``Pipeline.refresh``)."""
    import os

    import uvicorn

    from rag_service.api.app import create_app
    from rag_service.heap import limit_heap_growth

    host = args.host or settings.host
    port = args.port or settings.port
    cores = os.cpu_count() or 1
    workers = args.workers if args.workers is not None else settings.workers or cores
    if workers < 1:
        raise ConfigError(f"--workers is {workers}; give 1 or more (0 in RAG_WORKERS means one per core)")
    configure_logging()
    thread_locks_for_progress_bars()
    limit_heap_growth()
    common: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "access_log": False}
    common["timeout_keep_alive"] = 5
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return 0
    if not settings.embedding_threads:  # workers on every core, each with every core, would thrash
        os.environ["RAG_EMBEDDING_THREADS"] = str(max(1, cores // workers))
    print(f"serving with {workers} worker processes on http://{host}:{port}", flush=True)
    os.environ["RAG_SUPERVISOR_PID"] = str(os.getpid())  # each worker exits when this process dies
    # A replacement worker loads the model and index before it counts as started (see worker_app).
    common["timeout_worker_healthcheck"] = 120
    uvicorn.run("rag_service.cli:worker_app", factory=True, workers=workers, **common)
    return 0


def worker_app() -> Any:
    """The app of one worker process (spawned: logging is set up again). It starts serving only once
    loaded, so a SIGHUP restart never hands a client to a worker that is still loading."""
    from rag_service.api.app import create_app
    from rag_service.api.orphans import exit_with_parent
    from rag_service.heap import limit_heap_growth

    configure_logging()
    thread_locks_for_progress_bars()
    limit_heap_growth()
    exit_with_parent()
    return create_app(load_first=True)


def thread_locks_for_progress_bars() -> None:
    """tqdm guards its bars with a multiprocessing lock (a POSIX semaphore), made by the first bar, even
    a disabled one, such as ingest's. A server process stopped by Ctrl-C while indexing at start-up
    never released it, and the supervisor's resource tracker printed "There appear to be 2 leaked
    semaphore objects" on every such stop. The server's bars are never shared across processes: a
    thread lock is all they need."""
    import threading

    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


def _collection_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--collection", default=None, help="the collection to use (default RAG_COLLECTION, `default`)"
    )


def _in_collection(args: argparse.Namespace, settings: Settings) -> Settings:
    """``settings`` pointed at the collection ``--collection`` (or ``RAG_COLLECTION``) names, which must
    exist (``rag-service collections create`` makes one)."""
    from rag_service.access.factory import make_authority
    from rag_service.collections.names import DEFAULT, for_collection, require_name
    from rag_service.errors import NotFoundError

    name = require_name(getattr(args, "collection", None) or settings.collection)
    if name != DEFAULT and make_authority(settings).registry.get(name) is None:
        raise NotFoundError(f"no collection named {name!r}: `rag-service collections list` lists them")
    return for_collection(settings.model_copy(update={"collection": DEFAULT}), name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag-service",
        description="Answer questions from a folder of documents, every sentence cited to its source.",
        epilog="rag-service COMMAND --help shows a command's options. Settings: RAG_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")

    p = sub.add_parser("ingest", help="Build the index of the documents folder, or bring it up to date.")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _collection_option(p)
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any file was skipped (good files are indexed anyway)",
    )
    p.add_argument("--queue", action="store_true", help="queue it for `rag-service worker`s (postgres)")
    p.add_argument("--no-wait", action="store_true", help="with --queue: return once queued")
    p.set_defaults(run=_ingest)
    from rag_service import jobs_command

    jobs_command.add_commands(sub, _collection_option)

    p = sub.add_parser("ask", help="Answer a question from the documents, with numbered sources.")
    p.add_argument("question", nargs="+", help="the question (quote it)")
    p.add_argument("--json", action="store_true", help="print the full structured result as JSON")
    p.add_argument("--top-k", type=int, default=None, help="passages to retrieve (default RAG_TOP_K)")
    _collection_option(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--url", default=None, help="ask the server at this URL (default: the one at RAG_HOST:RAG_PORT if up)"
    )
    where.add_argument("--local", action="store_true", help="load the index in this process, never a server")
    p.set_defaults(run=_ask)

    p = sub.add_parser("serve", help="Serve the chat page and the HTTP API.")
    p.add_argument("--host", default=None, help="bind address (default RAG_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default RAG_PORT, 8000)")
    p.add_argument(
        "--workers", type=int, default=None, help="server processes (default RAG_WORKERS: one per core)"
    )
    p.set_defaults(run=_serve)
    from rag_service.access import command as access

    p = sub.add_parser("collections", help="List, create, change or delete collections of documents.")
    access.add_collection_arguments(p)
    p.set_defaults(run=access.run_collections)
    p = sub.add_parser("keys", help="Create, list or revoke API keys (reader, writer, admin).")
    access.add_key_arguments(p)
    p.set_defaults(run=access.run_keys)
    p = sub.add_parser("audit", help="Show the audit trail of writes (who changed what, when).")
    access.add_audit_arguments(p)
    p.set_defaults(run=access.run_audit)

    from rag_service.evaluation import command as evaluation

    p = sub.add_parser(
        "eval", help="Score answers against a set of questions with the sources they should cite."
    )
    evaluation.add_arguments(p)
    _collection_option(p)
    p.set_defaults(run=evaluation.run)

    from rag_service.evaluation import qa_command

    p = sub.add_parser(
        "eval-qa", help="Score answers on a public question-answering set, beside a simple baseline."
    )
    qa_command.add_arguments(p)
    p.set_defaults(run=qa_command.run)

    from rag_service.evaluation import answerability_command

    p = sub.add_parser(
        "train-answerability",
        help="Train the model that decides whether the documents answer a question.",
    )
    answerability_command.add_arguments(p)
    p.set_defaults(run=answerability_command.run)

    from rag_service.reader import command as reader_command

    p = sub.add_parser(
        "train-reader",
        help="Train the reader, the model that reads a question and a sentence together.",
    )
    reader_command.add_arguments(p)
    p.set_defaults(run=reader_command.run)

    from rag_service.evaluation import answer_length

    p = sub.add_parser(
        "tune-answer-length",
        help="Choose how many sentences an answer quotes, by cross-validation.",
    )
    answer_length.add_arguments(p)
    p.set_defaults(run=answer_length.run)

    from rag_service.evaluation import beir

    p = sub.add_parser("bench-retrieval", help="Measure retrieval on a public benchmark (BEIR format).")
    beir.add_arguments(p)
    p.set_defaults(run=beir.run)

    from rag_service.bench import loadtest

    p = sub.add_parser(
        "load", help="Send a fixed number of questions to a running server and report its speed."
    )
    loadtest.add_arguments(p)
    p.set_defaults(run=loadtest.run)

    from rag_service.bench import command as bench

    p = sub.add_parser("bench", help="Measure speed and memory, and write the benchmark report.")
    bench.add_arguments(p)
    p.set_defaults(run=bench.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if hasattr(args, "collection") and args.command in ("ingest", "ask", "eval", "jobs"):
            settings = _in_collection(args, settings)
        run: Callable[[argparse.Namespace, Settings], int] = args.run
        return run(args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
