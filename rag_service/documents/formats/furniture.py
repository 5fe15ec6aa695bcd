"""Page furniture in a PDF: the running heads and feet and the page numbers printed on every page.

A PDF's text layer holds everything printed, so a manual's pages each start with "Chapter 4: Function
reference 12" and a specification's with its own title, and end with the page number. Left in, these
lines are quoted as answers ("Shared MIME-info Database") and glued to the sentence that runs on from the
page before ("Chapter 4: Function reference 9 asn1 array2tree int …"). HTML pages lose their header
and footer for the same reason (``formats.html``); here they are recognised by repetition, since a PDF
does not mark them:

- a page number: a line that is only a number (``12``, ``- 12 -``, ``Page 12 of 30``) whose distance
  from the page's position in the file is the one most pages share (front matter often numbers from a
  later page), or a lower-case roman numeral as a page's first or last line;
- a running head carrying the page number: that number, plus text that heads or foots at least two pages
  ("Chapter 2: ASN.1 structure handling 3");
- a running head without one: a short line heading or footing many pages (a third of them, three at
  least). The first line of the first page is exempt: a document printing its title on every page
  starts with that title;
- what a browser adds to a page it prints, even on a single page: the date and time before the page's
  title at the top ("11/25/26, 3:28 AM Relay station guide"), the page's address and the page count at
  the foot.

Only lines at a page's top or bottom are looked at (``EDGE_LINES`` each side), and they are peeled from
the edge inward, so a line in the body of a page is never removed however often it repeats.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

EDGE_LINES = 2
"""Lines looked at from each edge of a page: a head and a page number can stand one above the other."""
MAX_WORDS = 12
"""A running head is short; a longer repeated line is content (a repeated table caption, a warning)."""
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:page\s+|p\.\s*)?(\d{1,4})(?:\s*(?:of|/)\s*\d{1,4})?[-–—\s]*$", re.I)
_LEADING = re.compile(r"^(\d{1,4})(?!\d|[.,:]\d)\s*(\S.*)$")
_TRAILING = re.compile(r"^(.*\S)\s+(\d{1,4})$")
_ROMAN = re.compile(r"^[ivxlc]{1,7}$")
_PRINT_STAMP = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d{2}(?: ?[AP]M)?(?: |$)", re.I)
"""Chromium's print head: "11/25/26, 3:28 AM Debian Python Policy"."""
_PRINT_ADDRESS = re.compile(r"^(?:https?|file)://\S+ \d{1,4} ?(?:/|of) ?\d{1,4}$", re.I)
"""A browser's print foot: the page's address and "3/16" (Chromium) or "3 of 16" (Firefox)."""
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_]{2}")


@dataclass(frozen=True)
class _Edge:
    page: int
    index: int
    """The line's index in its page's lines."""
    outermost: bool
    """The page's first or last line with text."""
    signature: str
    """The line lower-cased, digits dropped, spaces collapsed: equal on every page of a running head."""
    number: int | None
    """The number a page number or a numbered head shows."""
    rest: str
    """The signature of the text beside that number ("" for a bare page number)."""
    words: int
    roman: bool
    """The line is a lower-case roman numeral (front matter's page numbers)."""
    printed: bool
    """The line is what a browser adds to a page it prints: the date and time before the page's title,
    or the page's address with the page count."""


def strip_furniture(pages: list[str]) -> list[str]:
    """Each page's text without the running heads, running feet and page numbers at its top and bottom
    (page ``i`` of the list is page ``i + 1`` of the document). On a single page nothing repeats: only a
    browser's print head and foot are known there."""
    lines = [page.split("\n") for page in pages]
    edges = [_edges(number, page_lines) for number, page_lines in enumerate(lines, start=1)]
    offset = _page_offset(edges, len(pages))
    heads = _pages_per(edges, lambda e: e.rest if e.number is not None else None)
    running = _pages_per(edges, lambda e: e.signature)
    often = max(3, math.ceil(len(pages) / 3))

    def furniture(edge: _Edge) -> bool:
        numbered = offset is not None and edge.number is not None and edge.number - edge.page == offset
        if numbered and (edge.rest == "" or (heads[edge.rest] >= 2 and edge.words <= MAX_WORDS)):
            return True
        if edge.printed or (edge.outermost and edge.roman and len(pages) > 1):
            return True
        title = edge.page == 1 and edge.index == _first_text_line(lines[0])
        return (
            bool(edge.signature)
            and running[edge.signature] >= often
            and edge.words <= MAX_WORDS
            and not title
        )

    out = []
    for page_lines, page_edges in zip(lines, edges, strict=True):
        dropped = _peel(page_lines, {e.index: furniture(e) for e in page_edges})
        out.append("\n".join(line for i, line in enumerate(page_lines) if i not in dropped))
    return out


def _edges(page: int, lines: list[str]) -> list[_Edge]:
    with_text = [i for i, line in enumerate(lines) if line.strip()]
    chosen = sorted(set(with_text[:EDGE_LINES] + with_text[-EDGE_LINES:]))
    outer = {with_text[0], with_text[-1]} if with_text else set()
    return [_edge(page, i, lines[i], i in outer) for i in chosen]


def _edge(page: int, index: int, line: str, outermost: bool) -> _Edge:
    text = " ".join(line.split())
    number: int | None = None
    rest = ""
    if bare := _PAGE_NUMBER.match(text):
        number = int(bare.group(1))
    elif (lead := _LEADING.match(text)) or (lead := _TRAILING.match(text)):
        first, second = lead.groups()
        found, beside = (int(first), second) if first.isdigit() else (int(second), first)
        rest = _signature(beside)
        number = found if rest else None  # numbers beside numbers are a table row, not a page number
    words = len(text.split())
    printed = bool(_PRINT_STAMP.match(text) or _PRINT_ADDRESS.match(text))
    return _Edge(
        page, index, outermost, _signature(text), number, rest, words, bool(_ROMAN.match(text)), printed
    )


def _signature(text: str) -> str:
    """The words of ``text``, lower-cased, without digits; "" when no word is left (a table row of numbers
    at a page's top is no running head, however many pages start with one)."""
    signature = " ".join(_DIGITS.sub(" ", text.lower()).split())
    return signature if _WORD.search(signature) else ""


def _page_offset(edges: list[list[_Edge]], pages: int) -> int | None:
    """The difference between printed page numbers and positions in the file that most pages show (two
    pages at least, and a quarter of them), or None when no page numbering is seen."""
    counts: Counter[int] = Counter()
    for page in edges:
        counts.update({e.number - e.page for e in page if e.number is not None})
    if not counts:
        return None
    offset, seen = counts.most_common(1)[0]
    return offset if seen >= max(2, math.ceil(pages / 4)) else None


def _pages_per(edges: list[list[_Edge]], key) -> Counter[str]:
    """On how many pages each key (of a page's edge lines) occurs."""
    counts: Counter[str] = Counter()
    for page in edges:
        counts.update({k for e in page if (k := key(e))})
    return counts


def _first_text_line(lines: list[str]) -> int:
    return next((i for i, line in enumerate(lines) if line.strip()), -1)


def _peel(lines: list[str], furniture: dict[int, bool]) -> set[int]:
    """The furniture lines reachable from the page's top or bottom through furniture lines only."""
    with_text = [i for i, line in enumerate(lines) if line.strip()]
    dropped: set[int] = set()
    for order in (with_text, with_text[::-1]):
        for i in order[:EDGE_LINES]:
            if not furniture.get(i, False):
                break
            dropped.add(i)
    return dropped
