"""What a section's heading says about the sentences under it.

In structured documents the heading carries the topic and the sentences under it often do not repeat
it. A FAQ is the plain case: under "How do I programmatically use ActivityWatch?" the answer reads "See
the documentation for `extending` or checkout the aw-client repository.", which on its own resembles the
question "How can I use ActivityWatch from a program?" far less than the heading does. So a sentence is
ranked by the better of its own similarity to the question and a share of its heading's
(``HEADING_SHARE``): under a heading that matches, it can win over a sentence elsewhere that merely
shares the question's words, and a generic heading ("Introduction") matches no question well enough to
lift anything.

Only a heading that is itself a sentence of the index (three words or more) has a vector. A heading of
any length lends its words, though: the words of a sentence's innermost heading that the sentence does
not write itself count toward its lexical overlap with the question at ``HEADING_SHARE`` of their weight
(``heading_labels``), so under "Mailing Lists" the list of addresses answers "What are the mailing
lists?". Text without headings (the seeds, ClapNQ's passages) is unaffected.
"""

from __future__ import annotations

import numpy as np

from rag_service.answer.row_links import RowLinks
from rag_service.documents.formats.builder import HEADING_JOIN
from rag_service.store.model import LoadedIndex

HEADING_SHARE = 0.9
"""The share of its heading's similarity a sentence may rank by (its own counts when higher), and the
weight of its heading's words in its lexical overlap."""


def heading_rows(index: LoadedIndex) -> np.ndarray:
    """For each sentence row, the row of the sentence that opens its innermost heading; -1 when it has
    none (no heading, or one too short to be a sentence) or is that heading."""
    return innermost_headings(index)[0]


def heading_labels(index: LoadedIndex) -> list[str]:
    """For each sentence row, its innermost heading as written ("Bugs", not the path "FreeType › Bugs");
    "" when it has none. A heading of any length counts: "## Installing" has no vector, but its word
    still says what the sentences under it are about."""
    return innermost_headings(index)[1]


def innermost_headings(index: LoadedIndex) -> tuple[np.ndarray, list[str]]:
    """``heading_rows`` and ``heading_labels`` in one pass over the index."""
    sentences = index.content.sentences
    rows_out = np.full(len(sentences), -1, dtype=np.int64)
    labels_out = [""] * len(sentences)
    by_document: dict[str, list[int]] = {}
    for row, s in enumerate(sentences):
        by_document.setdefault(s.source, []).append(row)
    for name, rows in by_document.items():
        document = index.documents.get(name)
        regions = document.structure.headings if document is not None else ()
        if not regions:
            continue
        opening = {sentences[row].start: row for row in rows}
        rows = sorted(rows, key=lambda row: sentences[row].start)
        stack: list[tuple[int, int, str]] = []  # (end, opening row, label) of the regions holding the offset
        next_region = 0
        for row in rows:
            start = sentences[row].start
            while next_region < len(regions) and regions[next_region].start <= start:
                region = regions[next_region]
                stack.append((region.end, opening.get(region.start, -1), region.label))
                next_region += 1
            while stack and stack[-1][0] <= start:
                stack.pop()
            if stack:
                _, opener, label = stack[-1]
                labels_out[row] = label.split(HEADING_JOIN)[-1]
                if opener != row:
                    rows_out[row] = opener
    return rows_out, labels_out


def with_headings(
    cosine: np.ndarray,
    rows: np.ndarray,
    headings: np.ndarray | RowLinks,
    vectors: np.ndarray,
    query: np.ndarray,
) -> np.ndarray:
    """``cosine`` (of the sentences ``rows`` with the question), each raised to ``HEADING_SHARE`` of its
    heading's cosine where that is higher."""
    heads = headings[rows]
    has = heads >= 0
    if not has.any():
        return cosine
    lent = np.full(len(rows), -np.inf, dtype=np.float32)
    lent[has] = HEADING_SHARE * (vectors[heads[has]] @ query)
    return np.maximum(cosine, lent)
