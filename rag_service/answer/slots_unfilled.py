"""A count or a release asked for that no sentence the answer would quote gives: declined.

"How many packages are hosted on crates.io?" over a FAQ that never counts them, "Which Cargo release
added --offline?" over a page that names no release: the passages are on the topic, so the learned gate
(fitted on questions whose unanswerable passages are mostly off the point) answers them with prose
that holds no number at all. A count is a number and a release is a version; a quote without one
cannot be the answer, however relevant it reads. So the answerer declines when none of the sentences
it chose holds one that the question does not already name (for a release, the headings they stand
under count too: a changelog names the release in its heading, not in each entry).

Only the question shapes whose answer is a number by construction are checked: "how many", "how
much", "what number / percentage / amount", and "which version / release". "How long" or "how often"
can be answered in words ("until the lease expires", "daily") and are left to the gate. A date is not
a count: "As of January 22nd, 2016, crates.io rejects …" does not say how many.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag_service.answer.answer_span import asked_words, numbers
from rag_service.store.model import LoadedIndex

_COUNT = re.compile(
    r"^\W*(?:\w+\W+){0,3}?how (?:many|much)\b|\bwhat (?:percentage|number|amount|proportion)\b", re.I
)
_RELEASE = re.compile(r"\b(?:which|what)\s+(?:[\w.+-]+\s+){0,2}?(?:version|release)s?\b", re.I)
_VERSION = re.compile(
    r"(?<![\w.])v?\d+(?:\.(?:\d+|x))+(?![\w.]\w)|\b(?:versions?|releases?|v)\s*\d+\b"
    r"|(?<![\w.])(?:1[5-9]|20)\d{2}\b",
    re.I,
)
"""A release: a dotted number ("1.41", "v22.2", "1.2.x"), a number after "version" or "release", or a
year."""
_OTHER_WORDS = frozenset({"none", "zero", "unlimited", "free", "no-charge", "infinite"})
"""Words that answer a count or an amount without a numeral ("no-charge", "unlimited")."""

COUNT_NOTE = "No sentence found that could answer gives a number."
RELEASE_NOTE = "No sentence found that could answer names a release or version."


def unfilled_note(own: str, index: LoadedIndex, rows: Sequence[int]) -> str | None:
    """Why the sentences ``rows`` (those an answer would quote) cannot answer the user's own words
    ``own``, or None when they might."""
    sentences, documents = index.content.sentences, index.documents
    texts = [sentences[row].text for row in rows]
    headings = [documents[sentences[r].source].structure.heading_at(sentences[r].start) or "" for r in rows]
    return slot_note(own, texts, headings)


def slot_note(own: str, texts: Sequence[str], headings: Sequence[str] = ()) -> str | None:
    """The rule on plain text: ``texts`` the sentences, ``headings`` those they stand under."""
    asked = asked_words(own)
    if _RELEASE.search(own):
        found = (m.group() for text in [*texts, *headings] for m in _VERSION.finditer(text))
        digits = (re.search(r"\d[\d.]*", f) for f in found)
        return None if any(d and d.group().rstrip(".") not in asked for d in digits) else RELEASE_NOTE
    if _COUNT.search(own):
        for text in texts:
            if numbers(text, asked, dated=True) or (_OTHER_WORDS & asked_words(text)) - asked:
                return None
        return COUNT_NOTE
    return None
