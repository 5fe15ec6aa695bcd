"""Lexical retrieval: BM25 over chunk texts with ``bm25s`` (sparse matrices, no hand-written scoring).

Dense retrieval misses exact names, numbers and rare terms ("BRICS", "30 launches"); BM25 catches them.
The index is small to build (seconds for tens of thousands of chunks), so it is built when an index is
loaded rather than persisted, keeping the saved artefact to one vector index plus plain records.
English stop words are removed and words are Snowball-stemmed on both sides.
"""

from __future__ import annotations

import threading

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

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
    ]
)
_ANSWER_STOPWORDS = sorted(set(STOPWORDS_EN_PLUS) | QUESTION_WORDS)
_local = threading.local()


def content_terms(text: str) -> list[str]:
    """Stemmed words of ``text`` that carry meaning: a generous stop list plus question words removed.

    Used to compare a question with candidate answer sentences, where "who" or "does" matching is noise.
    (Retrieval keeps BM25's standard short stop list, as published BM25 baselines do.)
    """
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # PyStemmer objects are not thread-safe: one per thread
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [text], stopwords=_ANSWER_STOPWORDS, stemmer=stemmer, return_ids=False, show_progress=False
    )
    return list(tokens[0]) if tokens else []


class LexicalIndex:
    def __init__(self, texts: list[str]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._size = len(texts)
        self._bm25 = bm25s.BM25()
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
            self._bm25.index(tokens, show_progress=False)

    def terms(self, text: str) -> list[str]:
        """The stemmed content words of ``text``, as the index sees them."""
        tokens = bm25s.tokenize(
            [text], stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False
        )
        return list(tokens[0]) if tokens else []

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` ``(row, score)`` pairs with a positive score, best first."""
        terms = self.terms(query)
        if not terms or not self._size:
            return []
        docs, scores = self._bm25.retrieve([terms], k=min(k, self._size), show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
