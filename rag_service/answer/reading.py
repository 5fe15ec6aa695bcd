"""What the reader changes in an extractive answer: which sentence leads, which are left out, whether to
answer at all.

The reader (``rag_service.reader``) reads the question with each of the ``READ_CANDIDATES`` best-ranked
candidate sentences, in one batch. Its logits are on the scale it was trained on: above 0, "this sentence
answers more likely than nothing does".

- **Declining.** ``READER_FEATURES`` join the answerability gate's features: the best logit, and the
  probability that some sentence read answers (one minus the null answer's share of the softmax). The
  gate is refitted with them (``rag-service train-answerability``); every score it learns from comes
  from a reader that never saw that question (it was trained on SQuAD 2.0 only).
- **Order.** The read sentence whose rank plus ``LEAD_WEIGHT`` times its logit is highest leads the
  answer; a sentence read below ``DROP_LOGIT`` is left out (unless nothing else is left); a question for
  a name, date, number or place gets that one sentence alone.

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
LEAD_WEIGHT = 0.3
"""The lead is the read sentence with the highest rank plus this times its logit. Chosen on the
harvested candidates of the seeds, ClapNQ and SQuAD's held-out articles (5-fold by passage: see
docs/evaluation.md, "Which sentence leads"): the reader alone led worse than the rank alone on the
seeds and SQuAD, better on ClapNQ; the sum is best on average, flat from 0.15 to 0.5."""
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
    chosen: list[tuple[int, float]],
    rows: np.ndarray,
    logits: np.ndarray,
    scores: np.ndarray,
    said: frozenset[int] = frozenset(),
) -> list[tuple[int, float]]:
    """``chosen`` (row, score) led by the read sentence whose rank plus ``LEAD_WEIGHT`` times its logit
    is highest (``scores``: every row's rank), without sentences the reader reads as not answering. A
    sentence the previous answer quoted (``said``) never leads: the user has just read it."""
    if not chosen or not np.isfinite(logits).any():
        return chosen
    logit_of = {int(r): float(v) for r, v in zip(rows, logits, strict=True) if np.isfinite(v)}
    kept = [pair for pair in chosen if logit_of.get(pair[0], 0.0) >= DROP_LOGIT] or chosen[:1]
    lead_of = {
        int(r): float(s) + LEAD_WEIGHT * float(v)
        for r, s, v in zip(rows, scores, logits, strict=True)
        if np.isfinite(v) and np.isfinite(s) and int(r) not in said
    }
    if not lead_of:
        return kept
    best = max(lead_of, key=lead_of.__getitem__)
    lead = next((pair for pair in chosen if pair[0] == best), (best, float(scores[rows == best][0])))
    return [lead, *(pair for pair in kept if pair[0] != best)]
