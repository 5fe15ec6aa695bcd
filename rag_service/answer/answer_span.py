"""The words that answer, marked inside the first quote: a short answer verified by the quote itself.

A "when", "how many", "who" or "where" question is answered by one piece of text: a date, a number, a
name, a place (``answer_types``). When the first quoted sentence holds exactly one such piece that the
question does not already name, its exact document offsets become the first citation's
``answer_span``, and the page shows it in bold. Exactly one, or nothing: a sentence naming two years or
two people leaves the reader to choose, rather than the service guessing (the reader model scores whole
sentences, not spans).

The span lies inside the quote, which is ``document.text[start:end]`` verbatim, so it is as traceable
as the citation: ``document.text[span[0]:span[1]]`` is the short answer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from rag_service.answer.answer_types import PERSON, PLACE, QUANTITY, TIME, asked_type
from rag_service.conversation import own_question
from rag_service.models import Citation

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}"
    rf"|{_MONTH}\s+{_YEAR}"
    rf"|{_YEAR}s?"
    r"|\d{1,2}(?:st|nd|rd|th)\s+centur(?:y|ies))\b"
)
_SPELLED = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred"
)
_NUMBER = re.compile(
    rf"(?<![\w.])(?:\d+(?:,\d{{3}})*(?:\.\d+)?|(?:{_SPELLED})(?:[- ](?:{_SPELLED}))*)"
    r"(?:\s*(?:%|per ?cent\b))?(?:\s+(?:thousand|million|billion|trillion)\b)?(?![\w.]\w)",
    re.I,
)
_NAME_WORD = r"(?<![\w'’-])[A-Z][A-Za-z'’-]*[A-Za-z](?![\w'’-])"
"""A capitalised word of letters: not an identifier ("Z_NULL"), a version or a code."""
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:[A-Z]\.\s+)?{_NAME_WORD})*")
_NOT_NAME_WORDS = (
    "mr ms mrs dr prof sir the a an in on at by monday tuesday wednesday thursday friday saturday sunday "
    "january february march april may june july august september october november december"
)
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
"""Capitalised words that come with a name or a date but are not one."""


def asked_words(question: str) -> set[str]:
    """The question's words and numbers, "2.0" and "1,000" whole as well as in parts."""
    return {w.casefold() for w in re.findall(r"\d+(?:[.,]\d+)+|[\w'’-]+", question)} | {
        w.casefold() for w in re.findall(r"[\w'’-]+", question)
    }


def _names(text: str, asked: set[str]) -> list[tuple[int, int]]:
    """Runs of capitalised words, cut where a word is named by the question or is not a name ("See
    Debian Policy" asked about Debian gives "See" and "Policy"); a sentence's first word alone is not
    one (every sentence starts with a capital)."""
    excluded = asked | _NOT_NAMES
    spans = []
    for m in _NAME.finditer(text):
        run: list[re.Match[str]] = []
        for word in [*re.finditer(r"\S+", m.group()), None]:
            if word is not None and word.group().casefold().rstrip(".") not in excluded:
                run.append(word)
                continue
            if run:
                start, end = m.start() + run[0].start(), m.start() + run[-1].end()
                before = text[:start].rstrip()
                if len(run) > 1 or (before and before[-1] not in ".!?:"):
                    spans.append((start, end))
            run = []
    return spans


def numbers(text: str, asked: set[str], dated: bool = False) -> list[tuple[int, int]]:
    """Spans of the numbers in ``text`` that ``asked`` (the question's words) does not name; a year is
    not one, and with ``dated`` no number inside a date is ("January 22nd, 2016" counts nothing)."""
    dates = [m.span() for m in DATE.finditer(text) if dated or re.fullmatch(_YEAR + "s?", m.group())]
    return [
        m.span()
        for m in _NUMBER.finditer(text)
        if m.group().casefold() not in asked and not any(a <= m.start() < b for a, b in dates)
    ]


def find_span(kind: str, text: str, question: str) -> tuple[int, int] | None:
    """Offsets in ``text`` of the one piece of kind ``kind`` the question does not name, or None."""
    asked = asked_words(question)
    if kind == TIME:
        spans = [m.span() for m in DATE.finditer(text) if m.group().casefold() not in asked]
    elif kind == QUANTITY:
        spans = numbers(text, asked)
    elif kind in (PERSON, PLACE):
        spans = _names(text, asked)
        if kind == PERSON:  # a person is named by two words or more; "Russia" is not one
            spans = [(a, b) for a, b in spans if " " in text[a:b]]
    else:
        return None
    distinct = {text[a:b].casefold() for a, b in spans}
    return spans[0] if len(distinct) == 1 else None


def with_answer_span(citations: Sequence[Citation], question: str) -> tuple[Citation, ...]:
    """``citations`` with the first one's ``answer_span`` set when its quote holds the one answer."""
    if not citations:
        return tuple(citations)
    first = citations[0]
    span = find_span(asked_type(own_question(question), question), first.quote, question)
    if span is None:
        return tuple(citations)
    marked = dataclasses.replace(first, answer_span=(first.start + span[0], first.start + span[1]))
    return (marked, *citations[1:])
