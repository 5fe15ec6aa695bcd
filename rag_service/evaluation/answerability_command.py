"""``rag-service train-answerability``: its arguments, the run (index, ask, fit, write) and the summary.

The fitting itself is ``evaluation.answerability_training``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from rag_service.answer.answerability import OPERATING_POINTS, packaged_path
from rag_service.config import Settings
from rag_service.evaluation.answerability_training import ORIGIN_BALANCE, clapnq_rows, seed_rows, train


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _data_files(qa: Path) -> list[Path]:
    return [qa] if qa.is_file() else [qa / "questions.jsonl", qa / "corpus.jsonl"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--qa",
        type=Path,
        required=True,
        action="append",
        help="ClapNQ-format folder, e.g. ../shared/benchmarks/clapnq; repeat it for more origins (SQuAD's "
        "dev-v2.0.json adds the articles the reader never trained on)",
    )
    parser.add_argument(
        "--origin-balance",
        type=float,
        default=ORIGIN_BALANCE,
        help="0: every question weighs the same in the fit; 1: every origin does (default %(default)s)",
    )
    parser.add_argument("--cases", type=Path, default=Path("eval/seeds.jsonl"), help="seeds evaluation set")
    parser.add_argument("--out", type=Path, default=None, help="model file (default: the packaged one)")
    parser.add_argument(
        "--no-reader",
        action="store_true",
        help="fit the gate of the path without the reader (RAG_READER=false)",
    )
    parser.add_argument(
        "--reader-folds",
        type=Path,
        default=None,
        help="training state of `rag-service train-reader --clapnq` (e.g. ~/.cache/rag-service/"
        "reader-training): read each question with the reader that never saw it",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.embedding.factory import make_embedder

    embedder = make_embedder(settings)
    started = time.perf_counter()
    print("indexing and asking the training questions (about 2 minutes on 2 cores) ...", flush=True)
    from rag_service.reader.model import load_reader

    reader: Any = None if args.no_reader else load_reader(settings.reader_dir)
    if reader is not None and args.reader_folds is not None:
        from rag_service.reader.folds import load_folded

        state = args.reader_folds.expanduser()
        reader = load_folded(state, args.qa[0], args.cases, settings.seeds_dir, reader)
    settings = settings.model_copy(update={"reader": False})  # the pipelines' own answerers go unused
    rows = [row for qa in args.qa for row in clapnq_rows(qa, settings, embedder, reader)]
    rows += seed_rows(args.cases, settings, embedder, reader)
    record = train(rows, args.origin_balance)
    record["provenance"] = {
        "command": "rag-service train-answerability "
        + " ".join(f"--qa {qa}" for qa in args.qa)
        + f" --cases {args.cases}"
        + (f" --origin-balance {args.origin_balance:g}" if args.origin_balance != ORIGIN_BALANCE else "")
        + (" --no-reader" if args.no_reader else "")
        + (f" --reader-folds {args.reader_folds}" if args.reader_folds else ""),
        "reader": None if reader is None else reader.version,
        "reader_scores": "out of fold" if args.reader_folds and reader is not None else "shipped reader",
        "data": {
            **{str(path): _digest(path) for qa in args.qa for path in _data_files(qa)},
            str(args.cases): _digest(args.cases),
        },
        "rows": {o: sum(r.origin == o for r in rows) for o in sorted({r.origin for r in rows})},
        "embedding_model": embedder.name,
        "trained_at": time.strftime("%Y-%m-%d", time.gmtime()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = args.out or packaged_path(with_reader=reader is not None)
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(summary(record))
    print(f"wrote {out}")
    return 0


def summary(record: dict[str, Any]) -> str:
    cv = record["cross_validation"]
    lines = [
        f"5-fold cross-validated AUC {cv['auc']:.3f}",
        "origin | point | answered with gold | abstained | balanced",
    ]
    for origin, figures in cv["by_origin"].items():
        if "auc" in figures:
            lines.append(f"{origin} | AUC {figures['auc']:.3f} ({figures['questions']} questions)")
        for point in OPERATING_POINTS:
            f = figures[point]
            lines.append(
                f"{origin} | {point} | {f['answered_gold']:.3f} | {f['abstained']:.3f} | {f['balanced']:.3f}"
            )
    return "\n".join(lines)
