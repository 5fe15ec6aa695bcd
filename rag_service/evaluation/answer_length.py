"""``rag-service tune-answer-length``: how many sentences an extractive answer quotes, and how much a
sentence's neighbours count in choosing them, chosen by cross-validation on public questions with
reference answers.

Too few sentences miss half of a reference answer, too many bury it: token F1 against the references
measures both. The answerer quotes at least ``min_sentences`` sentences of the best sentence's
document, and more while they score within ``span`` of the best (``rag_service.answer.extractive``);
a sentence's rank includes ``neighbour_weight`` times its better neighbour's similarity
(``rag_service.answer.neighbours``). The three are chosen together: a neighbour weight that favours
runs of sentences interacts with how many are quoted.
This command indexes a ClapNQ-format folder with the real ingest, asks every answerable question once
with abstention switched off, and scores each point of a small grid through the answerer's own code.

Figures are cross-validated: for each of several fold seeds, the point with the best mean F1 on four
folds is scored on the fifth, so the reported figure was never chosen on the questions that score it.
The shipped constants are the point chosen on all questions; the report says how stable that choice is.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.answer.extractive import MIN_SENTENCES, SCORE_SPAN, ExtractiveAnswerer
from rag_service.answer.neighbours import NEIGHBOUR_WEIGHT
from rag_service.config import Settings
from rag_service.retrieval.lexical import content_terms

MINIMA = (1, 2, 3)
SPANS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.6)
"""0.0 quotes exactly the minimum; 0.6 is close to "always ``max_sentences``" on these scores."""
NEIGHBOUR_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2)
"""0.0 ranks a sentence by itself alone."""
FOLDS = 5
FOLD_SEEDS = (0, 1, 2)
Point = tuple[int, float, float]
"""(minimum, span, neighbour weight)"""


@dataclass(frozen=True)
class Asked:
    question: str
    vector: np.ndarray
    hits: tuple[Any, ...]
    answers: tuple[str, ...]


def grid() -> list[Point]:
    return list(itertools.product(MINIMA, SPANS, NEIGHBOUR_WEIGHTS))


def f1_table(answerer: ExtractiveAnswerer, asked: Sequence[Asked]) -> dict[Point, np.ndarray]:
    """Token F1 of every question's answer at every grid point (0 when nothing could be quoted)."""
    from rag_service.evaluation.qa import token_f1

    table = {}
    for minimum, span, weight in grid():
        answerer.min_sentences, answerer.span, answerer.neighbour_weight = minimum, span, weight
        table[(minimum, span, weight)] = np.array(
            [
                0.0
                if (x := answerer.answer(a.question, a.vector, a.hits)).not_found
                else token_f1(x.text, a.answers)
                for a in asked
            ]
        )
    return table


def cross_validate(table: dict[Point, np.ndarray]) -> list[dict[str, Any]]:
    """Per fold seed: the out-of-fold mean F1 and the point each fold chose on its training folds."""
    n = len(next(iter(table.values())))
    results = []
    for seed in FOLD_SEEDS:
        fold = np.random.default_rng(seed).permutation(n) % FOLDS
        scores = np.zeros(n)
        chosen = []
        for k in range(FOLDS):
            train, test = fold != k, fold == k
            point = max(table, key=lambda p: float(table[p][train].mean()))
            scores[test] = table[point][test]
            chosen.append(point)
        results.append({"seed": seed, "f1": float(scores.mean()), "chosen": chosen})
    return results


def report(table: dict[Point, np.ndarray], source: str, questions: int) -> str:
    """The Markdown report: out-of-fold F1 of the joint choice, and of the choice with the neighbour
    weight held at 0 (what the neighbours add, measured the same way), then the in-sample grid."""
    best = max(table, key=lambda p: float(table[p].mean()))
    shipped = (MIN_SENTENCES, SCORE_SPAN, NEIGHBOUR_WEIGHT)
    alone = {p: f1 for p, f1 in table.items() if p[2] == 0.0}
    lines = [
        "# Answer length: how many sentences the extractive answer quotes",
        "",
        f"Written by `rag-service tune-answer-length --qa {source}` on {time.strftime('%Y-%m-%d')}: "
        f"{questions} answerable questions, abstention off, token F1 against the reference answers "
        "(the `eval-qa` definition).",
        "",
        "## Cross-validated (5 folds; the point is chosen on four, scored on the fifth)",
        "",
        "| fold seed | out-of-fold token F1 | without neighbours | points chosen by the folds "
        "(minimum, span, neighbour weight) |",
        "|---|---|---|---|",
    ]
    for f, g in zip(cross_validate(table), cross_validate(alone), strict=True):
        points = ", ".join(f"({m}, {s:g}, {w:g})" for m, s, w in f["chosen"])
        lines.append(f"| {f['seed']} | {f['f1']:.3f} | {g['f1']:.3f} | {points} |")
    lines += [
        "",
        f"Chosen on all questions: minimum {best[0]}, span {best[1]:g}, neighbour weight {best[2]:g}. "
        f"Shipped: minimum {shipped[0]}, span {shipped[1]:g}, neighbour weight {shipped[2]:g}.",
        "",
        "## Every point, in-sample (for the shape of the curve, not as a result)",
        "",
    ]
    for weight in NEIGHBOUR_WEIGHTS:
        lines += [
            f"Neighbour weight {weight:g}:",
            "",
            "| minimum \\ span | " + " | ".join(f"{s:g}" for s in SPANS) + " |",
            "|---" * (len(SPANS) + 1) + "|",
        ]
        for minimum in MINIMA:
            cells = " | ".join(f"{table[(minimum, s, weight)].mean():.3f}" for s in SPANS)
            lines.append(f"| {minimum} | {cells} |")
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--qa", type=Path, required=True, help="ClapNQ-format folder, e.g. ../shared/benchmarks/clapnq"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report here")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.embedding.factory import make_embedder
    from rag_service.evaluation.qa import corpus_pipeline, load_qa

    embedder = make_embedder(settings)
    files, questions = load_qa(args.qa)
    answerable = [q for q in questions if q.answerable]
    print(f"indexing {len(files)} passages and asking {len(answerable)} questions ...", flush=True)
    with corpus_pipeline(files, settings, embedder, progress=False) as pipeline:
        asked = [
            Asked(
                q.question, embedder.embed_query(q.question), tuple(pipeline.retrieve(q.question)), q.answers
            )
            for q in answerable
        ]
        answerer = ExtractiveAnswerer(
            pipeline.index,
            content_terms,
            model=None,
            threshold=0.0,
            max_sentences=settings.answer_max_sentences,
        )
        table = f1_table(answerer, asked)
    text = report(table, str(args.qa), len(asked))
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0
