"""Metric functions. Pure: plain values in, numbers out, each unit-tested on cases computed by hand.

File-level citation metrics compare the set of cited files with the expected set. For an unanswerable
turn (no expected files) a reply without citations scores 1 on all three and any citation scores 0.
Retrieval metrics rank *files*: the retrieved passages' sources, each file at the rank where it first
appears, with binary relevance (expected or not).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence


def precision_recall_f1(cited: Iterable[str], expected: Iterable[str]) -> tuple[float, float, float]:
    cited_set, expected_set = set(cited), set(expected)
    if not expected_set:
        score = 1.0 if not cited_set else 0.0
        return score, score, score
    if not cited_set:
        return 0.0, 0.0, 0.0
    hits = len(cited_set & expected_set)
    precision, recall = hits / len(cited_set), hits / len(expected_set)
    f1 = 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def ranked_sources(sources: Sequence[str]) -> list[str]:
    """Files in the order they first appear in a ranked list of passages."""
    return list(dict.fromkeys(sources))


def hit_at_k(ranked: Sequence[str], expected: Iterable[str], k: int) -> float:
    wanted = set(expected)
    return 1.0 if any(s in wanted for s in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], expected: Iterable[str]) -> float:
    wanted = set(expected)
    for rank, source in enumerate(ranked, start=1):
        if source in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevance: dict[str, float], k: int) -> float:
    """nDCG@k with graded relevance and log2 discount (BEIR/TREC); 0 when nothing is relevant."""
    dcg = sum(relevance.get(doc, 0.0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], start=1))
    ideal = sorted((r for r in relevance.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    wanted = set(relevant)
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def spans_overlap(a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    """Two ``(source, start, end)`` spans of the same file share at least one character."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def quote_coverage(
    expected: Sequence[Sequence[tuple[str, int, int]]], cited: Sequence[tuple[str, int, int]]
) -> float:
    """Share of expected quotes overlapped by a cited span. Each expected quote is given as the places
    where it occurs (usually one); a quote found nowhere counts as not covered."""
    if not expected:
        return 0.0
    covered = sum(any(spans_overlap(place, c) for place in places for c in cited) for places in expected)
    return covered / len(expected)


def abstention_correct(expected_sources: Sequence[str], not_found: bool, citations: int) -> float:
    """1 when an unanswerable turn is declined with no citations, or an answerable one is not declined."""
    if not expected_sources:
        return 1.0 if not_found and citations == 0 else 0.0
    return 0.0 if not_found else 1.0


def mention_rate(answer: str, terms: Sequence[str]) -> float:
    """Share of ``terms`` found in ``answer`` (case-insensitive, whole words where a term starts or ends
    with a word character)."""
    if not terms:
        return 0.0
    found = 0
    for term in terms:
        pattern = re.escape(term.lower())
        if term[:1].isalnum():
            pattern = r"\b" + pattern
        if term[-1:].isalnum():
            pattern += r"\b"
        found += bool(re.search(pattern, answer.lower()))
    return found / len(terms)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100), as numpy's default method."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
