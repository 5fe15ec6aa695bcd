"""The grounding check: is each sentence of an answer backed by the passages it cites?

Every answer, whatever produced it, is split into claims (sentences with the passage numbers they cite).
A claim is compared with the sentences of its cited passages, or, when it cites none, with the sentences
of all retrieved passages in the author's voice (an uncited claim cannot borrow support from a reader
comment). Its score is the mean of two signals:

* similarity — the best cosine similarity between the claim and one of those sentences (a paraphrase of
  something a passage says scores high);
* coverage — the share of the claim's content words (stemmed) found in two sentences: the most similar
  one and the one that contains most of the claim's words. Measured against whole passages, common
  words would cover almost any sentence; against two sentences, an invented name, number or detail, or
  a claim stitched together from fragments of several sentences, lowers coverage even when it sounds
  like the passage.

A claim is ``supported`` when the score reaches ``RAG_GROUNDING_THRESHOLD`` (0.7). A verbatim extractive
sentence scores 1.0 and a faithful paraphrase about 0.75-0.9; sentences that SmolLM2-135M invents or
stitches together from passage fragments scored 0.36-0.67 in our tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.models import Grounding, ScoredChunk, SentenceCheck
from rag_service.store.model import IndexContent


@dataclass(frozen=True)
class Claim:
    text: str
    """The sentence without its markers."""
    cited: tuple[int, ...]
    """1-based passage numbers (positions in the retrieved list) the sentence cites."""
    vector: np.ndarray
    """Unit-length embedding of ``text``."""


class GroundingChecker:
    def __init__(self, content: IndexContent, terms: Callable[[str], list[str]], threshold: float) -> None:
        self._content = content
        self._terms = terms
        self._sentence_terms: dict[int, frozenset[str]] = {}
        self.threshold = threshold
        """RAG_GROUNDING_THRESHOLD: the score a sentence needs to count as supported."""

    def _terms_of(self, row: int) -> frozenset[str]:
        cached = self._sentence_terms.get(row)
        if cached is None:
            cached = self._sentence_terms[row] = frozenset(self._terms(self._content.sentences[row].text))
        return cached

    def score(self, claim: Claim, hits: Sequence[ScoredChunk]) -> float:
        passages = [hits[n - 1].chunk for n in claim.cited if 1 <= n <= len(hits)]
        if not passages:
            passages = [h.chunk for h in hits if h.chunk.voice == "author"]
        rows = list(dict.fromkeys(row for chunk in passages for row in chunk.sentence_ids))
        if not rows:
            return 0.0
        similarities = self._content.sentence_vectors[rows] @ claim.vector
        words = set(self._terms(claim.text))
        if not words:
            return max(float(similarities.max()), 0.0)
        closest = self._terms_of(rows[int(np.argmax(similarities))])
        richest = max((self._terms_of(row) for row in rows), key=lambda terms: len(words & terms))
        coverage = len(words & (closest | richest)) / len(words)
        return 0.5 * max(float(similarities.max()), 0.0) + 0.5 * coverage

    def check(self, claims: Sequence[Claim], hits: Sequence[ScoredChunk], mode: str = "report") -> Grounding:
        checks = []
        for claim in claims:
            score = self.score(claim, hits)
            checks.append(SentenceCheck(claim.text, claim.cited, score >= self.threshold, round(score, 4)))
        share = sum(c.supported for c in checks) / len(checks) if checks else None
        return Grounding(tuple(checks), None if share is None else round(share, 4), mode)
