"""What the sentences beside a sentence say about the question.

A point is often made over two or three sentences, and only one of them uses the question's words. In
"The city closed its centre to cars in 2015. The measure cut air pollution by a third.", the second
sentence answers "What did closing the city centre to cars achieve?" but resembles it less than the
first, whose topic it continues ("the measure"). So a sentence's rank gains ``NEIGHBOUR_WEIGHT`` times
the better of its two neighbours' cosine with the question: of two sentences that resemble the question
alike, the one in a passage about it ranks first, and a continuation can join the sentence it continues.

A neighbour is the sentence just before or after in the same document and section (a reader's comment
never lends to the article above it) that may answer on its own: a title, heading, byline or caption is
metadata (``rag_service.answer.lines``), and a heading lends through ``rag_service.answer.sections``
instead.

The weight is chosen by 5-fold cross-validation on the ClapNQ questions with the answer length, by
``rag-service tune-answer-length`` (figures in ``docs/answer-length.md``). It changes the ranking of
sentences only, never the answerability features.
"""

from __future__ import annotations

import numpy as np

from rag_service.answer.row_links import RowLinks
from rag_service.store.model import LoadedIndex

NEIGHBOUR_WEIGHT = 0.1
"""Weight of the better neighbour's cosine in a sentence's rank."""


def neighbour_rows(index: LoadedIndex, metadata: np.ndarray) -> np.ndarray:
    """Per sentence row, the rows of the sentences just before and after it (columns 0 and 1) in text
    order within its document and section; -1 where there is none, or where it is ``metadata`` (a
    boolean per row: lines that never answer on their own). A heading between two sentences is a
    break, not skipped: the passage before it is about something else."""
    sentences = index.content.sentences
    out = np.full((len(sentences), 2), -1, dtype=np.int32)  # 8 bytes a sentence
    by_section: dict[tuple[str, str], list[int]] = {}
    for row, s in enumerate(sentences):
        by_section.setdefault((s.source, s.section), []).append(row)
    for rows in by_section.values():
        rows.sort(key=lambda row: sentences[row].start)
        ordered = np.asarray(rows, dtype=np.int32)
        out[ordered[1:], 0] = ordered[:-1]
        out[ordered[:-1], 1] = ordered[1:]
    if len(sentences):
        out[(out >= 0) & metadata[np.maximum(out, 0)]] = -1
    return out


def with_neighbours(
    scores: np.ndarray,
    rows: np.ndarray,
    neighbours: np.ndarray | RowLinks,
    vectors: np.ndarray,
    query: np.ndarray,
    weight: float = NEIGHBOUR_WEIGHT,
) -> np.ndarray:
    """``scores`` (of the sentences ``rows``), each plus ``weight`` times the higher cosine of its
    neighbours with the question (nothing for a sentence with none)."""
    if not weight or not len(rows):
        return scores
    pairs = neighbours[rows]  # (len(rows), 2)
    has = pairs >= 0
    cosine = np.full(pairs.shape, -np.inf, dtype=np.float32)
    cosine[has] = vectors[pairs[has]] @ query
    best = cosine.max(axis=1)
    return scores + weight * np.where(np.isfinite(best), best, 0.0).astype(np.float32)
