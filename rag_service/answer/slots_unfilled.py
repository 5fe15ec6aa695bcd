"""A count, a size, a release or a date asked for that no sentence the answer would quote gives: declined.

"How many packages are hosted on crates.io?" over a FAQ that never counts them, "Which Cargo release
added --offline?" over a page that names no release: the passages are on the topic, so the learned gate
(fitted on questions whose unanswerable passages are mostly off the point) answers them with prose
that holds no number at all. A count is a number and a release is a version; a quote without one
cannot be the answer, however relevant it reads. So the answerer declines when none of the sentences
it chose holds one that the question does not already name (for a release or a date, the headings they
stand under count too: a changelog names the release and its date in its heading, "man-db 2.11.2 (8
January 2023)", not in each entry).

Only the question shapes whose answer is a number by construction are checked: "how many", "how
much", "what number / percentage / amount", "what is the largest / smallest … size / value / number /
limit", "which version / release", and "when was / did …" or
"what year / date" (a date, or a release: "added in 1.36"). "How long" or "how often" can be answered
in words ("until the lease expires", "daily"), and so can "when does …" ("when the command is not
available"): those are left to the gate. A date is not a count: "As of January 22nd, 2016, crates.io
rejects …" does not say how many.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from rag_service.answer.answer_span import DATE, asked_words, numbers
from rag_service.answer.answer_types import EXTREME_AMOUNT
from rag_service.answer.row_links import RowLinks
from rag_service.store.model import LoadedIndex

_COUNT = re.compile(
    r"^\W*(?:\w+\W+){0,3}?how (?:many|much)\b|\bwhat (?:percentage|number|amount|proportion)\b"
    r"|" + EXTREME_AMOUNT,
    re.I,
)
_RELEASE = re.compile(r"\b(?:which|what)\s+(?:[\w.+-]+\s+){0,2}?(?:version|release)s?\b", re.I)
_PAST = re.compile(
    r"^\W*(?:\w+\W+){0,3}?when (?:was|were|did|had)\b"
    r"|\b(?:what|which|in what) (?:year|date|decade|century)\b",
    re.I,
)
"""A question about when something happened, answered by a date (or a release: "added in 1.36").
"When does pip use X?" asks on what condition, and words answer it: present tense is the gate's."""
_VERSION = re.compile(
    r"(?<![\w.])v?\d+(?:\.(?:\d+|x))+(?![\w.]\w)|\b(?:versions?|releases?|v)\s*\d+\b"
    r"|(?<![\w.])(?:1[5-9]|20)\d{2}\b",
    re.I,
)
"""A release: a dotted number ("1.41", "v22.2", "1.2.x"), a number after "version" or "release", or a
year."""
_WITH_UNIT = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?!(?:st|nd|rd|th)\b)[A-Za-z]{1,3}\b")
"""A number with its unit written on ("5MB", "64K", "10ms"; not "22nd"): a quantity the numeral
pattern, which keeps out identifiers, does not read."""
_OTHER_WORDS = frozenset({"none", "zero", "unlimited", "free", "no-charge", "infinite"})
"""Words that answer a count or an amount without a numeral ("no-charge", "unlimited")."""

COUNT_NOTE = "No sentence found that could answer gives a number."
RELEASE_NOTE = "No sentence found that could answer names a release or version."
DATE_NOTE = "No sentence found that could answer gives a date."


def unfilled_note(own: str, index: LoadedIndex, rows: Sequence[int]) -> str | None:
    """Why the sentences ``rows`` (those an answer would quote) cannot answer the user's own words
    ``own``, or None when they might."""
    if not any(shape.search(own) for shape in (_RELEASE, _PAST, _COUNT)):
        return None  # most questions: nothing to read
    sentences, documents = index.content.sentences, index.documents
    texts = [sentences[row].text for row in rows]
    headings = (
        [documents[sentences[r].source].structure.heading_at(sentences[r].start) or "" for r in rows]
        if _RELEASE.search(own) or _PAST.search(own)
        else []
    )
    return slot_note(own, texts, headings)


def with_dated_heading(
    own: str, index: LoadedIndex, chosen: list[tuple[int, float]], heading_rows: np.ndarray | RowLinks
) -> list[tuple[int, float]]:
    """``chosen``, led by the heading of its first sentence when the user's words ``own`` ask when, or
    which release, and only that heading says it: "When was man-db 2.11.2 released?" is answered by
    "man-db 2.11.2 (8 January 2023)" over the entries of that release, which give no date."""
    if not chosen or not (_PAST.search(own) or _RELEASE.search(own)):
        return chosen
    sentences = index.content.sentences
    if slot_note(own, [sentences[row].text for row, _ in chosen]) is None:
        return chosen  # a quoted sentence says it
    head = int(heading_rows[chosen[0][0]])
    if head < 0 or head in {row for row, _ in chosen} or slot_note(own, [sentences[head].text]):
        return chosen
    return [(head, chosen[0][1]), *chosen]


def slot_note(own: str, texts: Sequence[str], headings: Sequence[str] = ()) -> str | None:
    """The rule on plain text: ``texts`` the sentences, ``headings`` those they stand under."""
    asked = asked_words(own)
    if _RELEASE.search(own):
        return None if _names_release(texts, headings, asked) else RELEASE_NOTE
    if _PAST.search(own):
        dated = any(
            m.group().casefold() not in asked for text in [*texts, *headings] for m in DATE.finditer(text)
        )
        return None if dated or _names_release(texts, headings, asked) else DATE_NOTE
    if _COUNT.search(own):
        for text in texts:
            with_unit = (m.group().casefold() for m in _WITH_UNIT.finditer(text))
            if numbers(text, asked, dated=True) or any(n not in asked for n in with_unit):
                return None
            if (_OTHER_WORDS & asked_words(text)) - asked:
                return None
        return COUNT_NOTE
    return None


def _names_release(texts: Sequence[str], headings: Sequence[str], asked: set[str]) -> bool:
    found = (m.group() for text in [*texts, *headings] for m in _VERSION.finditer(text))
    digits = (re.search(r"\d[\d.]*", f) for f in found)
    return any(d is not None and d.group().rstrip(".") not in asked for d in digits)
