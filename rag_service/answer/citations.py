"""Reading ``[n]`` citation markers out of generated text and turning them into exact citations.

The model is shown passages numbered ``[1]..[k]`` (the retrieved chunks, in rank order) and asked to put
the number after each claim. Here the text is split into sentences, each sentence keeps the valid
numbers that follow it (``[2]``, ``[1][3]`` and ``[1, 3]`` all work; a marker opening the next sentence
belongs to the previous one), numbers that name no passage are dropped, and every cited passage becomes
a ``Citation`` whose quote is the passage sentence that best supports the sentences citing it: a span
that occurs verbatim in the source, with its offsets. Passages nobody cites are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.answer.markdown_safe import escape
from rag_service.models import Citation, Document, ScoredChunk
from rag_service.store.model import IndexContent

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\]])\s+(?=[\"“(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class MarkedSentence:
    text: str
    markers: tuple[int, ...]


def split_marked(text: str, passages: int) -> list[MarkedSentence]:
    """Sentences of ``text`` with the valid passage numbers (1..``passages``) that follow each."""
    sentences: list[MarkedSentence] = []
    for piece in _SENTENCE_BREAK.split(text.strip()):
        leading = re.match(r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+", piece)
        if leading and sentences:
            prev = sentences[-1]
            sentences[-1] = MarkedSentence(
                prev.text, _merge(prev.markers, _numbers(leading.group(), passages))
            )
            piece = piece[leading.end() :]
        numbers = _numbers(piece, passages)
        clean = " ".join(MARKER.sub("", piece).split())
        if clean:
            sentences.append(MarkedSentence(clean, numbers))
    return sentences


def _numbers(text: str, passages: int) -> tuple[int, ...]:
    found = [int(n) for group in MARKER.findall(text) for n in re.split(r"\s*,\s*", group)]
    return _merge((), tuple(n for n in found if 1 <= n <= passages))


def _merge(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(dict.fromkeys((*a, *b)))


def render(sentences: Sequence[MarkedSentence]) -> str:
    return " ".join(escape(s.text) + "".join(f" [{n}]" for n in s.markers) for s in sentences)


def cite_passages(
    sentences: Sequence[MarkedSentence],
    vectors: np.ndarray,
    hits: Sequence[ScoredChunk],
    content: IndexContent,
    documents: dict[str, Document],
) -> tuple[Citation, ...]:
    """One citation per cited passage: its sentence closest to the answer sentences that cite it."""
    best: dict[int, tuple[float, int]] = {}
    for sentence, vector in zip(sentences, vectors, strict=True):
        for n in sentence.markers:
            rows = hits[n - 1].chunk.sentence_ids
            if not rows:
                continue
            scores = content.sentence_vectors[list(rows)] @ vector
            i = int(np.argmax(scores))
            if n not in best or float(scores[i]) > best[n][0]:
                best[n] = (float(scores[i]), rows[i])
    return tuple(sentence_citation(n, best[n][1], best[n][0], content, documents) for n in sorted(best))


def sentence_citation(
    n: int, row: int, score: float, content: IndexContent, documents: dict[str, Document]
) -> Citation:
    """Citation ``n`` for sentence ``row`` of the index: its exact span, verbatim quote and voice."""
    return span_citation(n, (row,), score, content, documents)


def span_citation(
    n: int,
    rows: Sequence[int],
    score: float,
    content: IndexContent,
    documents: dict[str, Document],
    end: int | None = None,
) -> Citation:
    """Citation ``n`` for consecutive sentence ``rows`` of one document (a list and its introduction):
    one span from the first sentence's start to the last one's end (or to ``end``: the code block the
    last one introduces), quoted verbatim."""
    first, last = content.sentences[rows[0]], content.sentences[rows[-1]]
    end = last.end if end is None else end
    structure = documents[first.source].structure
    return Citation(
        n=n,
        source=first.source,
        title=first.title,
        section=first.section,
        start=first.start,
        end=end,
        quote=documents[first.source].text[first.start : end],  # verbatim, not normalised
        score=round(score, 4),
        voice=first.voice,
        page=structure.page_at(first.start),
        heading=structure.heading_at(first.start),
    )
