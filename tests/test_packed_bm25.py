"""BM25 over packed postings (``store.postgres.lexicon.score``) worked block by block, against a plain
computation of the same formula: blocks of postings and of rows must not change a score or the order,
ties included (many rows with the same score, as when a text is stored many times)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from rag_service.retrieval.lexical import K1, B
from rag_service.store.postgres import lexicon


def _packed(term: str, rows: np.ndarray, tfs: np.ndarray, lengths: np.ndarray) -> tuple:
    order = np.argsort(rows)
    return (
        term,
        len(rows),
        rows[order].astype(">i4").tobytes(),
        tfs[order].astype(">i2").tobytes(),
        lengths[order].astype(">i4").tobytes(),
    )


def _plain(fetched: list[tuple], wanted: Counter[str], documents: int, mean: float, k: int) -> list:
    scores: dict[int, float] = {}
    for term, df, rows, tfs, lengths in fetched:
        idf = wanted[term] * math.log(1 + (documents - df + 0.5) / (df + 0.5))
        for row, tf, length in zip(
            np.frombuffer(rows, ">i4"), np.frombuffer(tfs, ">i2"), np.frombuffer(lengths, ">i4"), strict=True
        ):
            weight = idf * tf / (tf + K1 * (1 - B + B * length / mean))
            scores[int(row)] = scores.get(int(row), 0.0) + weight
    ranked = sorted(
        (row for row, s in scores.items() if s > 0), key=lambda row: (-round(scores[row], 9), row)
    )
    return [(row, round(scores[row], 9)) for row in ranked[:k]]


@pytest.mark.parametrize("block", [3, 7, 64, 1 << 18])
@pytest.mark.parametrize("k", [1, 5, 40])
def test_blocks_give_the_plain_scores_and_order(monkeypatch, block: int, k: int) -> None:
    monkeypatch.setattr(lexicon, "BLOCK", block)
    rng = np.random.default_rng(block * 100 + k)
    documents = 300
    lengths = rng.integers(5, 60, documents)
    # rows 0-99 repeat rows 100-199's texts: their scores tie exactly, and the cut falls among them
    lengths[:100] = lengths[100:200]
    fetched = []
    for term, df in (("common", 250), ("middle", 60), ("rare", 4)):
        rows = rng.choice(np.arange(100, documents), df if df < 200 else 200, replace=False)
        tfs = rng.integers(1, 4, len(rows))
        copies = rows[rows < 200] - 100
        rows = np.concatenate([rows, copies])
        tfs = np.concatenate([tfs, tfs[: len(rows) - len(copies)][rows[: len(rows) - len(copies)] < 200]])
        fetched.append(_packed(term, rows, tfs, lengths[rows]))
    wanted = Counter({"common": 1, "middle": 2, "rare": 1})
    got = lexicon.score(iter(fetched), wanted, documents, float(lengths.mean()), k)
    assert [(row, round(score, 9)) for row, score in got] == _plain(
        fetched, wanted, documents, float(lengths.mean()), k
    )
    tied = Counter(round(score, 9) for _, score in got)
    assert k < 5 or max(tied.values()) >= 2  # the case checked has ties inside the top k


def test_no_term_found_and_no_positive_score_give_nothing() -> None:
    assert lexicon.score(iter([]), Counter({"absent": 1}), 10, 5.0, 10) == []
    assert lexicon._top(np.zeros(1000), 10) == []
