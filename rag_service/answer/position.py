"""Questions about where a document goes rather than what it says: "how does the talk end?",
"what is the conclusion of the article?", "how does the paper begin?".

Similarity cannot answer these: "end" and "begin" are about position, and no sentence of a document
says "this is how I end". So the answer is read off the document's structure instead: its last (or
first) sentences that may answer on their own. Which document is meant is read off the noun the
question uses for it ("talk", "article", "paper" …) against each document's title (a title
"… (conference abstract)" is a talk or a paper, and not an article); when no document fits better than
another, the one retrieval ranks first.

Only a question naming a document by such a noun counts: "how does the war end?" asks about a war,
and is answered from what the documents say about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag_service.models import Document

END = "end"
START = "start"
_DOCUMENT_NOUN = (
    r"(?:talk|speech|lecture|presentation|keynote|address|article|story|piece|post|report|paper|"
    r"abstract|study|essay|document|text|book|chapter|letter|interview)"
)
_OWNER = r"(?:the|this|that|his|her|their|its|your|my)\s+(?:[\w'’-]+\s+){0,3}?"
_PATTERNS = (
    (
        END,
        re.compile(
            rf"\bhow\s+(?:does|did|do)\s+{_OWNER}(?P<noun>{_DOCUMENT_NOUN})\s+"
            r"(?:end|conclude|finish|close|wrap\s+up)\b",
            re.I,
        ),
    ),
    (
        START,
        re.compile(
            rf"\bhow\s+(?:does|did|do)\s+{_OWNER}(?P<noun>{_DOCUMENT_NOUN})\s+"
            r"(?:begin|start|open)\b",
            re.I,
        ),
    ),
    (
        END,
        re.compile(
            r"\bwhat\s+(?:is|are|was|were)\s+the\s+(?:conclusions?|ending|end|closing|"
            r"final\s+(?:words|part|section|paragraph|sentences?))\s+of\s+"
            rf"{_OWNER}(?P<noun>{_DOCUMENT_NOUN})\b",
            re.I,
        ),
    ),
    (
        START,
        re.compile(
            r"\bwhat\s+(?:is|are|was|were)\s+the\s+(?:beginning|opening|start|"
            r"first\s+(?:words|part|section|paragraph|sentences?))\s+of\s+"
            rf"{_OWNER}(?P<noun>{_DOCUMENT_NOUN})\b",
            re.I,
        ),
    ),
)
_KINDS = {
    "spoken": frozenset(
        {
            "talk",
            "speech",
            "lecture",
            "presentation",
            "keynote",
            "address",
            "conference",
            "symposium",
            "seminar",
            "webinar",
            "slides",
            "abstract",
            "interview",
        }
    ),
    "news": frozenset({"article", "story", "piece", "post", "report", "news", "column", "blog", "interview"}),
    "paper": frozenset(
        {"paper", "abstract", "study", "essay", "thesis", "journal", "proceedings", "conference"}
    ),
    "book": frozenset({"book", "chapter", "novel", "volume"}),
}
"""Which words in a title make a document fit the noun a question calls it by."""
_ALL_CUES = frozenset().union(*_KINDS.values())


@dataclass(frozen=True)
class PositionQuestion:
    where: str
    """``END`` or ``START``."""
    noun: str
    """What the question calls the document ("talk")."""


def position_asked(question: str) -> PositionQuestion | None:
    """The position a question asks for, when it names a document by a noun (None otherwise)."""
    for where, pattern in _PATTERNS:
        found = pattern.search(question)
        if found:
            return PositionQuestion(where, found.group("noun").lower())
    return None


def pick_document(noun: str, documents: Sequence[Document]) -> Document | None:
    """The document the noun fits best: its title names what the noun is (a "talk" fits a title
    "… (conference abstract)"), and does not name another kind of document (an "article" fits a
    plain title better than that one). Ties go to the earliest in ``documents`` (retrieval order)."""
    cues = {noun} | set().union(*(kind for kind in _KINDS.values() if noun in kind))
    other = _ALL_CUES - cues
    best, best_fit = None, -len(_ALL_CUES)
    for document in documents:
        words = set(re.findall(r"[a-z]+", document.meta.title.lower()))
        fit = len(words & cues) - len(words & other)
        if fit > best_fit:
            best, best_fit = document, fit
    return best
