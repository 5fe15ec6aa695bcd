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

Ranking: cosine similarity (raised toward its heading's, ``rag_service.answer.sections``), plus
``NEIGHBOUR_WEIGHT`` times the better cosine of the sentences just before and after it (a sentence
continuing a passage on the question, ``rag_service.answer.neighbours``), plus ``LEXICAL_WEIGHT`` times
the IDF-weighted share of the question's content words that the sentence contains, plus
``FILLER_BONUS`` when the question asks for a date, number, name or place and the sentence holds one
(``rag_service.answer.answer_types``).

What is never an answer on its own: a line that repeats the document's title, a heading or a table's
header row (from the document's structure map: they are shown with citations instead); and, unless the
question asks for a name, date, number or place and the line holds one ("Author: Mr. …" answers "who
wrote it?"), short lines without sentence punctuation (bylines, headings in plain text). A photo caption
or credit ("… (File)", "© Agency/ Name") may answer only a question about the photo; the capitals of a
Title Case headline are no sign of a name (``rag_service.answer.lines``).

How much to say depends on the evidence: two sentences, and more (up to ``max_sentences``) while they
score close to the best (``SCORE_SPAN``), so a question whose answer is spread over a passage gets more
of it than one a single sentence answers; all from the best sentence's document (in document order,
except that a sentence holding the asked-for name, date, number or place comes first), plus at most one
sentence of another document scoring within ``margin`` of the best. A
sentence that introduces a list (ends with ":") brings the list items that follow it, as one citation,
and a table row its header row (``answer.companions``).

Voice: sentences from sections whose voice is not the author's (reader comments) are never used to
answer unless the question asks about those sections (by their name or voice in the document metadata,
or by general wording such as "comments" or "readers"); then the answer comes from those sections only
(the comments naming the question's topic, or, for a question naming none, the full sentences), each
quote introduced as such and cited with its voice, so a reader's opinion is never presented as the
documents' position. A question whose words the retrieved comments cover clearly better than the
retrieved author text is about something only the comments say: it is declined, with a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.answer import sections
from rag_service.answer.answer_types import (
    OTHER,
    PERSON,
    PLACE,
    SEVERAL,
    SLOT_TYPES,
    holds_filler,
    named_in,
    question_type,
    versions,
    years,
)
from rag_service.answer.answerability import AnswerabilityModel, load_model
from rag_service.answer.citations import span_citation
from rag_service.answer.companions import Companions
from rag_service.answer.features import answerability_features
from rag_service.answer.lines import line_kinds
from rag_service.answer.markdown_safe import escape
from rag_service.answer.neighbours import NEIGHBOUR_WEIGHT, neighbour_rows, with_neighbours
from rag_service.answer.position import END, PositionQuestion, pick_document, position_asked
from rag_service.answer.sections import innermost_headings, with_headings
from rag_service.answer.terms import TermStats, joined_names
from rag_service.config import Settings
from rag_service.conversation import own_question
from rag_service.models import Citation, ScoredChunk
from rag_service.store.model import LoadedIndex

NOT_FOUND_TEXT = "The documents do not contain an answer to this question."
OTHER_VOICE_WORDS = (
    "comment",
    "comments",
    "commenter",
    "commenters",
    "reader",
    "readers",
    "reply",
    "replies",
)
"""General wording that asks about what people other than the author wrote."""
_READERS = re.compile(r"\b(?:readers?|commenters?)\b", re.IGNORECASE)
"""The part of that wording that can only mean other people ("comments" may be a program's; matched as
written, because stemming makes "commenters" "comment")."""
NO_READERS_NOTE = "The documents hold no reader comments, only their authors' text."
ASKING_WORDS = (
    "say",
    "says",
    "said",
    "think",
    "thinks",
    "opinion",
    "opinions",
    "feel",
    "write",
    "wrote",
    "view",
    "views",
)
"""Verbs and nouns of asking for an opinion: not the topic of a question about the comments."""
TOPIC_SHARE = 0.5
"""A comment answers a topical question about the comments when it holds this share of the question's
topic words (by IDF mass)."""
PHOTO_WORDS = ("photo", "photos", "photograph", "picture", "pictures", "image", "images", "caption", "credit")
"""Wording that asks about a document's pictures: only then may a caption or credit line answer."""
DUPLICATE_SIMILARITY = 0.92
REDUNDANT_WORD_SHARE = 0.8
FULL_SENTENCE_WORDS = 8
FRAGMENT_PENALTY = 0.02
LEXICAL_WEIGHT = 0.7
"""Weight of the IDF-weighted question-word overlap in a sentence's rank, beside its cosine."""
CONTEXT_WEIGHT = 0.3
"""Weight of a follow-up's context words, against its own words, in the lexical part of the rank."""
FILLER_BONUS = 0.1
"""Added to a sentence's rank when it holds the kind of thing asked for (a date for "when")."""
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
OTHER_VOICE_LEAD = 0.25
"""How much more of a question's words the retrieved comments must cover than the retrieved author text
for the question to count as one only the comments speak to (a rule, not fitted: a quarter of the
question's weight is a whole distinctive word of a typical question)."""
NAMES_SHOWN = 3
NAME_CHARS = 60
"""The note of a question declined for names the documents never mention shows at most this many, this
long: a question of a thousand capitalised words gets a short note."""


@dataclass(frozen=True)
class Extract:
    text: str
    citations: tuple[Citation, ...]
    not_found: bool
    answerability: float | None
    """The model's probability that the passages answer (None when nothing was retrieved)."""
    notes: tuple[str, ...] = ()
    parts: tuple[tuple[int, ...], ...] = ()
    """Sentence rows behind each citation, in citation order (for the grounding check)."""


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
        self._fragment_penalty = np.array(
            [FRAGMENT_PENALTY * max(0, FULL_SENTENCE_WORDS - len(s.text.split())) for s in content.sentences],
            dtype=np.float32,
        )
        lines = line_kinds(index)
        self._title_line, self._short_line, self._caption = lines.title, lines.short, lines.caption
        self._headline = lines.headline
        self._document_rows: dict[str, list[int]] = {}
        for row, s in enumerate(content.sentences):
            if s.voice == "author" and not (
                self._title_line[row] or self._short_line[row] or self._caption[row]
            ):
                self._document_rows.setdefault(s.source, []).append(row)
        self._companions = Companions(index, lines.headline)
        self._neighbours = neighbour_rows(index, lines.title | lines.short | lines.caption)
        self._heading_rows, labels = innermost_headings(index)
        by_label: dict[str, frozenset[str]] = {}
        self._heading_terms = [by_label.setdefault(label, frozenset(terms(label))) for label in labels]
        other = [row for row, s in enumerate(content.sentences) if s.voice != "author"]
        self._other_rows = np.array(other, dtype=np.int64)
        names = {
            w
            for row in other
            for w in terms(f"{content.sentences[row].section} {content.sentences[row].voice}")
        }
        self._other_voice_terms = frozenset(names | set(terms(" ".join(OTHER_VOICE_WORDS))))
        self._asking_terms = frozenset(terms(" ".join(ASKING_WORDS)))
        self._photo_terms = frozenset(terms(" ".join(PHOTO_WORDS)))
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

    def asks_other_voice(self, question: str) -> bool:
        """Whether the question asks about the non-author sections (comments), which this index has."""
        return bool(len(self._other_rows)) and bool(self._other_voice_terms & set(self._terms(question)))

    def _asks_absent_readers(self, question: str, rows: list[int]) -> bool:
        """Whether the question asks what readers or commenters wrote, in an index with no such section,
        about documents that never speak of readers themselves: the authors' nearest sentences would
        answer as if they were the readers'."""
        if len(self._other_rows) or not _READERS.search(own_question(question)):
            return False
        return not any(_READERS.search(self._content.sentences[row].text) for row in rows)

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
        if self.asks_other_voice(question):
            return self._other_voice_answer(question, query_vector)
        rows, skipped_readers = self._author_rows(hits)
        if not rows:
            return self._not_found(None, skipped_readers)
        if self._asks_absent_readers(question, rows):
            return self._not_found(None, False, NO_READERS_NOTE)
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
            return self._not_found(probability, False, f"The documents never mention {named}.")
        position = position_asked(own)
        if position is not None:
            return self._position_answer(position, query_vector, hits, probability)
        if self._said_by_others(question, hits):
            return self._not_found(probability, True)
        if probability < self.threshold:
            return self._not_found(probability, False)
        kind = question_type(own)
        if kind == OTHER:  # an ellipsis ("And the East Branch?") asks what its context asked
            kind = question_type(question)
        vectors = self._content.sentence_vectors
        raised = with_headings(cosine, array, self._heading_rows, vectors, query_vector)
        weight = self.neighbour_weight
        context = with_neighbours(raised, array, self._neighbours, vectors, query_vector, weight)
        scores = self._scores(question, kind, array, context)
        missing = self._missing_numbers(own, array[np.isfinite(scores)])
        if missing:
            return self._not_found(probability, False, f"The passages found never mention {missing}.")
        if said:
            scores -= REPEAT_PENALTY * np.isin(array, np.fromiter(said, dtype=np.int64))
        # A name, date, number or place comes first; longer answers read best in the document's order.
        chosen = self._select(array, scores, self.span, document_order=kind not in SLOT_TYPES)
        if not chosen:
            return self._not_found(probability, False)
        for name in joined_names(own):
            chosen = self._covering(name, chosen, array, scores)
        return self._compose(
            self._companions.with_headers(chosen, frozenset(rows)), probability, frozenset(rows)
        )

    def _covering(
        self, name: str, chosen: list[tuple[int, float]], rows: np.ndarray, scores: np.ndarray
    ) -> list[tuple[int, float]]:
        """``chosen``, with the best sentence of a retrieved document that speaks of ``name`` when none
        of the chosen sentences' documents does: "What do Glavkosmos and Roscosmos say …?" is answered
        by both, even when one of them scores well below the other. At the ``max_sentences`` cap it
        takes the place of the weakest sentence of the document quoted most (never the best one)."""
        wanted = set(self._terms(name))
        sentences = self._content.sentences
        speaks = {sentences[int(r)].source for r in rows if wanted <= self.stats.sentence_terms[int(r)]}
        quoted = [sentences[row].source for row, _ in chosen]
        if not wanted or not speaks or speaks & set(quoted):
            return chosen
        candidates = [
            (int(rows[i]), float(scores[i]))
            for i in np.argsort(-scores, kind="stable")
            if np.isfinite(scores[i]) and sentences[int(rows[i])].source in speaks
        ]
        extra = next((c for c in candidates if not self._redundant(c[0], [r for r, _ in chosen])), None)
        if extra is None:
            return chosen
        if len(chosen) >= self.max_sentences:
            most = max(set(quoted), key=quoted.count)
            best = max(chosen, key=lambda pair: pair[1])
            weaker = [pair for pair in chosen if pair != best and sentences[pair[0]].source == most]
            if not weaker:  # one sentence allowed, and it is the best: it stays
                return chosen
            weakest = min(weaker, key=lambda pair: pair[1])
            chosen = [pair for pair in chosen if pair != weakest]
        return [*chosen, extra]

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
            return self._not_found(probability, False)
        rows = self._document_rows[document.name]
        picked = rows[-self.min_sentences :] if position.where == END else rows[: self.min_sentences]
        vectors = self._content.sentence_vectors
        extract = self._compose([(row, float(vectors[row] @ query_vector)) for row in picked], probability)
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

    def _scores(self, question: str, kind: str, rows: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        """Rank of each candidate; ``-inf`` for lines that may not answer this question on their own."""
        weights = self._lexical_weights(question)
        share = sections.HEADING_SHARE  # read here so that a test can turn the share off
        lexical = self.stats.overlap(weights, rows) + share * self._heading_overlap(weights, rows)
        scores = cosine + LEXICAL_WEIGHT * lexical - self._fragment_penalty[rows]
        sentences = self._content.sentences
        photo = bool(self._photo_terms & set(self._terms(question)))
        for i, row in enumerate(rows):
            fills = kind in SLOT_TYPES and holds_filler(kind, sentences[row].text, question)
            if fills and kind in (PERSON, PLACE) and self._headline[row]:
                fills = False  # in a Title Case headline, a capital letter is no sign of a name
            short = self._short_line[row] or self._caption[row]
            if self._title_line[row] or (self._caption[row] and not photo) or (short and not fills):
                scores[i] = -np.inf
            elif fills:
                scores[i] += FILLER_BONUS
        return scores

    def _heading_overlap(self, weights: dict[str, float], rows: np.ndarray) -> np.ndarray:
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
                own = self.stats.sentence_terms[int(row)]
                out[i] = sum(w for t, w in weights.items() if t in heading and t not in own) / total
        return out

    def _lexical_weights(self, question: str) -> dict[str, float]:
        """IDF of the question's words; in a condensed follow-up, the words of its context (the previous
        question and answer) count ``CONTEXT_WEIGHT`` as much as the user's own: "what does his abstract
        say about military use?" is about military use, not about the name "his" stands for."""
        weights = self.stats.weights(question)
        own = set(self._terms(own_question(question)))
        if own == set(weights):
            return weights
        return {t: w if t in own else CONTEXT_WEIGHT * w for t, w in weights.items()}

    def _select(
        self, rows: np.ndarray, scores: np.ndarray, span: float, document_order: bool = True
    ) -> list[tuple[int, float]]:
        """Sentences of the best sentence's document (in document order): at least ``min_sentences``,
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
            wanted = len(chosen) < self.min_sentences or float(scores[i]) >= best_score - span
            if (
                len(chosen) < self.max_sentences
                and same
                and wanted
                and not self._redundant(row, [r for r, _ in chosen])
            ):
                chosen.append((row, float(scores[i])))
        if document_order:  # rows of one document are in text order
            chosen.sort(key=lambda pair: pair[0])
        for i in order:
            row = int(rows[i])
            if float(scores[i]) < best_score - self.margin or len(chosen) >= self.max_sentences:
                break
            if self._content.sentences[row].source != source and not self._redundant(
                row, [r for r, _ in chosen]
            ):
                chosen.append((row, float(scores[i])))
                break
        return chosen

    def _other_voice_answer(self, question: str, query_vector: np.ndarray) -> Extract:
        """Answer from the non-author sections only, their informative sentences, introduced as such.
        (Only called when ``asks_other_voice``, so ``_other_rows`` is not empty.)"""
        # A question naming a topic ("what do readers think about BRICS?") is answered by the comments
        # that name it, short ones included ("BRICS alone can sponsor a space station"); a question
        # naming none ("what do the comments say?") by the full sentences, not one-line fragments.
        topic = {
            t: w
            for t, w in self.stats.weights(question).items()
            if t not in self._other_voice_terms and t not in self._asking_terms
        }
        share = self.stats.overlap(topic, self._other_rows) if topic else np.zeros(0, dtype=np.float32)
        on_topic = self._other_rows[share >= TOPIC_SHARE] if len(share) else self._other_rows[:0]
        informative = self._other_rows[self._fragment_penalty[self._other_rows] == 0]
        rows = on_topic if len(on_topic) else informative if len(informative) else self._other_rows
        cosine = self._content.sentence_vectors[rows] @ query_vector
        scores = self._scores(question, SEVERAL, rows, cosine)
        return self._compose(self._select(rows, scores, np.inf), None)

    def _redundant(self, row: int, chosen: list[int]) -> bool:
        """A near-paraphrase of a chosen sentence, or one whose words the chosen ones already say."""
        if not chosen:
            return False
        vectors = self._content.sentence_vectors
        if max(float(vectors[row] @ vectors[other]) for other in chosen) > DUPLICATE_SIMILARITY:
            return True
        terms = self.stats.own_terms[row]  # not the speaker's name every sentence of a document shares
        said = frozenset().union(*(self.stats.own_terms[other] for other in chosen))
        return bool(terms) and len(terms & said) / len(terms) >= REDUNDANT_WORD_SHARE

    def _compose(
        self,
        chosen: list[tuple[int, float]],
        probability: float | None,
        retrieved: frozenset[int] = frozenset(),
    ) -> Extract:
        texts, citations, parts = [], [], []
        documents = self._index.documents
        lists = {row: self._companions.with_list(row, retrieved) for row, _ in chosen}
        brought = {item for part in lists.values() for item in part[1:]}
        chosen = [
            pair for pair in chosen if pair[0] not in brought
        ]  # a list item is quoted once, in its list
        for n, (row, score) in enumerate(chosen, start=1):
            part = lists[row]
            body = escape(" ".join(self._content.sentences[r].text for r in part))
            sentence = self._content.sentences[row]
            if sentence.voice != "author":
                # The first quote says whose words these are; the next ones of that section say "also".
                previous = self._content.sentences[chosen[n - 2][0]] if n > 1 else None
                same = previous is not None and (previous.source, previous.section) == (
                    sentence.source,
                    sentence.section,
                )
                where = escape(
                    f"A {sentence.voice} in the {sentence.section} of \u201c{sentence.title}\u201d says"
                )
                body = f"{'Also in the ' + sentence.section if same else where}: \u201c{body}\u201d"
            texts.append(f"{body} [{n}]")
            citations.append(span_citation(n, part, score, self._content, documents))
            parts.append(part)
        if not texts:
            return self._not_found(probability, False)
        return Extract(" ".join(texts), tuple(citations), False, probability, parts=tuple(parts))

    def _not_found(self, probability: float | None, readers_only: bool, note: str | None = None) -> Extract:
        """The standard reply; ``readers_only`` adds a note that only reader comments speak to it."""
        notes = (
            (
                "Only reader comments under an article touch on this; they are not the documents' "
                "position and are not used as an answer.",
            )
            if readers_only
            else ()
        )
        return Extract(NOT_FOUND_TEXT, (), True, probability, notes + ((note,) if note else ()))

    def _said_by_others(self, question: str, hits: Sequence[ScoredChunk]) -> bool:
        """Whether the retrieved non-author sentences (comments) cover at least ``OTHER_VOICE_LEAD``
        more of the question's words (by IDF mass) than the retrieved author sentences: then the
        question is about something only the comments say, and quoting the author's nearest sentence
        would answer a question the documents do not."""
        author: list[int] = []
        other: list[int] = []
        for hit in hits:
            for row in hit.chunk.sentence_ids:
                (author if self._content.sentences[row].voice == "author" else other).append(row)
        if not other:
            return False
        weights = self.stats.weights(question)
        lead = self.stats.coverage(weights, other) - self.stats.coverage(weights, author)
        return lead >= OTHER_VOICE_LEAD
