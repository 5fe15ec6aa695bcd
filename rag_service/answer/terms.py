"""Which of the question's words a sentence contains, weighted by how rare each word is in the index.

Shared by sentence ranking and the answerability features: rare shared words ("head", "budget") are
better evidence than topic words every sentence shares ("Russia", "space"), and a word of the question
that no sentence contains is the strongest sign the documents do not say it.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from rag_service.retrieval.lexical import content_terms, sentence_frequencies
from rag_service.store.model import LoadedIndex

NAME_PREFIX = 5
ROW_CACHE = 20_000
"""Sentences whose word sets are kept (about 1.4 KB each). Kept for every sentence, they were most of a
replica's memory: 123 MB at 85,000 sentences, growing with the collection; an answer reads a few hundred."""
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")
"""A run of capitalised words that does not start the question or one of its sentences."""
_JOINED = re.compile(r"^(?:\s*,\s*|\s*,?\s+(?:and|or|vs\.?|versus|compared (?:to|with))\s+)$", re.I)
"""What stands between two names a question sets side by side ("Glavkosmos and Roscosmos")."""
_WORD = re.compile(r"[\w'’-]+")
_SEPARATORS = re.compile(r"[\W_]+")
"""What separates the words of a file name ("procps-faq.txt", "release_notes_2024.md")."""
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")
"""Scripts written without spaces between words: the tokenizer reads a run of them as one word."""


def joined_names(question: str) -> list[str]:
    """The names a question sets side by side ("What do Glavkosmos and Roscosmos say …?", "A, B or C"):
    it asks about each of them. Empty when it names fewer than two that way."""
    names = list(_NAME.finditer(question))
    joined: list[str] = []
    for first, second in itertools.pairwise(names):
        if _JOINED.match(question[first.end() : second.start()]):
            joined += [n.group() for n in (first, second) if n.group() not in joined]
    return joined


class TermStats:
    def __init__(self, index: LoadedIndex, terms: Callable[[str], list[str]]) -> None:
        content = index.content
        self.terms = terms
        # A document's author and publisher "say" each of its sentences: "What does Glavkosmos say about
        # Asia?" should prefer Glavkosmos's sentence on Asia, though that sentence never names Glavkosmos.
        speaker = {
            d.name: frozenset(terms(" ".join(filter(None, (d.meta.author, d.meta.publisher)))))
            for d in content.documents
        }
        sentences = content.sentences
        counted = index.sentence_df if terms is content_terms else None  # counted at ingest, with these
        if counted is None:
            counted = sentence_frequencies([s.text for s in sentences], terms)
        self.idf = {t: math.log(1 + len(sentences) / df) for t, df in counted.items()}
        """Rarity is judged on the words the sentences actually write."""
        self.own_terms = RowTerms(lambda row: frozenset(terms(sentences[row].text)), len(sentences))
        """The words each sentence itself writes (what two sentences repeating each other share)."""
        self.sentence_terms = RowTerms(
            lambda row: _with(self.own_terms[row], speaker[sentences[row].source]), len(sentences)
        )
        """Its own words and its document's author's and publisher's (the same set when it has none)."""
        self.unseen = math.log(1 + len(sentences))
        """The weight of a word no sentence contains: the highest any word can have."""
        named = " ".join(
            f"{_SEPARATORS.sub(' ', d.name)} {d.meta.title} {d.meta.author or ''} {d.meta.publisher or ''}"
            for d in content.documents
        )
        self._prefixes = frozenset(t[:NAME_PREFIX] for t in itertools.chain(self.idf, terms(named)))
        """Every word the index writes, and the words of its documents' file names, titles, authors and
        publishers: a user names a document as it is listed ("Summarize the procps FAQ." over
        ``procps-faq.txt``, whose text never says "FAQ")."""

    def unknown_names(self, question: str) -> list[str]:
        """Names inside the question (runs of capitalised words: "Yuri Gagarin", "Musk") of which no
        word is written by any sentence of the index, or by a document's file name, title, author or
        publisher, even in another form: a word counts as written
        when some word of the index shares its first ``NAME_PREFIX`` letters (after stemming), so
        "Komarow" finds "Komarov" and "Russian" finds "Russia", and a name of which one word is known
        ("United States" beside "U.S. states") is not unknown. Documents that never name someone cannot
        answer a question about them. A question in lower case names nothing here."""
        unknown = []
        for match in _NAME.finditer(question):
            terms = self.terms(match.group())
            if terms and not any(t[:NAME_PREFIX] in self._prefixes for t in terms):
                unknown.append(match.group())
        return unknown

    def unknown_words(self, question: str) -> list[str]:
        """The question's content words when no sentence of the index writes any of them, even in another
        form (judged as ``unknown_names`` judges a name); else empty. Documents that share no word with a
        question cannot be quoted as answering it: a question in another language, or about something
        else entirely, was otherwise answered with whatever sentence scored best. (No answerable ClapNQ,
        seeds or other-docs question, and one misspelt SQuAD question of 2,910, shares no word with its
        documents.) Empty for a question in a script written without spaces, whose runs of characters the
        tokenizer cannot cut into words."""
        if any(unicodedata.name(c, "").startswith(_UNSPACED) for c in question):
            return []
        words = list(dict.fromkeys(w for w in _WORD.findall(question) if self.terms(w)))
        if any(t[:NAME_PREFIX] in self._prefixes for w in words for t in self.terms(w)):
            return []
        return words

    def weights(self, question: str) -> dict[str, float]:
        """IDF of each content word of the question."""
        return {t: self.idf.get(t, self.unseen) for t in set(self.terms(question))}

    def overlap(self, weights: dict[str, float], rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """Per row: the share of the question's IDF mass that the sentence contains."""
        total = sum(weights.values())
        if not total:
            return np.zeros(len(rows), dtype=np.float32)
        return np.array(
            [sum(w for t, w in weights.items() if t in self.sentence_terms[r]) / total for r in rows],
            dtype=np.float32,
        )

    def coverage(self, weights: dict[str, float], rows: Sequence[int]) -> float:
        """The share of the question's IDF mass found anywhere in the given sentences."""
        total = sum(weights.values())
        if not total or not rows:
            return 0.0
        found = frozenset().union(*(self.sentence_terms[r] for r in rows))
        return sum(w for t, w in weights.items() if t in found) / total

    def unseen_share(self, weights: dict[str, float]) -> float:
        """The share of the question's IDF mass made of words no sentence of the index contains."""
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t not in self.idf) / total if total else 0.0


def _with(own: frozenset[str], speaker: frozenset[str]) -> frozenset[str]:
    """``own | speaker``, without a copy of ``own`` when there is no speaker: most documents name no
    author, and each cached copy of a sentence's words cost about 1.4 KB."""
    return own | speaker if speaker else own


class RowTerms:
    """A sentence row's word set, made when asked and kept for the ``ROW_CACHE`` most recent rows."""

    def __init__(self, make: Callable[[int], frozenset[str]], rows: int) -> None:
        self._rows = rows
        self._make = functools.lru_cache(maxsize=ROW_CACHE)(make)

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, row: int) -> frozenset[str]:
        row = int(row)
        if not 0 <= row < self._rows:
            raise IndexError(row)
        return self._make(row)
