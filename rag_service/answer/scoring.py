"""The rank of each candidate sentence for a question, beside its (context-raised) cosine.

A sentence's rank is its cosine (raised toward its heading's and its neighbours', computed by the
answerer), plus ``LEXICAL_WEIGHT`` times the IDF-weighted share of the question's content words that the
sentence contains (and ``HEADING_SHARE`` of those its heading adds), plus ``FILLER_BONUS`` when the
question asks for a date, number, name or place and the sentence holds one
(``rag_service.answer.answer_types``), less a small penalty for fragments shorter than a full sentence.

What is never an answer on its own gets ``-inf``: a line that repeats the document's title; a question
(a FAQ's question line says nothing); unless the
question asks for a name, date, number or place and the line holds one ("Author: Mr. …" answers "who
wrote it?"), short lines without sentence punctuation (bylines, headings in plain text); and a photo
caption or credit, except for a question about the photo (``rag_service.answer.lines``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag_service.answer import sections
from rag_service.answer.answer_types import PERSON, PLACE, SLOT_TYPES, holds_filler
from rag_service.answer.line_flags import LineFlags
from rag_service.answer.lines import LineKinds
from rag_service.answer.terms import TermStats
from rag_service.conversation import own_question
from rag_service.store.model import LoadedIndex

PHOTO_WORDS = ("photo", "photos", "photograph", "picture", "pictures", "image", "images", "caption", "credit")
"""Wording that asks about a document's pictures: only then may a caption or credit line answer."""
FULL_SENTENCE_WORDS = 8
FRAGMENT_PENALTY = 0.02
LEXICAL_WEIGHT = 0.7
"""Weight of the IDF-weighted question-word overlap in a sentence's rank, beside its cosine."""
CONTEXT_WEIGHT = 0.3
"""Weight of a follow-up's context words, against its own words, in the lexical part of the rank."""
FILLER_BONUS = 0.1
"""Added to a sentence's rank when it holds the kind of thing asked for (a date for "when")."""


class SentenceScorer:
    def __init__(
        self,
        index: LoadedIndex,
        terms: Callable[[str], list[str]],
        stats: TermStats,
        lines: LineKinds | LineFlags,
        heading_terms: Sequence[frozenset[str]],
        words: np.ndarray,
    ) -> None:
        """``words``: per sentence row, how many words it has (``SentenceLayout.words``)."""
        self._content = index.content
        self._terms = terms
        self._stats = stats
        self._lines = lines
        self._heading_terms = heading_terms
        self._photo_terms = frozenset(terms(" ".join(PHOTO_WORDS)))
        self._words = words

    def fragment_penalty(self, rows: np.ndarray) -> np.ndarray:
        """Per sentence of ``rows``: how much shorter than a full sentence it is, as a deduction from its
        rank (computed per question: an array for every sentence took 20 MB at a million chunks)."""
        short_by = np.maximum(0, FULL_SENTENCE_WORDS - self._words[rows].astype(np.int64))
        return (FRAGMENT_PENALTY * short_by).astype(np.float32)

    def scores(self, question: str, kind: str, rows: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """Rank of each candidate; ``-inf`` for lines that may not answer this question on their own."""
        weights = self.lexical_weights(question)
        share = sections.HEADING_SHARE  # read here so that a test can turn the share off
        lexical = self._stats.overlap(weights, rows) + share * self.heading_overlap(weights, rows)
        scores = cosine + LEXICAL_WEIGHT * lexical - self.fragment_penalty(rows)
        sentences = self._content.sentences
        photo = bool(self._photo_terms & set(self._terms(question)))
        for i, row in enumerate(rows):
            fills = kind in SLOT_TYPES and holds_filler(kind, sentences[row].text, question)
            if fills and kind in (PERSON, PLACE) and self._lines.headline[row]:
                fills = False  # in a Title Case headline, a capital letter is no sign of a name
            short = self._lines.short[row] or self._lines.caption[row]
            if (
                self._lines.title[row]
                or self._lines.question[row]
                or (self._lines.caption[row] and not photo)
                or (short and not fills)
            ):
                scores[i] = -np.inf
            elif fills:
                scores[i] += FILLER_BONUS
        return scores

    def heading_overlap(self, weights: dict[str, float], rows: np.ndarray) -> np.ndarray:
        """Per row: the share of the question's IDF mass found in the words of the sentence's heading and
        not in the sentence itself. Under "## Bugs" the sentence "Please report them to the mailing list"
        is about bugs though it never says so; ``answer.sections`` explains the cosine half of this."""
        total = sum(weights.values())
        out = np.zeros(len(rows), dtype=np.float32)
        if not total:
            return out
        for i, row in enumerate(rows):
            heading = self._heading_terms[int(row)]
            if heading:
                own = self._stats.sentence_terms[int(row)]
                out[i] = sum(w for t, w in weights.items() if t in heading and t not in own) / total
        return out

    def lexical_weights(self, question: str) -> dict[str, float]:
        """IDF of the question's words; in a condensed follow-up, the words of its context (the previous
        question and answer) count ``CONTEXT_WEIGHT`` as much as the user's own: "what does his abstract
        say about military use?" is about military use, not about the name "his" stands for."""
        weights = self._stats.weights(question)
        own = set(self._terms(own_question(question)))
        if own == set(weights):
            return weights
        return {t: w if t in own else CONTEXT_WEIGHT * w for t, w in weights.items()}
