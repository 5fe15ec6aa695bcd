"""``rag-service eval-qa DIR``: the answer-level QA benchmark (``rag_service.evaluation.qa``) with the
cosine baseline beside it; prints the table and writes JSON (every question with its full response),
Markdown and a PNG chart."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rag_service.config import Settings

ROWS = {
    "answered_gold": "answered with a gold passage cited",
    "abstained": "abstained on unanswerable",
    "balanced": "balanced",
    "token_f1": "answer token F1",
    "quote_in_reference": "cited sentence in the reference answer",
    "first_in_reference": "first quote in the reference answer (answered questions)",
    "latency_p50_ms": "latency p50 ms",
    "latency_p95_ms": "latency p95 ms",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        type=Path,
        help="corpus.jsonl + questions.jsonl, e.g. ../shared/benchmarks/clapnq; or SQuAD 2.0's "
        "dev-v2.0.json: the articles the reader never trained on",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--out", type=Path, default=Path("eval/results"), help="folder for the reports")
    parser.add_argument("--name", default="qa", help="report file stem: report-<name>.*")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--conversations",
        type=Path,
        default=None,
        help="multi-turn cases (rag-service eval format, passages named <_id>.txt) run on the same index",
    )
    parser.add_argument(
        "--reader-folds",
        type=Path,
        default=None,
        help="training state of `rag-service train-reader --clapnq`: read each question with the fold "
        "reader trained without it (measures that stage; the shipped reader never saw ClapNQ)",
    )
    parser.add_argument(
        "--cases", type=Path, default=Path("eval/seeds.jsonl"), help="with --reader-folds: its seeds cases"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.embedding.factory import make_embedder
    from rag_service.evaluation import report as eval_report
    from rag_service.evaluation.dataset import load_cases
    from rag_service.evaluation.qa import run_qa

    embedder = make_embedder(settings)
    cases = load_cases(args.conversations) if args.conversations else []
    turns: list[Any] = []
    reader = None
    if args.reader_folds is not None:
        from rag_service.reader.folds import load_folded
        from rag_service.reader.model import load_reader

        shipped = load_reader(settings.reader_dir)
        state = args.reader_folds.expanduser()
        reader = load_folded(state, args.folder, args.cases, settings.seeds_dir, shipped)
    results, service, baseline = run_qa(
        args.folder,
        settings,
        embedder,
        limit=args.limit,
        progress=not args.no_progress,
        conversations=cases,
        turn_results=turns,
        reader=reader,
    )
    text = table(service, baseline, str(args.folder))
    conversation: dict[str, Any] | None = None
    if turns:
        conversation = eval_report.aggregate(turns)
        text += (
            f"\n\nConversations ({args.conversations}, {conversation['cases']} cases, "
            f"{conversation['turns']} turns, run on the same index):\n\n"
            + eval_report.table(turns, conversation)
        )
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"report-{args.name}"
    payload = {
        "folder": str(args.folder),
        "service": service,
        "baseline": baseline,
        "conversations": conversation,
        "conversation_turns": [
            {
                "case": t.case_id,
                "turn": t.turn,
                "question": t.question,
                "scores": t.scores,
                "response": t.response,
            }
            for t in turns
        ],
        "questions": [
            {
                "id": r.question.id,
                "question": r.question.question,
                "answerable": r.question.answerable,
                "gold": list(r.question.gold),
                "scores": r.scores,
                "latency_ms": round(r.latency_ms, 2),
                "response": r.response,
            }
            for r in results
        ],
    }
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    stem.with_suffix(".md").write_text(f"# QA evaluation\n\n{text}\n", encoding="utf-8")
    chart(service, baseline, stem.with_suffix(".png"))
    print(f"reports: {stem}.json, {stem}.md, {stem}.png")
    return 0


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}"


def table(service: dict[str, Any], baseline: dict[str, Any], folder: str) -> str:
    head = (
        f"{int(service['questions'] or 0)} questions ({int(service['answerable'] or 0)} answerable) "
        f"from {folder}\n\n| metric | rag-service | cosine baseline (5-fold CV threshold) |\n|---|---|---|"
    )
    rows = [
        f"| {label} | {_cell(service.get(k), k)} | {_cell(baseline.get(k), k)} |" for k, label in ROWS.items()
    ]
    return "\n".join([head, *rows])


def chart(service: dict[str, Any], baseline: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["answered_gold", "abstained", "balanced", "token_f1", "quote_in_reference"]
    x = range(len(keys))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar([i - 0.2 for i in x], [service.get(k) or 0 for k in keys], 0.4, label="rag-service")
    ax.bar([i + 0.2 for i in x], [baseline.get(k) or 0 for k in keys], 0.4, label="cosine baseline")
    ax.set_xticks(list(x), [ROWS[k] for k in keys], rotation=15, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
