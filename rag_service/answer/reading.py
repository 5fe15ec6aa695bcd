"""What the reader changes in an extractive answer: which sentence leads, which are left out, whether to
answer at all.

The reader (``rag_service.reader``) reads the question with each of the ``READ_CANDIDATES`` best-ranked
candidate sentences, in one batch. Its logits are on the scale it was trained on: above 0, "this sentence
answers more likely than nothing does".

- **Declining.** ``READER_FEATURES`` join the answerability gate's features: the best logit, and the
  probability that some sentence read answers (one minus the null answer's share of the softmax). The
  gate is refitted with them (``rag-service train-answerability``); every score it learns from comes
  from a reader that never saw that question (it was trained on SQuAD 2.0 only).
- **Order.** The sentence the reader reads as answering best leads the answer when its logit is above
  ``LEAD_LOGIT``; a sentence read below ``DROP_LOGIT`` is left out (unless nothing else is left); a
  question for a name, date, number or place gets that one sentence alone.

Only ``READ_CANDIDATES`` are read because the reader costs 3-5 ms a sentence on two cores (an int8
MiniLM forward pass of 45-70 tokens; ``rag-service bench --only reader``), against a 25 ms budget for a
whole answer. Reading 2 or 5 instead of 3 moved the gate's cross-validated ClapNQ figures by less than
their noise (balanced 0.775 and 0.792 against 0.784), so 3 stays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag_service.models import Sentence
from rag_service.reader.model import Candidate, ReadsPairs

READ_CANDIDATES = 3
LEAD_LOGIT = 0.0
DROP_LOGIT = -4.0
READER_FEATURES = ("reader_max", "reader_answer")
UNREAD = -10.0
"""The logit features take when nothing could be read."""


class SentenceReading:
    def __init__(
        self, reader: ReadsPairs, sentences: Sequence[Sentence], headings: Sequence[str] = ()
    ) -> None:
        """``headings``: each sentence row's innermost heading (``answer.sections``), read with the
        document's title before the sentence. A sentence under "Spending in 2017" does not name the year
        itself; without the heading the reader cannot tell it from the same sentence under 2016."""
        self.reader = reader
        self.count = READ_CANDIDATES
        """How many candidates are read (training harvests more, ``reader.indomain``)."""
        self._sentences = sentences
        self._headings = headings

    def _context(self, row: int) -> str:
        title = self._sentences[row].title
        heading = self._headings[row] if row < len(self._headings) else ""
        return f"{title} › {heading}" if heading and heading != title else title

    def read(self, question: str, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Per candidate row: the reader's logit, or NaN for rows not read (outside the best
        ``READ_CANDIDATES`` by ``scores``, or never allowed to answer)."""
        logits = np.full(len(rows), np.nan, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(scores))
        if not len(finite):
            return logits
        top = finite[np.argsort(-scores[finite], kind="stable")[: self.count]]
        candidates = [Candidate(self._context(rows[i]), self._sentences[rows[i]].text) for i in top]
        logits[top] = self.reader.scores(question, candidates)
        return logits


def reader_features(logits: np.ndarray) -> dict[str, float]:
    read = logits[np.isfinite(logits)]
    if not len(read):
        return {"reader_max": UNREAD, "reader_answer": 0.0}
    top = float(read.max())
    weights = np.exp(np.concatenate([[0.0], read]) - max(top, 0.0))
    return {"reader_max": top, "reader_answer": float(1.0 - weights[0] / weights.sum())}


def reorder(
    chosen: list[tuple[int, float]], rows: np.ndarray, logits: np.ndarray, said: frozenset[int] = frozenset()
) -> list[tuple[int, float]]:
    """``chosen`` (row, score) led by the reader's best sentence, without sentences it reads as not
    answering. A sentence the previous answer quoted (``said``) never leads: the user has just read it."""
    if not chosen or not np.isfinite(logits).any():
        return chosen
    logit_of = {int(r): float(v) for r, v in zip(rows, logits, strict=True) if np.isfinite(v)}
    kept = [pair for pair in chosen if logit_of.get(pair[0], 0.0) >= DROP_LOGIT] or chosen[:1]
    fresh = [r for r in logit_of if r not in said]
    if not fresh:
        return kept
    best = max(fresh, key=logit_of.__getitem__)
    if logit_of[best] <= LEAD_LOGIT:
        return kept
    lead = next((pair for pair in chosen if pair[0] == best), (best, logit_of[best]))
    return [lead, *(pair for pair in kept if pair[0] != best)]
