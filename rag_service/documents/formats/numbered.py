"""Numbered section headings in a PDF's text ("2.3 Simple parsing", "1.2. What is this spec?").

A PDF's text layer does not say which lines are headings, so without this a manual's citations name no
section, and a heading line is read as the start of the sentence after it ("3.1 Invoking asn1Parser
asn1Parser reads a single file …"). Most technical documents number their sections, and the numbers
say the level too. A line is a heading when it is a section number and a short title (at most
``MAX_WORDS`` words, starting with a capital, not ending like a sentence or a list item, not ending in a
page number as a contents line does) *and* its number follows on from the last heading accepted: the
next sibling (2.3 → 2.4), the first child (2.3 → 2.3.1) or the next section higher up (2.3.1 → 2.4,
2.3 → 3). That sequence is what keeps out a numbered list in the text ("1. Install it", which does not
follow 2.3) and a legal text's clauses numbered afresh in an appendix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_WORDS = 10
_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
_SENTENCE_END = re.compile(r"[.,;:]$")
_PAGE_NUMBER_END = re.compile(r"\s\d{1,4}$")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass
class NumberedHeadings:
    """Finds the numbered headings of one document, page after page (the sequence runs across pages)."""

    _last: tuple[int, ...] = ()

    def blocks(self, blocks: Sequence[str]) -> list[str | Heading]:
        """``blocks`` (a page's paragraphs), with each heading line made a ``Heading`` of its own and the
        lines around it left as paragraphs."""
        out: list[str | Heading] = []
        for block in blocks:
            lines: list[str] = []
            for line in block.split("\n"):
                heading = self._heading(line)
                if heading is None:
                    lines.append(line)
                    continue
                if lines:
                    out.append("\n".join(lines))
                    lines = []
                out.append(heading)
            if lines:
                out.append("\n".join(lines))
        return out

    def _heading(self, line: str) -> Heading | None:
        text = " ".join(line.split())
        match = _HEADING.match(text)
        if not match:
            return None
        title = match.group(2)
        if (
            not title[0].isupper()
            or len(title.split()) > MAX_WORDS
            or _SENTENCE_END.search(title)
            or _PAGE_NUMBER_END.search(title)
        ):
            return None
        number = tuple(int(part) for part in match.group(1).split("."))
        if not follows(self._last, number):
            return None
        self._last = number
        return Heading(len(number), text)


def follows(last: tuple[int, ...], number: tuple[int, ...]) -> bool:
    """Whether section ``number`` can come next after section ``last`` (``()`` before the first)."""
    if not last:
        return len(number) == 1 or all(part == 1 for part in number)
    if len(number) == len(last) + 1:
        return number[:-1] == last and number[-1] == 1
    if len(number) > len(last):
        return False
    return number[:-1] == last[: len(number) - 1] and number[-1] == last[len(number) - 1] + 1
