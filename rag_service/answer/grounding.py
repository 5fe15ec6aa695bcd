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

Like is compared with like. The index's sentence vectors are pooled from their chunk's forward pass (they
read the sentence in context, see ``rag_service.embedding.passages``), while a generated claim is embedded
on its own: a verbatim copy of a sentence scored only 0.6-0.9 against the pooled vector. So claims of a
generated answer (``Claim.alone``) are compared with the candidate sentences embedded on their own too,
through the ``embed`` function, at a cost of one small batch per LLM answer (cached by row); quoted
claims carry the index's own vectors and are compared with those.

A claim is ``supported`` when the score reaches ``RAG_GROUNDING_THRESHOLD`` (0.7). A verbatim extractive
sentence scores 1.0 and a faithful paraphrase about 0.75-0.9; sentences that SmolLM2-135M invents or
stitches together from passage fragments scored 0.36-0.67 in our tests.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.models import Grounding, ScoredChunk, SentenceCheck
from rag_service.store.model import IndexContent

ALONE_CACHE = 4096
"""Sentences kept embedded on their own for checking generated answers (1.5 MB)."""


@dataclass(frozen=True)
class Claim:
    text: str
    """The sentence without its markers."""
    cited: tuple[int, ...]
    """1-based passage numbers (positions in the retrieved list) the sentence cites."""
    vector: np.ndarray
    """Unit-length embedding of ``text``."""
    alone: bool = True
    """``vector`` embeds ``text`` on its own (a generated sentence), not the index's pooled vector."""


class GroundingChecker:
    def __init__(
        self,
        content: IndexContent,
        terms: Callable[[str], list[str]],
        threshold: float,
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        self._content = content
        self._terms = terms
        self._sentence_terms: dict[int, frozenset[str]] = {}
        self._embed = embed
        self._alone: OrderedDict[int, np.ndarray] = OrderedDict()
        self.threshold = threshold
        """RAG_GROUNDING_THRESHOLD: the score a sentence needs to count as supported."""

    def _terms_of(self, row: int) -> frozenset[str]:
        cached = self._sentence_terms.get(row)
        if cached is None:
            cached = self._sentence_terms[row] = frozenset(self._terms(self._content.sentences[row].text))
        return cached

    def _vectors(self, rows: list[int], alone: bool) -> np.ndarray:
        """Sentence vectors to compare a claim with: embedded on their own for a claim embedded alone."""
        if not alone or self._embed is None:
            return self._content.sentence_vectors[rows]
        known: dict[int, np.ndarray] = {}  # a local copy: other threads may evict from the cache
        for row in rows:
            cached = self._alone.get(row)
            if cached is not None:
                known[row] = cached
        missing = [row for row in rows if row not in known]
        if missing:
            fresh = self._embed([self._content.sentences[row].text for row in missing])
            known.update(zip(missing, fresh, strict=True))
            self._alone.update(zip(missing, fresh, strict=True))
            while len(self._alone) > ALONE_CACHE:
                self._alone.popitem(last=False)
        return np.stack([known[row] for row in rows])

    def score(self, claim: Claim, hits: Sequence[ScoredChunk]) -> float:
        passages = [hits[n - 1].chunk for n in claim.cited if 1 <= n <= len(hits)]
        if not passages:
            passages = [h.chunk for h in hits if h.chunk.voice == "author"]
        rows = list(dict.fromkeys(row for chunk in passages for row in chunk.sentence_ids))
        if not rows:
            return 0.0
        similarities = self._vectors(rows, claim.alone) @ claim.vector
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
