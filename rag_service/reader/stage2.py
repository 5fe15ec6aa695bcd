"""The reader's second stage: from the SQuAD-trained weights, on ClapNQ and the seeds (``indomain``).

One reader per fold is trained on the other folds' questions and exported beside the training state
(``<state>/folds/fold-<k>``, not shipped); the shipped reader is trained on every fold. The fold readers
give the two things that must never come from a reader that saw the question:

- the validation figures of this stage (``oof_figures``): for each fold's questions, scored by the
  reader of that fold, how often the first-read candidate answers and how well the best logit separates
  answerable from unanswerable; the first stage's reader on the same candidates beside them;
- the answerability gate's reader features (``rag-service train-answerability --reader-folds``), so the
  gate is refitted on out-of-fold scores only, as issue #31 asks.

Each run resumes from its own checkpoint; a fold whose graph matches its card is not retrained.

Measured 2026-12-06 (docs/evaluation.md): the stage raises the reader's own answerability AUC on
ClapNQ's out-of-fold candidates but not the gate's figures, and lowers how often the reader's best
candidate answers; the shipped reader therefore has no second stage. The code stays so that the
measurement can be repeated and other data tried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.reader.data import Pair
from rag_service.reader.export import auc, write_graph
from rag_service.reader.indomain import FOLDS, fold_of
from rag_service.reader.model import (
    Candidate,
    Reader,
    load_reader,
)
from rag_service.reader.train import INDOMAIN_EPOCHS, INDOMAIN_LEARNING_RATE, fine_tune, question_groups


def fold_dir(state: Path, k: int) -> Path:
    return state / "folds" / f"fold-{k}"


def ready(folder: Path) -> bool:
    try:
        load_reader(folder)
    except Exception:  # no card, another version, a changed graph: train it again
        return False
    return True


def train_stage(
    model_path: str, start: dict[str, Any], pairs: Sequence[Pair], state: Path
) -> tuple[Any, Any]:
    """Every fold's reader (written under ``state``), then the reader of all folds (returned)."""
    for k in range(FOLDS):
        folder = fold_dir(state, k)
        if ready(folder):
            continue
        print(f"in-domain stage, fold {k + 1} of {FOLDS} (trained without its questions) ...", flush=True)
        model, tokenizer = _tune(model_path, start, [p for p in pairs if fold_of(p.article) != k], state, k)
        write_graph(model, tokenizer, folder, {"fold": k, "of": FOLDS})
    print("in-domain stage, every fold (the shipped reader) ...", flush=True)
    return _tune(model_path, start, pairs, state, None)


def _tune(model_path: str, start: dict[str, Any], pairs: Sequence[Pair], state: Path, k: int | None) -> Any:
    name = "indomain-all.pt" if k is None else f"indomain-fold-{k}.pt"
    return fine_tune(
        model_path,
        pairs,
        state,
        start=start,
        checkpoint_name=name,
        epochs=INDOMAIN_EPOCHS,
        learning_rate=INDOMAIN_LEARNING_RATE,
    )


def _figures(score: Callable[[int, Pair, list[Candidate]], np.ndarray], pairs: Sequence[Pair]) -> dict:
    firsts: list[int] = []
    best: dict[bool, list[float]] = {True: [], False: []}
    for group in question_groups(pairs):
        members = [pairs[i] for i in group]
        logits = score(
            fold_of(members[0].article), members[0], [Candidate(p.title, p.sentence) for p in members]
        )
        labels = [p.label for p in members]
        answerable = any(labels)
        best[answerable].append(float(np.max(logits)))
        if answerable:
            firsts.append(labels[int(np.argmax(logits))])
    return {
        "top_candidate_answers": round(float(np.mean(firsts)), 4),
        "answerable_auc": round(auc(best[True], best[False]), 4),
    }


def _in_order(k: int, p: Pair, candidates: list[Candidate]) -> np.ndarray:
    return -np.arange(len(candidates), dtype=np.float64)


def oof_figures(state: Path, first_stage: Reader, pairs: Sequence[Pair]) -> dict[str, Any]:
    """Out-of-fold figures of the in-domain stage, and the first stage's on the same candidates."""
    readers = [load_reader(fold_dir(state, k)) for k in range(FOLDS)]
    origins = sorted({p.article.split(":", 1)[0] for p in pairs})
    figures: dict[str, Any] = {}
    for origin in origins:
        mine = [p for p in pairs if p.article.startswith(f"{origin}:")]
        questions = len(question_groups(mine))
        figures[origin] = {
            "questions": questions,
            "first_stage": _figures(lambda k, p, c: first_stage.scores(p.question, c), mine),
            "out_of_fold": _figures(lambda k, p, c: readers[k].scores(p.question, c), mine),
            # The answerer's own order, which leads the answer without the reader (its AUC means nothing).
            "answerer_order": {
                "top_candidate_answers": _figures(_in_order, mine)["top_candidate_answers"],
            },
        }
    return figures
