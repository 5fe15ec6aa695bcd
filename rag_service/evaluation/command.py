"""``rag-service eval FILE``: run an evaluation set, print the table, write the reports, check thresholds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rag_service.config import Settings
from rag_service.evaluation.dataset import load_cases
from rag_service.evaluation.report import THRESHOLDS, aggregate, check_thresholds, table, write_reports
from rag_service.evaluation.runner import HttpTarget, InProcessTarget, Target, run_cases


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="evaluation set (JSON Lines; see docs/evaluation.md)")
    parser.add_argument("--url", help="evaluate a running server through its HTTP API instead of in-process")
    parser.add_argument(
        "--backend",
        action="append",
        choices=["extractive", "openai"],
        help="answer backend (in-process); repeat to compare backends on the same set",
    )
    parser.add_argument("--top-k", type=int, default=None, help="passages to retrieve (default RAG_TOP_K)")
    parser.add_argument("--out", type=Path, default=Path("eval/results"), help="folder for the reports")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    for option in THRESHOLDS:
        parser.add_argument(
            f"--{option.replace('_', '-')}",
            type=float,
            default=None,
            metavar="X",
            help=f"exit 1 if {THRESHOLDS[option]} < X",
        )
    parser.add_argument(
        "--max-latency-p95-ms",
        type=float,
        default=None,
        metavar="MS",
        help="exit 1 if the p95 latency is above MS",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.pipeline import Pipeline, make_embedder

    cases = load_cases(args.file)
    targets: list[tuple[str, Target]] = []
    if args.url:
        key = settings.api_key.get_secret_value() if settings.api_key else None  # as `ask --url` sends it
        targets.append(
            ("http", HttpTarget(args.url, args.top_k, collection=settings.collection, api_key=key))
        )
    else:
        embedder = make_embedder(settings)
        for backend in args.backend or [settings.llm_backend]:
            backend_settings = settings.model_copy(update={"llm_backend": backend})
            targets.append((backend, InProcessTarget(Pipeline.load(backend_settings, embedder), args.top_k)))
    minimums = {option: getattr(args, option) for option in THRESHOLDS}
    failed = False
    summary = []
    for stem, target in targets:
        results = run_cases(cases, target, not args.no_progress)
        overall = aggregate(results)
        print(table(results, overall))
        config = {"file": str(args.file), "target": target.name, "top_k": args.top_k}
        paths = write_reports(results, overall, config, args.out, f"report-{stem}")
        print(f"reports: {paths['markdown']}, {paths['json']}, {paths['chart']}")
        misses = check_thresholds(overall, minimums, args.max_latency_p95_ms)
        for miss in misses:
            print(f"THRESHOLD MISSED: {miss}")
        failed = failed or bool(misses)
        summary.append((target.name, overall))
    if len(summary) > 1:
        _compare(summary, args.out)
    return 1 if failed else 0


def _compare(summary: list[tuple[str, dict[str, Any]]], out: Path) -> None:
    from rag_service.evaluation.report import METRICS, SHORT

    head = "| metric | " + " | ".join(name for name, _ in summary) + " |"
    rows = [head, "|---|" + "---|" * len(summary)]
    for m in (*METRICS, "latency_p50_ms", "latency_p95_ms"):
        cells = []
        for _, overall in summary:
            value = overall.get(m)
            cells.append("–" if value is None else f"{value:.3f}" if m in METRICS else f"{value:.1f}")
        rows.append(f"| {SHORT.get(m, m)} | " + " | ".join(cells) + " |")
    text = "\n".join(rows) + "\n"
    (out / "compare.md").write_text(f"# Backends compared\n\n{text}", encoding="utf-8")
    print(text)
