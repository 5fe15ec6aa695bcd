"""Lexical retrieval: BM25 over chunk texts with ``bm25s`` (sparse matrices, no hand-written scoring).

Dense retrieval misses exact names, numbers and rare terms ("BRICS", "30 launches"); BM25 catches them.
The index is small to build (seconds for tens of thousands of chunks), so it is built when an index is
loaded rather than persisted, keeping the saved artefact to one vector index plus plain records.
English stop words are removed and words are Snowball-stemmed on both sides.

Texts and queries are cut into terms by the same function, ``index_terms`` (lower-case, ``\\b\\w\\w+\\b``,
bm25s's English stop list, PyStemmer, the rules of ``bm25s.tokenize``; and each release number whole,
"2.11.1" being otherwise only "11"), and scored with ``get_scores_from_ids`` plus a numpy
top-k, which skips the per-call set-up of ``bm25s.tokenize``/``retrieve`` that dominated the cost of a
query on small corpora.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_EN_PLUS

QUESTION_WORDS = frozenset(
    [
        "who",
        "whom",
        "whose",
        "what",
        "which",
        "where",
        "when",
        "why",
        "how",
        "does",
        "do",
        "did",
        "doing",
        "done",
        "say",
        "says",
        "said",
        "tell",
        "tells",
        "told",
        "mention",
        "mentions",
        "mentioned",
        "according",
        "document",
        "documents",
        "text",
        "article",
        "abstract",
        "please",
        "context",
    ]
)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_DOTTED = re.compile(r"(?<![\w.])(?:v(\d+(?:\.\d+)+)|(\d+(?:\.\d+){2,}))(?![\w.]\w)", re.I)
"""A release: a number of three parts or more ("2.11.1", "2.7.6.1"), or one written with a "v" ("v3.10").
Read as words, "2.11.1" is only "11" (one-digit parts are too short to be words), and "man-db 2.11.1"
could not be told from "man-db 2.11.2". A decimal ("1.5", "p < 0.05") stays its parts: as a term of its
own it matched unrelated measures, and cost SciFact's hybrid nDCG@10 0.0017."""
_TWO_DOTS = re.compile(r"\.\d+\.")
_V_NUMBER = re.compile(r"[vV]\d+\.\d")
_RETRIEVAL_STOPWORDS = frozenset(STOPWORDS_EN)
_ANSWER_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | QUESTION_WORDS
_local = threading.local()
K1 = 1.5
B = 0.75
"""BM25's parameters (bm25s's defaults, Lucene's variant); the SQL scorer (``store.postgres.lexicon``)
uses the same, so both rank alike."""


def _stem(words: list[str]) -> list[str]:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # PyStemmer objects are not thread-safe: one per thread
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return list(stemmer.stemWords(words)) if words else []


def _terms(text: str, stopwords: frozenset[str]) -> list[str]:
    """Words of two characters or more, stemmed, and each release number whole besides its parts."""
    return _stem([w for w in _TOKEN.findall(text.lower()) if w not in stopwords]) + _releases(text)


def indexed_terms(texts: Iterable[str]) -> Iterator[list[str]]:
    """``index_terms`` of each text, each distinct word stemmed once (as ``bm25s.tokenize`` does): twice
    as fast over a collection as stemming text by text. A generator, so that a writer streaming a
    million texts holds one text's terms at a time."""
    stemmer = Stemmer.Stemmer("english")
    stems: dict[str, str] = {}
    for text in texts:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in _RETRIEVAL_STOPWORDS]
        new = [w for w in set(words) if w not in stems]
        if new:
            stems.update(zip(new, stemmer.stemWords(new), strict=True))
        yield [stems[w] for w in words] + _releases(text)


def _releases(text: str) -> list[str]:
    """The release numbers of ``text``; the two quick searches spare most texts the slow one."""
    if _TWO_DOTS.search(text) is None and _V_NUMBER.search(text) is None:
        return []
    return [v or n for v, n in _DOTTED.findall(text)]


def index_terms(text: str) -> list[str]:
    """The stemmed terms of ``text`` as BM25 indexes and queries them (BM25's short stop list)."""
    return _terms(text, _RETRIEVAL_STOPWORDS)


def content_terms(text: str) -> list[str]:
    """The stemmed content words of ``text``: a generous stop list plus question words removed.

    Used to compare a question with candidate answer sentences, where "who" or "does" matching is noise.
    (Retrieval keeps BM25's standard short stop list, as published BM25 baselines do.)
    """
    return _terms(text, _ANSWER_STOPWORDS)


DF_TERMS = "content_terms/1"
"""Names the word list ``sentence_frequencies`` counts by default (``content_terms``); a store keeps it
with its counts, and counts under another name are not used. Change it when ``content_terms`` changes."""


def sentence_frequencies(
    texts: Iterable[str], terms: Callable[[str], list[str]] = content_terms
) -> dict[str, int]:
    """How many of ``texts`` hold each word; one text's words at a time, none kept. A store may count
    them at ingest (``LoadedIndex.sentence_df``) so that loading need not read every sentence."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(frozenset(terms(text)))
    return dict(counts)


class LexicalIndex:
    def __init__(self, texts: list[str]) -> None:
        self._size = len(texts)
        self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        if texts:  # the terms a query is cut into (``index_terms``), release numbers included
            self._bm25.index(list(indexed_terms(texts)), show_progress=False)

    def terms(self, text: str) -> list[str]:
        """The stemmed terms of ``text`` as the index sees them."""
        return index_terms(text)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` ``(row, score)`` pairs with a positive score, best first."""
        if not self._size:
            return []
        ids = self._bm25.get_tokens_ids(self.terms(query))
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        k = min(k, self._size)
        # Equal scores (the same text twice) rank by row, as the SQL scorer's ORDER BY does: the
        # cut-off keeps every row tied with the k-th, then a stable sort of rows by score.
        threshold = np.partition(-scores, k - 1)[k - 1]
        top = np.flatnonzero(-scores <= threshold)
        top = top[np.argsort(-scores[top], kind="stable")][:k]
        return [(int(row), float(scores[row])) for row in top if scores[row] > 0]
