"""The offline answerer: quote the retrieved sentences that best answer the question.

Design: every sentence of every document was embedded at ingest, so answering costs one dot product per
candidate sentence (the sentences of the retrieved chunks) on top of retrieval. The answer is 1 to
``max_sentences`` of those sentences, best first, each followed by its ``[n]`` marker; redundant ones
and sentences far below the best are dropped so the answer never pads with loosely related text.

Ranking: cosine similarity, plus ``LEXICAL_WEIGHT`` times the IDF-weighted share of the question's
content words (stemmed) that the sentence contains, minus a small penalty for fragments shorter than
``FULL_SENTENCE_WORDS`` words. Embeddings of short captions and bylines ("JSC Glavkosmos, Russian
Federation") sit close to every question that names the entity; rare shared words ("head") are better
evidence than topic words every sentence shares ("Russia", "space").

Abstention: the evidence score is the best candidate's cosine similarity plus ``COVERAGE_WEIGHT`` times
the IDF-weighted share of the question's content words found anywhere in the candidate sentences. Below
``threshold`` the documents are taken not to answer and the reply says so with no citations. Cosine
alone cannot tell "What is the budget of Roscosmos?" (close to every Roscosmos sentence, 0.60) from a
real question; that no candidate mentions "budget" can. Both weights and the threshold were calibrated
on ``eval/seeds.jsonl`` (README "Evaluation" shows the separation and the cases still misjudged).

Voice: sentences from sections whose voice is not the author's (reader comments) are never used to
answer unless the question asks about the comments, and then each one is introduced as a reader comment
and its citation carries ``voice="reader"``. So a reader's opinion is never presented as the position of
Russia, Roscosmos or Glavkosmos.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag_service.answer.citations import sentence_citation
from rag_service.config import Settings
from rag_service.models import Citation, ScoredChunk
from rag_service.store.model import LoadedIndex

NOT_FOUND_TEXT = "The documents do not contain an answer to this question."
_ASKS_ABOUT_COMMENTS = re.compile(r"\b(comments?|commenters?|readers?|cast235)\b", re.IGNORECASE)
DUPLICATE_SIMILARITY = 0.92
REDUNDANT_WORD_SHARE = 0.8
FULL_SENTENCE_WORDS = 8
FRAGMENT_PENALTY = 0.02
LEXICAL_WEIGHT = 0.7
"""Weight of the IDF-weighted question-word overlap in a sentence's rank, beside its cosine."""
COVERAGE_WEIGHT = 0.3
"""Weight of the question-word coverage of all candidates in the evidence score, beside the best cosine."""
MARGIN = 0.08
"""Sentences scoring more than this below the best are not added to an answer."""


@dataclass(frozen=True)
class Extract:
    text: str
    citations: tuple[Citation, ...]
    not_found: bool
    best_score: float
    notes: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()
    """Sentence row of each citation, in citation order (for the grounding check)."""


