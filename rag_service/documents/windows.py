"""Windows: runs of consecutive chunks embedded together, for judging whether a passage is on the question.

A chunk (800 characters by default) is the right size to retrieve and cite, but too small to tell
whether the documents are about what is asked: on the ClapNQ questions the cosine between a question and
its best chunk separates answerable from unanswerable questions at AUC 0.72, the cosine with the whole
~1,000-character passage at 0.84. So the index also holds windows of up to ``WINDOW_CHARS`` characters
made of whole chunks, and the answerability model reads the window around each retrieved chunk. A
window's vector is the length-weighted mean of its chunks' vectors (``rag_service.embedding.passages``):
no forward pass of its own, and on ClapNQ it separates at least as well as embedding the window's text.

Windows are derived from the chunk list alone (same source and section, contiguous chunks, greedy), so a
store keeps only their vectors and any reader recomputes the grouping identically.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag_service.models import Chunk

WINDOW_CHARS = 1600
"""Longest window span: about the 256 word pieces the embedding model reads before truncating."""


def window_groups(chunks: Sequence[Chunk]) -> list[range]:
    """Chunk rows of each window, in order; every chunk belongs to exactly one window."""
    groups: list[range] = []
    first = 0
    for row in range(1, len(chunks) + 1):
        if row == len(chunks) or not _extends(chunks[first], chunks[row]):
            groups.append(range(first, row))
            first = row
    return groups


def chunk_windows(chunks: Sequence[Chunk]) -> np.ndarray:
    """The window row of every chunk row."""
    out = np.zeros(len(chunks), dtype=np.int32)
    for window, group in enumerate(window_groups(chunks)):
        out[group.start : group.stop] = window
    return out


def _extends(first: Chunk, chunk: Chunk) -> bool:
    return (
        chunk.source == first.source
        and chunk.section == first.section
        and chunk.start >= first.start
        and chunk.end - first.start <= WINDOW_CHARS
    )
