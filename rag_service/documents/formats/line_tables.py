"""Tables in text that has lost its cells: runs of lines that line up as rows of numbers.

A PDF's text layer keeps a table as one line per row with its cells separated by spaces ("1931 40,100
1,510") and no mark of where the table is. A run of at least ``MIN_ROWS`` consecutive lines with the
same number of space-separated fields, most of them numbers, is taken as a table; the line just above
it, when it is text of at least as many words and not itself a row, is its header row. A table cut by a
page break continues on the next page: a run that starts a page right after a table that ended the
previous page gets that table's header. Tables of words (no numbers) are not recognised: without cell
boundaries they cannot be told from prose.
"""

from __future__ import annotations

import re

from rag_service.models import Region

MIN_ROWS = 3
_NUMBER = re.compile(r"^[-+(]?[$€£]?\d[\d,.:/]*%?\)?$")


def _row_width(line: str) -> int:
    """Fields of ``line`` when it looks like a row of a numeric table (over half of its fields and at
    least two are numbers), else 0."""
    fields = line.split()
    numbers = sum(bool(_NUMBER.match(f)) for f in fields)
    return len(fields) if len(fields) >= 2 and numbers >= 2 and numbers * 2 > len(fields) else 0


def line_tables(text: str) -> list[Region]:
    """The numeric tables of ``text``, each labelled with its header row ("" when none is found)."""
    lines: list[tuple[int, int, str]] = []  # (start, end, line)
    position = 0
    for line in text.split("\n"):
        lines.append((position, position + len(line), line))
        position += len(line) + 1
    tables: list[Region] = []
    i = 0
    while i < len(lines):
        width = _row_width(lines[i][2])
        j = i
        while width and j + 1 < len(lines) and _row_width(lines[j + 1][2]) == width:
            j += 1
        if width and j - i + 1 >= MIN_ROWS:
            start, header = lines[i][0], ""
            above = lines[i - 1][2] if i > 0 else ""
            if above.strip() and not _row_width(above) and len(above.split()) >= width:
                start, header = lines[i - 1][0], above.strip()
            elif tables and not above.strip() and _continues(text, tables[-1], lines[i][0]):
                header = tables[-1].label
            tables.append(Region(start, lines[j][1], header))
            i = j + 1
            continue
        i += 1
    return tables


def _continues(text: str, previous: Region, start: int) -> bool:
    """Whether only a blank line (a page break, in extracted PDF text) separates ``start`` from the end
    of the ``previous`` table."""
    return not text[previous.end : start].strip()
