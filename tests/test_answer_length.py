"""How many sentences an extractive answer quotes: the answerer's count rule, and the cross-validated
tuning command (its fold logic, and a real run on a slice of ClapNQ)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag_service.answer.extractive import ExtractiveAnswerer
from rag_service.evaluation import answer_length
from rag_service.retrieval.lexical import content_terms
from tests.test_evaluation import run_cli
from tests.test_qa_eval import _slice

QUESTION = "What is the role of the United States in cooperation with Russia in space?"


def _answerer(pipeline, **kwargs) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(
        pipeline.index, content_terms, model=None, threshold=0.0, max_sentences=4, **kwargs
    )


def _count(pipeline, answerer: ExtractiveAnswerer) -> int:
    hits = pipeline.retrieve(QUESTION)
    extract = answerer.answer(QUESTION, pipeline.embedder.embed_query(QUESTION), hits)
    assert not extract.not_found
    return len({part[0] for part in extract.parts})


def test_the_minimum_and_the_span_set_how_many_sentences_are_quoted(seeds_pipeline) -> None:
    exactly_one = _count(seeds_pipeline, _answerer(seeds_pipeline, min_sentences=1, span=0.0))
    at_least_three = _count(seeds_pipeline, _answerer(seeds_pipeline, min_sentences=3, span=0.0))
    everything_close = _count(seeds_pipeline, _answerer(seeds_pipeline, min_sentences=1, span=10.0))
    assert exactly_one <= 2  # one of the best document, and perhaps one of another within the margin
    assert at_least_three >= 3
    assert everything_close == 4  # capped by max_sentences


def test_cross_validation_scores_a_point_only_on_questions_it_was_not_chosen_on() -> None:
    # Point (1, 0.0) is perfect on one question and useless elsewhere; (2, 0.3) is 0.5 everywhere. A
    # fold that holds the perfect question out chooses (2, 0.3) and scores 0.5 there, never 1.0.
    n = 50
    lucky = np.zeros(n)
    lucky[7] = 30.0  # in-sample, its mean (0.6) beats 0.5 whenever question 7 is in the training folds
    steady = np.full(n, 0.5)
    table = {(1, 0.0): lucky, (2, 0.3): steady}
    for result in answer_length.cross_validate(table):
        assert (2, 0.3) in result["chosen"]
        assert result["f1"] < lucky.mean()  # the lucky question's score never counts for the lucky point
        assert result["f1"] == pytest.approx(np.mean([table[p][i] for i, p in _assignments(result, n)]))


def _assignments(result: dict, n: int) -> list[tuple[int, tuple[int, float]]]:
    fold = np.random.default_rng(result["seed"]).permutation(n) % answer_length.FOLDS
    return [(i, result["chosen"][int(fold[i])]) for i in range(n)]


def test_tune_answer_length_runs_on_clapnq_and_writes_its_report(tmp_path: Path) -> None:
    folder = _slice(tmp_path)
    out = tmp_path / "answer-length.md"
    result = run_cli("tune-answer-length", "--qa", str(folder), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text()
    assert "8 answerable questions" in text
    folds = [line for line in text.splitlines() if line.startswith("| 0 |") or line.startswith("| 1 |")]
    assert len(folds) >= 2
    scores = [float(line.split("|")[2]) for line in folds[:2]]
    assert all(0.0 < s <= 1.0 for s in scores)
    assert "Shipped: minimum 2, span 0.3" in text
