"""The offline answerer: decide whether the passages answer, then quote the sentences that do.

Design: every sentence of every document was embedded at ingest, so answering costs one dot product per
candidate sentence (the sentences of the retrieved chunks) on top of retrieval.

Abstention is learned (``rag_service.answer.answerability``): a logistic regression over similarities,
margins, question-word coverage and answer-type presence gives the probability that the passages
answer; below the operating point's threshold the reply is "not in the documents", with no citations.
On top of it, one rule: a question naming someone or something (a run of capitalised words inside it) no
word of which any document writes in any form is declined with a note naming it (``TermStats.unknown_names``):
similarity cannot see that "In which year did Yuri Gagarin fly to space?" is about a man the documents
never mention, since everything else in it is on their topic. Likewise a question naming a year that
none of the sentences that could answer it names ("What is the budget for 2017?") is declined with a
note: an answer from them would be about another year. A question about where a document goes ("how
does the talk end?") is answered from that document's last or first sentences
(``rag_service.answer.position``).

Ranking (``rag_service.answer.scoring``): cosine similarity, raised toward its heading's
(``rag_service.answer.sections``) and by ``NEIGHBOUR_WEIGHT`` times the better cosine of the sentences
just before and after it (``rag_service.answer.neighbours``), plus the IDF-weighted overlap with the
question's words and a bonus for holding the asked-for kind of thing; title lines, headings, short lines
and captions never answer on their own (``rag_service.answer.lines``).

How much to say depends on the evidence: two sentences, and more (up to ``max_sentences``) while they
score close to the best (``SCORE_SPAN``), so a question whose answer is spread over a passage gets more
of it than one a single sentence answers; all from the best sentence's document (in document order,
except that a sentence holding the asked-for name, date, number or place comes first), plus at most one
sentence of another document scoring within ``margin`` of the best. A
sentence that introduces a list (ends with ":") brings the list items that follow it, as one citation,
and a table row its header row (``answer.companions``).

Voice (``rag_service.answer.voices``): reader comments answer only questions about them, each quote
introduced as such, and a question only the comments speak to is declined with a note. The text of an
answer is written by ``rag_service.answer.extract``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rag_service.answer.answer_types import (
    OTHER,
    SEVERAL,
    SLOT_TYPES,
    named_in,
    question_type,
    versions,
    years,
)
from rag_service.answer.answerability import AnswerabilityModel, load_model
from rag_service.answer.companions import Companions
from rag_service.answer.extract import Extract, ExtractWriter
from rag_service.answer.features import answerability_features
from rag_service.answer.lines import line_kinds
from rag_service.answer.neighbours import NEIGHBOUR_WEIGHT, neighbour_rows, with_neighbours
from rag_service.answer.position import END, PositionQuestion, pick_document, position_asked
from rag_service.answer.scoring import SentenceScorer
from rag_service.answer.sections import innermost_headings, with_headings
from rag_service.answer.selection import SentenceSelector
from rag_service.answer.terms import TermStats, joined_names
from rag_service.answer.voices import NO_READERS_NOTE, Voices
from rag_service.config import Settings
from rag_service.conversation import own_question
from rag_service.models import ScoredChunk
from rag_service.store.model import LoadedIndex

REPEAT_PENALTY = 0.3
"""Taken from a sentence the previous answer already quoted, when a follow-up is answered: the user has
just read it (it still answers when nothing else does)."""
MARGIN = 0.08
"""A sentence of a second document joins the answer only when it scores within this of the best."""
MIN_SENTENCES = 2
"""Sentences an answer has at least (when its document has them): the one holding the asked-for name,
date or number ranks first, and one more gives its context."""
SCORE_SPAN = 0.3
"""Beyond ``MIN_SENTENCES``, a sentence of the best sentence's document joins the answer (up to
``max_sentences``) while it scores within this of the best: as many sentences as the evidence supports,
not a count fixed by the question's type. Chosen by 5-fold cross-validation on the ClapNQ questions
by ``rag-service tune-answer-length`` (figures in ``docs/answer-length.md``)."""
NAMES_SHOWN = 3
NAME_CHARS = 60
"""The note of a question declined for names the documents never mention shows at most this many, this
long: a question of a thousand capitalised words gets a short note."""


class ExtractiveAnswerer:
    def __init__(
        self,
        index: LoadedIndex,
        terms: Callable[[str], list[str]],
        *,
        model: AnswerabilityModel | None,
        threshold: float,
        max_sentences: int,
        margin: float = MARGIN,
        min_sentences: int = MIN_SENTENCES,
        span: float = SCORE_SPAN,
        neighbour_weight: float = NEIGHBOUR_WEIGHT,
    ) -> None:
        """``model`` None answers every question that retrieves something (training collects features
        that way); the service always has one. ``min_sentences``, ``span`` and ``neighbour_weight`` are
        open so that ``rag-service tune-answer-length`` can score other values through this same code."""
        content = index.content
        self._index = index
        self._content = content
        self.stats = TermStats(index, terms)
        self._terms = terms
        lines = line_kinds(index)
        self._title_line, self._short_line, self._caption = lines.title, lines.short, lines.caption
        self._document_rows: dict[str, list[int]] = {}
        for row, s in enumerate(content.sentences):
            if s.voice == "author" and not (
                self._title_line[row] or self._short_line[row] or self._caption[row]
            ):
                self._document_rows.setdefault(s.source, []).append(row)
        self._companions = Companions(index, lines.headline)
        self._writer = ExtractWriter(index, self._companions)
        self._neighbours = neighbour_rows(index, lines.title | lines.short | lines.caption)
        self._heading_rows, labels = innermost_headings(index)
        by_label: dict[str, frozenset[str]] = {}
        heading_terms = [by_label.setdefault(label, frozenset(terms(label))) for label in labels]
        self._scorer = SentenceScorer(index, terms, self.stats, lines, heading_terms)
        self.voices = Voices(index, terms, self.stats)
        self._selector = SentenceSelector(index, terms, self.stats)
        self.model = model
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.margin = margin
        self.min_sentences = min_sentences
        self.span = span
        self.neighbour_weight = neighbour_weight

    @classmethod
    def from_settings(
        cls, index: LoadedIndex, terms: Callable[[str], list[str]], settings: Settings
    ) -> ExtractiveAnswerer:
        model = load_model(settings.answerability_model)
        threshold = settings.answerability_threshold
        if threshold is None:
            threshold = model.threshold(settings.answer_operating_point)
        return cls(
            index, terms, model=model, threshold=threshold, max_sentences=settings.answer_max_sentences
        )

    def features(
        self, question: str, query_vector: np.ndarray, hits: Sequence[ScoredChunk]
    ) -> dict[str, float] | None:
        """The answerability features of the author sentences retrieved for ``question`` (None if none)."""
        rows, _ = self._author_rows(hits)
        if not rows:
            return None
        cosine = self._content.sentence_vectors[np.asarray(rows)] @ query_vector
        return answerability_features(question, query_vector, hits, self._index, self.stats, rows, cosine)

    def answer(
        self,
        question: str,
        query_vector: np.ndarray,
        hits: Sequence[ScoredChunk],
        said: frozenset[int] = frozenset(),
    ) -> Extract:
        """Answer ``question`` (a follow-up condensed with its context) from ``hits``; ``said`` are the
        sentence rows the previous answer quoted."""
        if self.voices.asks(question):
            return self._other_voice_answer(question, query_vector)
        rows, skipped_readers = self._author_rows(hits)
        if not rows:
            return self._writer.not_found(None, skipped_readers)
        if self.voices.asks_absent_readers(question, rows):
            return self._writer.not_found(None, False, NO_READERS_NOTE)
        array = np.asarray(rows)
        cosine = self._content.sentence_vectors[array] @ query_vector
        probability = 1.0
        if self.model is not None:
            features = answerability_features(
                question, query_vector, hits, self._index, self.stats, rows, cosine
            )
            probability = self.model.probability(features)
        own = own_question(question)  # the user's words, without a follow-up's context
        unknown = self.stats.unknown_names(own)
        if unknown:
            named = " or ".join(name[:NAME_CHARS] for name in unknown[:NAMES_SHOWN])
            return self._writer.not_found(probability, False, f"The documents never mention {named}.")
        position = position_asked(own)
        if position is not None:
            return self._position_answer(position, query_vector, hits, probability)
        if self.voices.said_by_others(question, hits):
            return self._writer.not_found(probability, True)
        if probability < self.threshold:
            return self._writer.not_found(probability, False)
        kind = question_type(own)
        if kind == OTHER:  # an ellipsis ("And the East Branch?") asks what its context asked
            kind = question_type(question)
        vectors = self._content.sentence_vectors
        raised = with_headings(cosine, array, self._heading_rows, vectors, query_vector)
        weight = self.neighbour_weight
        context = with_neighbours(raised, array, self._neighbours, vectors, query_vector, weight)
        scores = self._scorer.scores(question, kind, array, context)
        missing = self._missing_numbers(own, array[np.isfinite(scores)])
        if missing:
            return self._writer.not_found(probability, False, f"The passages found never mention {missing}.")
        if said:
            scores -= REPEAT_PENALTY * np.isin(array, np.fromiter(said, dtype=np.int64))
        # A name, date, number or place comes first; longer answers read best in the document's order.
        chosen = self._select(array, scores, self.span, document_order=kind not in SLOT_TYPES)
        if not chosen:
            return self._writer.not_found(probability, False)
        for name in joined_names(own):
            chosen = self._selector.covering(name, chosen, array, scores, self.max_sentences)
        return self._writer.compose(
            self._companions.with_headers(chosen, frozenset(rows)), probability, frozenset(rows)
        )

    def _missing_numbers(self, own: str, rows: np.ndarray) -> str:
        """The years and dotted numbers (a release "7.0", a section "4.2") the user's own words name that
        neither the sentences that may answer it nor their documents' titles nor the headings they stand
        under name ("What was the budget for 2017?" over passages about other years, "When was PyYAML
        7.0 released?" over a README naming no release): an answer from them would be about another
        year or release. Empty when there are none."""
        asked_years, asked_versions = years(own), versions(own)
        if not asked_years and not asked_versions:
            return ""
        sentences, documents = self._content.sentences, self._index.documents
        named_years: set[str] = set()
        named_versions: set[str] = set()
        for row in rows:
            s = sentences[row]
            heading = documents[s.source].structure.heading_at(s.start) or ""  # "Budget › 2017"
            text = f"{s.text} {s.title} {heading}"
            named_years |= years(text)
            named_versions |= versions(text)
        missing = sorted(asked_years - named_years)
        missing += sorted(v for v in asked_versions if not named_in(v, named_versions))
        return ", ".join(missing)

    def _position_answer(
        self,
        position: PositionQuestion,
        query_vector: np.ndarray,
        hits: Sequence[ScoredChunk],
        probability: float,
    ) -> Extract:
        """The last (or first) ``min_sentences`` sentences that may answer of the document the question
        names ("how does the talk end?"): position, not similarity, answers these
        (``rag_service.answer.position``)."""
        documents = self._index.documents
        retrieved = [h.chunk.source for h in hits if h.chunk.voice == "author"]
        order = list(dict.fromkeys(retrieved + [name for name in documents if name in self._document_rows]))
        document = pick_document(position.noun, [documents[name] for name in order])
        if document is None:  # no document has a sentence that may answer
            return self._writer.not_found(probability, False)
        rows = self._document_rows[document.name]
        picked = rows[-self.min_sentences :] if position.where == END else rows[: self.min_sentences]
        vectors = self._content.sentence_vectors
        extract = self._writer.compose(
            [(row, float(vectors[row] @ query_vector)) for row in picked], probability
        )
        where = "end" if position.where == END else "beginning"
        note = f"Quoted from the {where} of \u201c{document.meta.title}\u201d."
        return Extract(extract.text, extract.citations, False, probability, (note,), extract.parts)

    def _author_rows(self, hits: Sequence[ScoredChunk]) -> tuple[list[int], bool]:
        rows: dict[int, None] = {}
        skipped = False
        for hit in hits:
            for row in hit.chunk.sentence_ids:
                if self._content.sentences[row].voice == "author":
                    rows.setdefault(row, None)
                else:
                    skipped = True
        return list(rows), skipped

    def _other_voice_answer(self, question: str, query_vector: np.ndarray) -> Extract:
        """Answer from the non-author sections only, their informative sentences, introduced as such.
        (Only called when ``voices.asks``, so there are such sections.)"""
        rows = self.voices.candidates(question, self._scorer.fragment_penalty)
        cosine = self._content.sentence_vectors[rows] @ query_vector
        scores = self._scorer.scores(question, SEVERAL, rows, cosine)
        return self._writer.compose(self._select(rows, scores, np.inf), None)

    def _select(
        self, rows: np.ndarray, scores: np.ndarray, span: float, document_order: bool = True
    ) -> list[tuple[int, float]]:
        return self._selector.select(
            rows,
            scores,
            span,
            min_sentences=self.min_sentences,
            max_sentences=self.max_sentences,
            margin=self.margin,
            document_order=document_order,
        )