class ExtractiveAnswerer:
    def __init__(
        self,
        index: LoadedIndex,
        terms: Callable[[str], list[str]],
        *,
        threshold: float,
        max_sentences: int,
        margin: float = MARGIN,
        lexical_weight: float = LEXICAL_WEIGHT,
        coverage_weight: float = COVERAGE_WEIGHT,
    ) -> None:
        content = index.content
        self._content = content
        self._terms = terms
        self._documents = index.documents  # derived once per loaded index
        # A document's author and publisher "say" each of its sentences: "What does Glavkosmos say about
        # Asia?" should prefer Glavkosmos's sentence on Asia, though that sentence never names Glavkosmos.
        speaker = {
            d.name: frozenset(terms(" ".join(filter(None, (d.meta.author, d.meta.publisher)))))
            for d in content.documents
        }
        own_terms = [frozenset(terms(s.text)) for s in content.sentences]
        self._idf = _idf(own_terms)  # rarity is judged on the words actually written
        self._sentence_terms = [
            t | speaker[s.source] for t, s in zip(own_terms, content.sentences, strict=True)
        ]
        self._fragment_penalty = np.array(
            [FRAGMENT_PENALTY * max(0, FULL_SENTENCE_WORDS - len(s.text.split())) for s in content.sentences],
            dtype=np.float32,
        )
        self.lexical_weight = lexical_weight
        self.coverage_weight = coverage_weight
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.margin = margin

    @classmethod
    def from_settings(
        cls, index: LoadedIndex, terms: Callable[[str], list[str]], settings: Settings
    ) -> ExtractiveAnswerer:
        return cls(
            index,
            terms,
            threshold=settings.not_found_threshold,
            max_sentences=settings.answer_max_sentences,
        )

    def answer(
        self, question: str, query_vector: np.ndarray, hits: list[ScoredChunk] | tuple[ScoredChunk, ...]
    ) -> Extract:
        rows = _candidate_rows(hits)
        if not rows:
            return Extract(NOT_FOUND_TEXT, (), True, 0.0)
        include_readers = bool(_ASKS_ABOUT_COMMENTS.search(question))
        skipped_readers = False
        usable = []
        for row in rows:
            if self._content.sentences[row].voice != "author" and not include_readers:
                skipped_readers = True
                continue
            usable.append(row)
        if not usable:
            return self._not_found(0.0, skipped_readers)
        array = np.asarray(usable)
        cosine = self._content.sentence_vectors[array] @ query_vector
        weights = self._term_weights(question)
        evidence = float(cosine.max()) + self.coverage_weight * self._coverage(weights, usable)
        if evidence < self.threshold:
            return self._not_found(evidence, skipped_readers)
        scores = cosine + self.lexical_weight * self._overlap(weights, usable) - self._fragment_penalty[array]
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        chosen: list[tuple[int, float]] = []
        for position in order:
            score = float(scores[position])
            if len(chosen) >= self.max_sentences or score < best - self.margin:
                break
            row = int(array[position])
            if self._redundant(row, [other for other, _ in chosen]):
                continue
            chosen.append((row, score))
        return self._compose(chosen, evidence)

    def _term_weights(self, question: str) -> dict[str, float]:
        """IDF of each content word of the question; a word no sentence contains gets the highest IDF."""
        unseen = math.log(1 + len(self._sentence_terms))
        return {t: self._idf.get(t, unseen) for t in set(self._terms(question))}

    def _overlap(self, weights: dict[str, float], rows: list[int]) -> np.ndarray:
        """Per row: the share of the question's IDF mass that the sentence contains."""
        total = sum(weights.values())
        if not total:
            return np.zeros(len(rows), dtype=np.float32)
        return np.array(
            [sum(w for t, w in weights.items() if t in self._sentence_terms[r]) / total for r in rows],
            dtype=np.float32,
        )

    def _coverage(self, weights: dict[str, float], rows: list[int]) -> float:
        """The share of the question's IDF mass found anywhere in the candidate sentences."""
        total = sum(weights.values())
        if not total:
            return 0.0
        found = frozenset().union(*(self._sentence_terms[r] for r in rows))
        return sum(w for t, w in weights.items() if t in found) / total

    def _redundant(self, row: int, chosen: list[int]) -> bool:
        """A near-paraphrase of a chosen sentence, or one whose words the chosen ones already say."""
        if not chosen:
            return False
        vectors = self._content.sentence_vectors
        if max(float(vectors[row] @ vectors[other]) for other in chosen) > DUPLICATE_SIMILARITY:
            return True
        terms = self._sentence_terms[row]
        said = frozenset().union(*(self._sentence_terms[other] for other in chosen))
        return bool(terms) and len(terms & said) / len(terms) >= REDUNDANT_WORD_SHARE

    def _compose(self, chosen: list[tuple[int, float]], best: float) -> Extract:
        parts = []
        citations = []
        for n, (row, score) in enumerate(chosen, start=1):
            body = self._content.sentences[row].text
            if self._content.sentences[row].voice != "author":
                body = f"A reader comment under the article says: \u201c{body}\u201d"
            parts.append(f"{body} [{n}]")
            citations.append(sentence_citation(n, row, score, self._content, self._documents))
        return Extract(" ".join(parts), tuple(citations), False, best, rows=tuple(row for row, _ in chosen))

    def _not_found(self, best: float, skipped_readers: bool) -> Extract:
        notes = (
            (
                "Only reader comments under an article touch on this; they are not the documents' "
                "position and are not used as an answer.",
            )
            if skipped_readers and best == 0.0
            else ()
        )
        return Extract(NOT_FOUND_TEXT, (), True, best, notes)


def _candidate_rows(hits: list[ScoredChunk] | tuple[ScoredChunk, ...]) -> list[int]:
    seen: dict[int, None] = {}
    for hit in hits:
        for row in hit.chunk.sentence_ids:
            seen.setdefault(row, None)
    return list(seen)


def _idf(term_sets: list[frozenset[str]]) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for terms in term_sets:
        counts.update(terms)
    n = len(term_sets)
    return {term: math.log(1 + n / df) for term, df in counts.items()}
