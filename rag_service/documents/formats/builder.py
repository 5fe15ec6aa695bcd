"""Assembling extracted text block by block while recording where each page, heading and table lies.

Extractors (PDF, HTML, Word) see structure that plain text loses: a page break, a heading's level, a
table's cells. They hand it here block by block; the builder joins blocks with a blank line (so the
chunker's first separator falls between blocks, and a table row, one line, is never cut in two) and
records every region as offsets into the one string it returns. Citations index into that string, so
the regions are exact by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag_service.documents.formats.numbered import Heading
from rag_service.models import Region, Structure

HEADING_JOIN = " › "
CELL_JOIN = " | "
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_SENTENCE_END = set(".!?:;\"'”’)]")
"""A line ending in one of these ends its sentence (or introduces what follows): the next page starts
afresh."""


@dataclass
class HeadingTrail:
    """Headings in the order a reader meets them, each labelled with the path of the headings above it
    ("Report › Findings › Pests"); each covers the text up to the next heading of its level or higher.
    Shared by every reader that finds headings (the builder's, Markdown's, reStructuredText's)."""

    _path: list[tuple[int, str]] = field(default_factory=list)
    _headings: list[tuple[int, int, str]] = field(default_factory=list)
    """(start, level, path) of each heading."""

    def add(self, start: int, level: int, label: str) -> None:
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, label))
        self._headings.append((start, level, HEADING_JOIN.join(t for _, t in self._path)))

    def regions(self, length: int) -> tuple[Region, ...]:
        """The heading regions of a text of ``length`` characters."""
        return tuple(
            Region(start, next((s for s, lv, _ in self._headings[i + 1 :] if lv <= level), length), path)
            for i, (start, level, path) in enumerate(self._headings)
        )


def tidy(text: str) -> str:
    """One line of extracted text: spaces collapsed, no control characters, trimmed."""
    text = "".join(ch for ch in text if ch >= " " or ch == "\t")
    return _SPACES.sub(" ", text).strip()


@dataclass
class TextBuilder:
    kind: str
    _parts: list[str] = field(default_factory=list)
    _length: int = 0
    _pages: list[Region] = field(default_factory=list)
    _headings: HeadingTrail = field(default_factory=HeadingTrail)
    _tables: list[Region] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _append(self, block: str, separator: str = "\n\n") -> tuple[int, int]:
        if self._length:
            self._parts.append(separator)
            self._length += len(separator)
        start = self._length
        self._parts.append(block)
        self._length += len(block)
        return start, self._length

    def paragraph(self, text: str, separator: str = "\n\n") -> None:
        """A block of running text (newlines inside it are kept as line breaks); ``separator`` joins it to
        the text before (a line break where it continues a sentence cut by a page break)."""
        lines = [tidy(line) for line in text.splitlines()]
        block = "\n".join(line for line in lines if line)
        if block:
            self._append(block, separator)

    def heading(self, level: int, text: str) -> None:
        """A heading of ``level`` (1 = top): it starts a region that runs to the next heading of the same
        or a higher level, labelled with the path of headings above it."""
        text = tidy(text)
        if not text:
            return
        start, _ = self._append(text)
        self._headings.add(start, level, text)

    def table(self, rows: Sequence[Sequence[str]], header_rows: int = 1) -> None:
        """A table as one line per row, cells joined by `` | ``; the region's label is its header row."""
        lines = [CELL_JOIN.join(tidy(cell) for cell in row) for row in rows]
        lines = [line for line in lines if line.replace("|", "").strip()]
        if not lines:
            return
        start, end = self._append("\n".join(lines))
        header = "\n".join(lines[:header_rows]) if header_rows and len(lines) > header_rows else ""
        self._tables.append(Region(start, end, header))

    def add_tables(self, regions: Sequence[Region]) -> None:
        """Tables found in the finished text (a PDF's rows of numbers, ``formats.line_tables``)."""
        self._tables.extend(regions)
        self._tables.sort(key=lambda r: r.start)

    def page(self, number: int, blocks: Sequence[str | Heading]) -> None:
        """One page's blocks (paragraphs, and the headings found among them); an empty page leaves no
        region. A page whose first line runs on from the last line of the page before (that line ends
        without a sentence's final punctuation, this one starts in lower case) continues its paragraph
        after a line break, so the sentence cut by the page break is read whole."""
        before, parts = self._length, len(self._parts)
        first = True
        for block in blocks:
            if isinstance(block, Heading):
                self.heading(block.level, block.text)
            elif block.strip():
                self.paragraph(block, "\n" if first and self._runs_on(block) else "\n\n")
            else:
                continue
            first = False
        if self._length > before:
            start = before + len(self._parts[parts]) if before else 0  # after the separator
            self._pages.append(Region(start, self._length, str(number)))

    def _runs_on(self, block: str) -> bool:
        last = self._parts[-1].rstrip() if self._parts else ""
        first = block.lstrip()
        return bool(last and first) and last[-1] not in _SENTENCE_END and first[0].islower()

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def structure(self) -> Structure:
        return Structure(
            kind=self.kind,
            pages=tuple(self._pages),
            headings=self._headings.regions(self._length),
            tables=tuple(self._tables),
            notes=tuple(self.notes),
        )
