"""Numbered section headings in a PDF's text ("2.3 Simple parsing", "1.2. What is this spec?").

A PDF's text layer does not say which lines are headings, so without this a manual's citations name no
section, and a heading line is read as the start of the sentence after it ("3.1 Invoking asn1Parser
asn1Parser reads a single file …"). Most technical documents number their sections, and the numbers
say the level too. A line is a heading when it is a section number and a short title (at most
``MAX_WORDS`` words, starting with a capital, not ending like a sentence or a list item, not one of a
run of such lines as a table of contents is) *and* its number follows on from the last heading
accepted: the next sibling (2.3 → 2.4), the first child (2.3 → 2.3.1) or the next section higher up
(2.3.1 → 2.4, 2.3 → 3). That sequence is what keeps out a numbered list in the text ("1. Install it",
which does not follow 2.3) and a legal text's clauses numbered afresh in an appendix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MAX_WORDS = 10
CONTENTS_RUN = 4
"""This many heading-shaped lines in a row are a table of contents: a section and its first subsection
often stand one above the other (three levels deep at most), and a fourth such line in a row is
almost never a heading."""
_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
_SENTENCE_END = re.compile(r"[.,;:]$")


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
            lines = block.split("\n")
            shapes = [_shape(line) for line in lines]
            contents = _contents_lines(shapes)
            kept: list[str] = []
            for i, (line, shape) in enumerate(zip(lines, shapes, strict=True)):
                heading = None if shape is None or i in contents else self._next(*shape)
                if heading is None:
                    kept.append(line)
                    continue
                if kept:
                    out.append("\n".join(kept))
                    kept = []
                out.append(heading)
            if kept:
                out.append("\n".join(kept))
        return out

    def _next(self, number: tuple[int, ...], text: str) -> Heading | None:
        """The heading, when ``number`` follows on from the last heading accepted."""
        if not follows(self._last, number):
            return None
        self._last = number
        return Heading(len(number), text)


def _shape(line: str) -> tuple[tuple[int, ...], str] | None:
    """The section number and the whole line, when ``line`` looks like a numbered heading."""
    text = " ".join(line.split())
    match = _HEADING.match(text)
    if not match:
        return None
    title = match.group(2)
    if not title[0].isupper() or len(title.split()) > MAX_WORDS or _SENTENCE_END.search(title):
        return None
    return tuple(int(part) for part in match.group(1).split(".")), text


def _contents_lines(shapes: Sequence[tuple[tuple[int, ...], str] | None]) -> set[int]:
    """Lines in runs of ``CONTENTS_RUN`` or more heading-shaped lines in sequence with nothing between: a
    table of contents without dot leaders ("2 Installing 5"), which must not take the numbers the
    headings of the text will need. A number that does not follow the one above starts a new run: the
    text's first heading can stand right under the last line of the contents."""
    found: set[int] = set()
    run: list[int] = []
    last: tuple[int, ...] = ()
    for i, shape in enumerate([*shapes, None]):
        if shape is not None and run and follows(last, shape[0]):
            run.append(i)
        else:
            if len(run) >= CONTENTS_RUN:
                found.update(run)
            run = [i] if shape is not None else []
        last = shape[0] if shape is not None else ()
    return found


def follows(last: tuple[int, ...], number: tuple[int, ...]) -> bool:
    """Whether section ``number`` can come next after section ``last`` (``()`` before the first)."""
    if not last:
        return len(number) == 1 or all(part == 1 for part in number)
    if len(number) == len(last) + 1:
        return number[:-1] == last and number[-1] == 1
    if len(number) > len(last):
        return False
    return number[:-1] == last[: len(number) - 1] and number[-1] == last[len(number) - 1] + 1
