"""reStructuredText (``.rst``): the section titles of a file cited as stored.

Sphinx documentation, Python READMEs and many FAQs are written in reStructuredText. Like Markdown, the
file is cited as stored (nothing rewritten, so offsets are the file's own); what the reader adds is
where its sections lie, so that a citation names its section and a title line is known for a heading,
not a sentence to quote. (Directives, comments and field lists are markup to ``documents.markup``.)

A section title is a line of text underlined, and optionally overlined, by one punctuation character
repeated at least as long as the title (docutils' rule; three characters at least). Levels are not
fixed by the character: the first style met is level 1, the next new one level 2, and so on, as
docutils decides them. A line of punctuation between blank lines is a transition, not a title.
"""

from __future__ import annotations

import re

from rag_service.documents.formats.builder import HeadingTrail
from rag_service.models import Structure

_ADORNMENT = re.compile(r"""^([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])\1{2,}\s*$""")
"""A line of one punctuation character repeated: an underline, an overline or a transition."""


def rst_structure(text: str, kind: str = "rst") -> Structure:
    """Heading regions of reStructuredText ``text`` (section titles, with their path of parents). Plain
    text (``kind="text"``) is read the same way: a README.txt underlines its titles as reStructuredText
    does ("FreeType 2.12.1" over "====="), and the strict rule (a blank line above, an underline at least
    as long as the title) keeps out the dashed rules that separate its entries."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    styles: list[tuple[str, bool]] = []  # adornment styles in order of first use: their index is the level
    headings = HeadingTrail()
    i = 0
    while i < len(lines):
        found = _title(lines, i)
        if found is None:
            i += 1
            continue
        title_line, style, after = found
        if style not in styles:
            styles.append(style)
        level = styles.index(style) + 1
        headings.add(offsets[title_line], level, lines[title_line].strip())
        i = after
    return Structure(kind=kind, headings=headings.regions(len(text)))


def _title(lines: list[str], i: int) -> tuple[int, tuple[str, bool], int] | None:
    """A section title starting at line ``i`` (its overline, or the title itself after a blank line or
    the start): the title's line, its style (character, overlined) and the line after its underline."""
    if i > 0 and lines[i - 1].strip():
        return None  # a title stands after a blank line (or opens the file)
    over = _ADORNMENT.match(lines[i].rstrip("\r\n"))
    if over and i + 2 < len(lines):
        title = lines[i + 1].strip()
        under = _ADORNMENT.match(lines[i + 2].rstrip("\r\n"))
        same = under is not None and under.group(1) == over.group(1)
        if title and same and len(lines[i + 2].strip()) >= len(title) and not _ADORNMENT.match(title):
            return i + 1, (over.group(1), True), i + 3
    if over or i + 1 >= len(lines):
        return None
    title = lines[i].rstrip("\r\n")
    under = _ADORNMENT.match(lines[i + 1].rstrip("\r\n"))
    if not title.strip() or title[0].isspace() or not under:
        return None  # an indented line over punctuation is a block quote or code, not a title
    if len(lines[i + 1].strip()) < len(title.strip()):
        return None
    return i, (under.group(1), False), i + 2
