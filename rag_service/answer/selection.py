"""Which of the ranked sentences an extractive answer quotes.

Two sentences, and more (up to ``max_sentences``) while they score close to the best (``span``), so a
question whose answer is spread over a passage gets more of it than one a single sentence answers; all
from the best sentence's document (the best first, the others in document order; for an asked-for
name, date, number or place, all in order of score), plus at most one sentence of another document
scoring within
``margin`` of the best. A sentence that says again what a chosen one says is passed over
(``redundant``), and a question naming two parties is answered by both (``covering``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rag_service.answer.terms import TermStats
from rag_service.store.model import LoadedIndex

DUPLICATE_SIMILARITY = 0.92
REDUNDANT_WORD_SHARE = 0.8


class SentenceSelector:
    def __init__(self, index: LoadedIndex, terms: Callable[[str], list[str]], stats: TermStats) -> None:
        self._content = index.content
        self._terms = terms
        self._stats = stats

    def select(
        self,
        rows: np.ndarray,
        scores: np.ndarray,
        span: float,
        *,
        min_sentences: int,
        max_sentences: int,
        margin: float,
        document_order: bool = True,
    ) -> list[tuple[int, float]]:
        """Sentences of the best sentence's document (the best first, then in document order: an answer
        leads with what answers, and its context reads in the writer's order): at least ``min_sentences``,
        then those scoring within ``span`` of the best, up to ``max_sentences``; then at most one
        sentence of another document scoring within ``margin`` of the best (a second source that says
        the same thing, or the other half of a comparison), if ``max_sentences`` leaves room."""
        order = [int(i) for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])]
        if not order:
            return []
        best_score = float(scores[order[0]])
        source = self._content.sentences[int(rows[order[0]])].source
        chosen: list[tuple[int, float]] = []
        for i in order:
            row = int(rows[i])
            same = self._content.sentences[row].source == source
            wanted = len(chosen) < min_sentences or float(scores[i]) >= best_score - span
            if (
                len(chosen) < max_sentences
                and same
                and wanted
                and not self.redundant(row, [r for r, _ in chosen])
            ):
                chosen.append((row, float(scores[i])))
        if document_order:  # the best leads; the rest follow in text order (rows are in text order)
            chosen = chosen[:1] + sorted(chosen[1:], key=lambda pair: pair[0])
        for i in order:
            row = int(rows[i])
            if float(scores[i]) < best_score - margin or len(chosen) >= max_sentences:
                break
            if self._content.sentences[row].source != source and not self.redundant(
                row, [r for r, _ in chosen]
            ):
                chosen.append((row, float(scores[i])))
                break
        return chosen

    def covering(
        self,
        name: str,
        chosen: list[tuple[int, float]],
        rows: np.ndarray,
        scores: np.ndarray,
        max_sentences: int,
    ) -> list[tuple[int, float]]:
        """``chosen``, with the best sentence of a retrieved document that speaks of ``name`` when none
        of the chosen sentences' documents does: "What do Glavkosmos and Roscosmos say …?" is answered
        by both, even when one of them scores well below the other. At the ``max_sentences`` cap it
        takes the place of the weakest sentence of the document quoted most (never the best one)."""
        wanted = set(self._terms(name))
        sentences = self._content.sentences
        speaks = {sentences[int(r)].source for r in rows if wanted <= self._stats.sentence_terms[int(r)]}
        quoted = [sentences[row].source for row, _ in chosen]
        if not wanted or not speaks or speaks & set(quoted):
            return chosen
        candidates = [
            (int(rows[i]), float(scores[i]))
            for i in np.argsort(-scores, kind="stable")
            if np.isfinite(scores[i]) and sentences[int(rows[i])].source in speaks
        ]
        extra = next((c for c in candidates if not self.redundant(c[0], [r for r, _ in chosen])), None)
        if extra is None:
            return chosen
        if len(chosen) >= max_sentences:
            most = max(set(quoted), key=quoted.count)
            best = max(chosen, key=lambda pair: pair[1])
            weaker = [pair for pair in chosen if pair != best and sentences[pair[0]].source == most]
            if not weaker:  # one sentence allowed, and it is the best: it stays
                return chosen
            weakest = min(weaker, key=lambda pair: pair[1])
            chosen = [pair for pair in chosen if pair != weakest]
        return [*chosen, extra]

    def redundant(self, row: int, chosen: list[int]) -> bool:
        """A near-paraphrase of a chosen sentence, or one whose words the chosen ones already say."""
        if not chosen:
            return False
        vectors = self._content.sentence_vectors
        if max(float(vectors[row] @ vectors[other]) for other in chosen) > DUPLICATE_SIMILARITY:
            return True
        terms = self._stats.own_terms[row]  # not the speaker's name every sentence of a document shares
        said = frozenset().union(*(self._stats.own_terms[other] for other in chosen))
        return bool(terms) and len(terms & said) / len(terms) >= REDUNDANT_WORD_SHARE
