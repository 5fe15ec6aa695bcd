"""The offline answerer: decide whether the passages answer, then quote the sentences that do.

Every sentence was embedded at ingest, so ranking costs a dot product per candidate sentence. Abstention
is learned (``rag_service.answer.answerability``): a logistic regression over similarities, coverage,
answer-type presence and the reader's scores; below the operating point's threshold the reply is "not
in the documents". Rules add notes: a question naming someone no document mentions
(``TermStats.unknown_names``) or sharing no word with them (``unknown_words``), a year no sentence that
could answer names (``answer.numbers_asked``), or a count, size, release or date no quote gives (nor,
for a date or release, the heading that then leads: ``answer.slots_unfilled``), is declined; a question
about where a document goes is answered from its first or last sentences (``answer.position``); an
elliptical follow-up about something new is answered about it or declined (``answer.ellipsis``). The
reader (``answer.reading``) reads the best candidates: its scores join the gate, its best sentence leads.

Ranking (``rag_service.answer.scoring``): cosine similarity, raised toward its heading's
(``rag_service.answer.sections``) and by ``NEIGHBOUR_WEIGHT`` times the better cosine of the sentences
just before and after it (``rag_service.answer.neighbours``), plus the IDF-weighted overlap with the
question's words and a bonus for holding the asked-for kind of thing; title lines, headings, short lines
and captions never answer on their own (``rag_service.answer.lines``).

How much to say depends on the evidence: two sentences, and more (up to ``max_sentences``) while they
score close to the best (``SCORE_SPAN``), so a question whose answer is spread over a passage gets more
of it than one a single sentence answers; all from the best sentence's document (the best first, the
rest in document order; for a name, date, number or place, in order of score), plus at most one
sentence of another document scoring within ``margin`` of the best. A sentence that introduces a list
(ends with ":") brings the list items that follow it, as one citation, and a table row its header row
(``answer.companions``).

Voice (``rag_service.answer.voices``): reader comments answer only questions about them, each quote
introduced as such, and a question only the comments speak to is declined with a note. The text of an
answer is written by ``rag_service.answer.extract``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rag_service.answer.answer_types import SEVERAL, SLOT_TYPES, asked_type
from rag_service.answer.answerability import AnswerabilityModel, load_model
from rag_service.answer.companions import Companions
from rag_service.answer.ellipsis import NEW_SUBJECT_NOTE, about_new_subject, new_subject
from rag_service.answer.extract import NO_WORDS_NOTE, Extract, ExtractWriter
from rag_service.answer.features import answerability_features
from rag_service.answer.layout import SentenceLayout
from rag_service.answer.line_flags import DocumentEnds, LineFlags
from rag_service.answer.neighbours import NEIGHBOUR_WEIGHT, with_neighbours
from rag_service.answer.numbers_asked import missing_note, missing_numbers, naming_release
from rag_service.answer.position import END, PositionQuestion, pick_document, position_asked
from rag_service.answer.reading import SentenceReading, reader_features, reorder
from rag_service.answer.scoring import SentenceScorer
from rag_service.answer.sections import with_headings
from rag_service.answer.selection import SentenceSelector
from rag_service.answer.slots_unfilled import unfilled_note, with_dated_heading
from rag_service.answer.terms import TermStats, joined_names
from rag_service.answer.voices import NO_READERS_NOTE, Voices
from rag_service.config import Settings
from rag_service.conversation import is_courtesy, own_question
from rag_service.models import ScoredChunk
from rag_service.reader.model import ReadsPairs
from rag_service.retrieval.hybrid import prefetch
from rag_service.retrieval.lexical import index_terms
from rag_service.store.model import LoadedIndex

REPEAT_PENALTY = 0.3
"""Taken from a sentence the previous answer already quoted, when a follow-up is answered: the user has
just read it (it still answers when nothing else does)."""
MARGIN = 0.08
"""A sentence of a second document joins the answer only when it scores within this of the best."""
MIN_SENTENCES = 2
"""Sentences an answer has at least (if its document has them): the one holding it, and its context."""
SCORE_SPAN = 0.3
"""Beyond ``MIN_SENTENCES``, a sentence of the best sentence's document joins the answer (up to
``max_sentences``) while it scores within this of the best: as many sentences as the evidence supports,
not a count fixed by the question's type. Chosen by 5-fold cross-validation on the ClapNQ questions
by ``rag-service tune-answer-length`` (figures in ``docs/answer-length.md``)."""
NAMES_SHOWN = 3
NAME_CHARS = 60
"""A note naming what the documents never mention shows at most this many names this long (no flood)."""


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
        reader: ReadsPairs | None = None,
    ) -> None:
        """``model`` None answers every question that retrieves something (training collects features
        that way); the service always has one. ``min_sentences``, ``span`` and ``neighbour_weight`` are
        open so that ``rag-service tune-answer-length`` can score other values through this same code.
        ``reader`` None is the path without the reader (``RAG_READER=false``)."""
        content = index.content
        self._index = index
        self._content = content
        self.stats = TermStats(index, terms)
        self._terms = terms
        layout = index.sentence_layout or SentenceLayout.of(index)  # stored with the version, or walked
        lines = LineFlags(layout.flags)  # row lookups: no array per kind the size of the collection
        self._document_rows = DocumentEnds(layout.flags, layout.document, content.documents, min_sentences)
        self._companions = Companions(index, lines.headline, np.flatnonzero(layout.table_header))
        self._writer = ExtractWriter(index, self._companions)
        self._neighbours = layout.neighbours
        self._heading_rows, labels = layout.heading_rows, layout.heading_labels
        heading_terms = labels.mapped(lambda label: frozenset(terms(label)))  # a few labels, many rows
        self._scorer = SentenceScorer(index, terms, self.stats, lines, heading_terms, layout.words)
        self.voices = Voices(index, terms, self.stats, np.flatnonzero(layout.other_voice), layout.spoken)
        self._selector = SentenceSelector(index, terms, self.stats)
        self.model = model
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.margin = margin
        self.min_sentences = min_sentences
        self.span = span
        self.neighbour_weight = neighbour_weight
        self.reading = SentenceReading(reader, content.sentences, labels) if reader is not None else None

    @classmethod
    def from_settings(
        cls, index: LoadedIndex, terms: Callable[[str], list[str]], settings: Settings
    ) -> ExtractiveAnswerer:
        from rag_service.reader.model import shared_reader

        reader = shared_reader(settings.reader_dir) if settings.reader else None
        model = load_model(settings.answerability_model, reader_version=getattr(reader, "version", None))
        threshold = settings.answerability_threshold
        if threshold is None:
            threshold = model.threshold(settings.answer_operating_point)
        limit = settings.answer_max_sentences
        return cls(index, terms, model=model, threshold=threshold, max_sentences=limit, reader=reader)

    def features(
        self, question: str, query_vector: np.ndarray, hits: Sequence[ScoredChunk]
    ) -> dict[str, float] | None:
        """The answerability features of the author sentences retrieved for ``question`` (None if none)."""
        rows, _ = self._author_rows(hits)
        if not rows:
            return None
        array = np.asarray(rows)
        cosine = self._content.sentence_vectors[array] @ query_vector
        _, logits = self._rank(question, query_vector, array, cosine)
        read = () if logits is None else (logits,)
        return self._features(question, query_vector, hits, rows, cosine, *read)

    def _features(
        self, question: str, vector: np.ndarray, hits: Sequence[ScoredChunk], rows: list[int], *arrays: Any
    ) -> dict[str, float]:
        """The gate's features; ``arrays`` are the rows' cosines and, with the reader, its logits."""
        cosine, *logits = arrays
        values = answerability_features(question, vector, hits, self._index, self.stats, rows, cosine)
        return values | reader_features(logits[0]) if logits else values

    def _rank(
        self, question: str, query_vector: np.ndarray, array: np.ndarray, cosine: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Each candidate's rank (``-inf``: may not answer) and, with the reader, its logits."""
        kind = asked_type(own_question(question), question)
        vectors = self._content.sentence_vectors
        raised = with_headings(cosine, array, self._heading_rows, vectors, query_vector)
        weight = self.neighbour_weight
        context = with_neighbours(raised, array, self._neighbours, vectors, query_vector, weight)
        scores = self._scorer.scores(question, kind, array, context)
        new, _ = new_subject(question, self._terms)
        if new:  # "And of user games?": only sentences about games may answer
            scores[~about_new_subject(new, array, self.stats)] = -np.inf
        if (release := naming_release(self._index, own_question(question), array)) is not None:
            scores[~release] = -np.inf  # "in man-db 2.11.1": only sentences under that release answer
        logits = self.reading.read(question, array, scores) if self.reading is not None else None
        return scores, logits

    def answer(
        self,
        question: str,
        query_vector: np.ndarray,
        hits: Sequence[ScoredChunk],
        said: frozenset[int] = frozenset(),
    ) -> Extract:
        """Answer ``question`` (a follow-up condensed with its context) from ``hits``; ``said`` are the
        sentence rows the previous answer quoted."""
        if not index_terms(question) or is_courtesy(own_question(question)):  # "???", "Thanks!"
            return self._writer.not_found(None, False, NO_WORDS_NOTE)
        if self.voices.asks(question):
            return self._other_voice_answer(question, query_vector)
        rows, skipped_readers = self._author_rows(hits)
        if not rows:
            return self._writer.not_found(None, skipped_readers)
        if self.voices.asks_absent_readers(question, rows):
            return self._writer.not_found(None, False, NO_READERS_NOTE)
        array = np.asarray(rows)
        cosine = self._content.sentence_vectors[array] @ query_vector
        scores, logits = self._rank(question, query_vector, array, cosine)
        probability = 1.0
        if self.model is not None:
            read = () if logits is None else (logits,)
            features = self._features(question, query_vector, hits, rows, cosine, *read)
            probability = self.model.probability(features)
        own = own_question(question)  # the user's words, without a follow-up's context
        unknown = self.stats.unknown_names(own) or self.stats.unknown_words(own)
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
        kind = asked_type(own, question)
        new, subject = new_subject(question, self._terms)
        if new and not np.isfinite(scores).any():
            return self._writer.not_found(probability, False, NEW_SUBJECT_NOTE.format(subject[:NAME_CHARS]))
        missing = missing_numbers(self._index, own, array[np.isfinite(scores)])
        if missing:
            return self._writer.not_found(probability, False, missing_note(missing, hits))
        if said:
            scores -= REPEAT_PENALTY * np.isin(array, np.fromiter(said, dtype=np.int64))
        # A name, date, number or place comes first; longer answers read best in the document's order.
        chosen = self._select(array, scores, self.span, document_order=kind not in SLOT_TYPES)
        if logits is not None:
            chosen = reorder(chosen, array, logits, scores, said)
        chosen = with_dated_heading(own, self._index, chosen, self._heading_rows)
        if not chosen or (note := unfilled_note(own, self._index, [row for row, _ in chosen])):
            return self._writer.not_found(probability, False, note if chosen else None)
        for name in joined_names(own):
            chosen = self._selector.covering(name, chosen, array, scores, self.max_sentences)
        return self._writer.compose(
            self._companions.with_headers(chosen, frozenset(rows)), probability, frozenset(rows)
        )

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
        ends = self._document_rows
        picked = (ends.last if position.where == END else ends.first)(document.name)
        vectors = self._content.sentence_vectors
        extract = self._writer.compose(
            [(row, float(vectors[row] @ query_vector)) for row in picked], probability
        )
        where = "end" if position.where == END else "beginning"
        note = f"Quoted from the {where} of \u201c{document.meta.title}\u201d."
        return Extract(extract.text, extract.citations, False, probability, (note,), extract.parts)

    def _author_rows(self, hits: Sequence[ScoredChunk]) -> tuple[list[int], bool]:
        retrieved = np.array([row for hit in hits for row in hit.chunk.sentence_ids], dtype=np.int64)
        prefetch(self._content.sentences, np.concatenate([retrieved, self._heading_rows[retrieved]]).tolist())
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
