"""Metric functions on cases computed by hand."""

import math

import pytest

from rag_service.evaluation import metrics as m


@pytest.mark.parametrize(
    ("cited", "expected", "result"),
    [
        (["a"], ["a"], (1.0, 1.0, 1.0)),
        (["a", "b"], ["a"], (0.5, 1.0, 2 * 0.5 * 1.0 / 1.5)),
        (["a"], ["a", "b"], (1.0, 0.5, 2 / 3)),
        (["c"], ["a"], (0.0, 0.0, 0.0)),
        ([], ["a"], (0.0, 0.0, 0.0)),
        ([], [], (1.0, 1.0, 1.0)),
        (["a"], [], (0.0, 0.0, 0.0)),
        (["a", "a"], ["a"], (1.0, 1.0, 1.0)),
    ],
)
def test_precision_recall_f1(cited, expected, result) -> None:
    assert m.precision_recall_f1(cited, expected) == pytest.approx(result)


def test_ranked_sources_keeps_first_appearance() -> None:
    assert m.ranked_sources(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]


def test_hit_mrr() -> None:
    ranked = ["x", "y", "a"]
    assert m.hit_at_k(ranked, ["a"], 2) == 0.0 and m.hit_at_k(ranked, ["a"], 3) == 1.0
    assert m.reciprocal_rank(ranked, ["a"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(ranked, ["y", "a"]) == pytest.approx(1 / 2)
    assert m.reciprocal_rank(ranked, ["z"]) == 0.0


def test_ndcg_by_hand() -> None:
    # Relevant docs a (2) and b (1); ranking x, a, b: DCG = 2/log2(3) + 1/log2(4); IDCG = 2/1 + 1/log2(3).
    dcg = 2 / math.log2(3) + 1 / 2
    idcg = 2 + 1 / math.log2(3)
    assert m.ndcg_at_k(["x", "a", "b"], {"a": 2, "b": 1}, 10) == pytest.approx(dcg / idcg)
    assert m.ndcg_at_k(["a", "b"], {"a": 1, "b": 1}, 10) == pytest.approx(1.0)
    assert m.ndcg_at_k(["x", "a"], {"a": 1}, 1) == 0.0
    assert m.ndcg_at_k(["x"], {}, 10) == 0.0


def test_recall_at_k() -> None:
    assert m.recall_at_k(["a", "x", "b", "c"], ["a", "b", "d"], 3) == pytest.approx(2 / 3)
    assert m.recall_at_k(["a"], [], 3) == 0.0


def test_quote_coverage() -> None:
    cited = [("f.txt", 10, 20), ("g.txt", 0, 5)]
    expected = [[("f.txt", 15, 30)], [("f.txt", 20, 25)], [("h.txt", 0, 3), ("g.txt", 4, 9)], []]
    # covered: first (overlaps 15..20), third (second place overlaps g 4..5); not: touching end, not found.
    assert m.quote_coverage(expected, cited) == pytest.approx(2 / 4)
    assert m.quote_coverage([], cited) == 0.0


@pytest.mark.parametrize(
    ("expected", "not_found", "citations", "score"),
    [
        ([], True, 0, 1.0),
        ([], True, 1, 0.0),
        ([], False, 2, 0.0),
        (["a"], False, 1, 1.0),
        (["a"], True, 0, 0.0),
    ],
)
def test_abstention(expected, not_found, citations, score) -> None:
    assert m.abstention_correct(expected, not_found, citations) == score


def test_mention_rate() -> None:
    answer = "Russia plans at least 30 launches; Komarov said so (BRICS)."
    assert m.mention_rate(answer, ["komarov", "30", "3", "brics", "Mars"]) == pytest.approx(3 / 5)
    assert m.mention_rate(answer, []) == 0.0


def test_percentile_and_mean() -> None:
    assert m.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert m.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert m.percentile([], 50) == 0.0
    assert m.mean([1, None, 3]) == 2.0 and m.mean([None]) is None
