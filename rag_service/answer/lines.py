"""What kind of line a sentence is: the document's title again, a heading, a byline, a photo caption or
credit, a headline in Title Case, or running text.

The answerer never quotes a question (a FAQ's own question line) or metadata as an answer on its own (a
title or heading is shown with its citation instead), and lets short lines (bylines, credits) answer only
when they hold the name, date or number asked for. Read off the text and the document's structure map
once per index, with no knowledge of any particular document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag_service.store.model import LoadedIndex

HEADLINE_WORDS = 6
HEADLINE_CAPITALS = 0.6
"""A line of at least this many words, this share of them capitalised, is a Title Case headline."""
TITLE_SHARE = 0.6
"""A line made only of the title's words, and of at least this share of them, repeats the title."""
_PART_WORDS = frozenset({"part", "page", "section", "chapter", "continued", "cont"})
CAPTION = re.compile(
    r"^\s*(?:©|\(c\)\s|copyright\b|photo(?:graph)?s?\s*(?:by\b|:)|(?:photo|image|picture)\s+(?:by|credits?)\b|"
    r"caption\s*:)"
    r"|\((?:file(?:\s+photo)?|photo|[^()]*\bphoto(?:graph)?\b[^()]*|[^()]*\bgetty images\b[^()]*)\)\s*$",
    re.I,
)
"""A photo caption or credit line: "© Agency/ Name", "Photo: …", "… (File)", "… (AP Photo/Name)". Not
"Image: …" or "Credit: …" alone, which in technical or financial text begin ordinary lines."""
LIST_ITEM_WORDS = 5
_LIST_ITEM = re.compile(r"^\s*(?:[*\u2022\u2023\u25e6+-]|\d{1,3}[.)])\s+\S")
"""A bulleted or numbered list item ("* the *anom* method returns the anomalies (deviations from the
average)"): of at least ``LIST_ITEM_WORDS`` words it says something, with or without a full stop. A
heading or byline is not written as a list item; a menu's items are a word or two."""
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")
_QUESTION = re.compile(r"\?['\"”’)\]]*$")


@dataclass(frozen=True)
class LineKinds:
    """Per sentence row of an index."""

    title: np.ndarray
    """Metadata: a line repeating its document's title, or a heading or table header row its structure
    map names."""
    short: np.ndarray
    """A short line of its own without sentence punctuation (a heading, byline, caption or credit in text
    without structure), unless it is a list item that says something."""
    caption: np.ndarray
    """On a photo caption or credit line."""
    headline: np.ndarray
    """A short line in Title Case (``title_case``): a headline."""
    question: np.ndarray
    """A sentence that asks ("Is it possible to attach Valgrind to a running program?"): a FAQ's
    question, or a writer's rhetorical one. It says nothing, so it never answers."""


def line_kinds(index: LoadedIndex) -> LineKinds:
    """What kind of line each sentence of the index is."""
    sentences = index.content.sentences
    title_line = np.zeros(len(sentences), dtype=bool)
    short_line = np.zeros(len(sentences), dtype=bool)
    caption = np.zeros(len(sentences), dtype=bool)
    documents = index.documents
    labelled = {
        name: {r.start for r in doc.structure.headings} | {t.start for t in doc.structure.tables if t.label}
        for name, doc in documents.items()
    }
    line: tuple[str, int] | None = None  # the line the previous sentence was on, and whether it is a caption
    on_caption = False
    for row, s in enumerate(sentences):
        if s.start in labelled[s.source]:
            title_line[row] = True
            continue
        text = documents[s.source].text
        line_start = text.rfind("\n", 0, s.start) + 1  # never slice up to the sentence: O(n) each
        line_end = text.find("\n", s.end)
        line_end = line_end if line_end >= 0 else len(text)
        own_line = not text[line_start : s.start].strip() and not text[s.end : line_end].strip()
        unpunctuated = not _SENTENCE_END.search(s.text)  # a one-sentence file's title is its sentence
        if line != (s.source, line_start):  # a paragraph is one line of many sentences: search it once
            line, on_caption = (s.source, line_start), bool(CAPTION.search(text[line_start:line_end]))
        caption[row] = on_caption
        title_line[row] = unpunctuated and repeats_title(s.text, s.title)
        # A line ending in ":" introduces what follows (a list, a command), it is no heading.
        words = len(s.text.split())
        item = words >= LIST_ITEM_WORDS and bool(_LIST_ITEM.match(s.text))
        short_line[row] = own_line and unpunctuated and not s.text.endswith(":") and words <= 12 and not item
    headline = np.zeros(len(sentences), dtype=bool)
    for short in np.flatnonzero(short_line):  # only a short line can be a headline: most rows are not
        headline[short] = title_case(sentences[int(short)].text)
    question = np.array([bool(_QUESTION.search(s.text)) for s in sentences], dtype=bool)
    return LineKinds(title_line, short_line, caption, headline, question)


def title_case(text: str) -> bool:
    """A headline in Title Case ("Russia Plans at Least 30 Space Launches in 2017"): at least
    ``HEADLINE_WORDS`` words, most of them capitalised. A byline ("Author: Mr. Dmitry Loskutov") is
    shorter, so its capitals still name someone."""
    words = [w for w in text.split() if w[:1].isalpha()]
    return len(words) >= HEADLINE_WORDS and sum(w[0].isupper() for w in words) >= HEADLINE_CAPITALS * len(
        words
    )


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def repeats_title(line: str, title: str) -> bool:
    """The title again, or a running header made of most of it, with numbering or a part mark
    ("Annual report (3)" under the title "Annual report (draft)", "Annual report - Part 2")."""
    words = {w for w in _plain(line).split() if not w.isdigit() and w not in _PART_WORDS}
    title_words = {w for w in _plain(title).split() if not w.isdigit()}
    return bool(words) and words <= title_words and len(words) >= TITLE_SHARE * len(title_words)
