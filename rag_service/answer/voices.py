"""Whose words a sentence holds: the authors', or another voice's (reader comments under an article).

Sentences from sections whose voice is not the author's are never used to answer unless the question
asks about those sections (by their name or voice in the document metadata, or by general wording such
as "comments" or "readers"); then the answer comes from those sections only (``candidates``: the
comments naming the question's topic, or, for a question naming none, the full sentences), so a
reader's opinion is never presented as the documents' position. A question whose words the retrieved
comments cover clearly better than the retrieved author text is about something only the comments say
(``said_by_others``); one asking what readers wrote, in documents that hold no comments and never speak
of readers, is about nothing here (``asks_absent_readers``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from rag_service.answer.terms import TermStats
from rag_service.conversation import own_question
from rag_service.models import ScoredChunk
from rag_service.store.model import LoadedIndex

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
OTHER_VOICE_LEAD = 0.25
"""How much more of a question's words the retrieved comments must cover than the retrieved author text
for the question to count as one only the comments speak to (a rule, not fitted: a quarter of the
question's weight is a whole distinctive word of a typical question)."""


class Voices:
    def __init__(
        self,
        index: LoadedIndex,
        terms: Callable[[str], list[str]],
        stats: TermStats,
        other: np.ndarray,
        spoken: Sequence[tuple[str, str]],
    ) -> None:
        """``other``: the rows of sentences in another voice than the author's, ``spoken`` their
        distinct (section, voice) (``answer.layout``)."""
        self._content = index.content
        self._terms = terms
        self._stats = stats
        self.rows = np.asarray(other, dtype=np.int64)
        """The sentences in another voice than the author's."""
        names = {w for section, voice in spoken for w in terms(f"{section} {voice}")}
        self.voice_terms = frozenset(names | set(terms(" ".join(OTHER_VOICE_WORDS))))
        self._asking_terms = frozenset(terms(" ".join(ASKING_WORDS)))

    def asks(self, question: str) -> bool:
        """Whether the question asks about the non-author sections (comments), which this index has."""
        return bool(len(self.rows)) and bool(self.voice_terms & set(self._terms(question)))

    def asks_absent_readers(self, question: str, rows: list[int]) -> bool:
        """Whether the question asks what readers or commenters wrote, in an index with no such section,
        about documents that never speak of readers themselves: the authors' nearest sentences would
        answer as if they were the readers'."""
        if len(self.rows) or not _READERS.search(own_question(question)):
            return False
        return not any(_READERS.search(self._content.sentences[row].text) for row in rows)

    def candidates(self, question: str, fragment_penalty: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The comments that may answer a question about them (only asked when ``asks``, so ``rows`` is
        not empty). A question naming a topic ("what do readers think about BRICS?") is answered by the
        comments that name it, short ones included ("BRICS alone can sponsor a space station"); a
        question naming none ("what do the comments say?") by the full sentences, not one-line
        fragments."""
        topic = {
            t: w
            for t, w in self._stats.weights(question).items()
            if t not in self.voice_terms and t not in self._asking_terms
        }
        share = self._stats.overlap(topic, self.rows) if topic else np.zeros(0, dtype=np.float32)
        on_topic = self.rows[share >= TOPIC_SHARE] if len(share) else self.rows[:0]
        informative = self.rows[fragment_penalty(self.rows) == 0]
        return on_topic if len(on_topic) else informative if len(informative) else self.rows

    def said_by_others(self, question: str, hits: Sequence[ScoredChunk]) -> bool:
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
        weights = self._stats.weights(question)
        lead = self._stats.coverage(weights, other) - self._stats.coverage(weights, author)
        return lead >= OTHER_VOICE_LEAD
