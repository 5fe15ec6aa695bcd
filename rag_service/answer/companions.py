"""What a quoted sentence brings with it so that it reads on its own.

A sentence ending in ":" introduces what follows: "Space tourism can lead to:" means nothing without its
list, "run the following update script:" nothing without ``$ rustup update``. A table row means nothing
without its header: "| zlib 1.2.11 -1 | 2.743 | 95 MB/s |" is a ratio and a speed only under "| Compressor
name | Ratio | Compression |". The answerer chooses sentences; this module adds their companions, only from
the retrieved passages, so that every quote is still cited from a passage the answer shows.
"""

from __future__ import annotations

import re

import numpy as np

from rag_service.answer.code_blocks import INDENTED, INTRODUCES_LIST
from rag_service.answer.line_flags import FlagColumn
from rag_service.store.model import LoadedIndex

LIST_ITEMS = 8
"""Most list items a list-introducing sentence brings with it."""
ITEM_WORDS = 20
"""A line of its own after a list's introduction, without a sentence's end and at most this long, is
one of its items (a command, a setting, a name)."""
_LIST_ITEM = re.compile(r"^\s*(?:[-•*–]|\d{1,2}[.)]|[a-z][.)])\s")
_NOT_ITEM_END = re.compile(r"""(?:[.!?]["'”’)\]]*|:)$""")


class Companions:
    def __init__(
        self, index: LoadedIndex, headline: np.ndarray | FlagColumn, header_rows: np.ndarray
    ) -> None:
        """``header_rows``: the sentences opening a table (``SentenceLayout.table_header``)."""
        self._index = index
        self._sentences = index.content.sentences
        self._headline = headline
        """Title Case headline lines (``answer.lines``): a heading, never a list item."""
        self._header_rows = {  # a table's header row, by (document, table start)
            (self._sentences[row].source, self._sentences[row].start): int(row) for row in header_rows
        }

    def with_list(self, row: int, retrieved: frozenset[int]) -> tuple[int, ...]:
        """The row, and when it introduces a list (ends with ":" or "e.g."), the items that follow it in the
        retrieved passages. An item is a list item, or a line of its own that is not a sentence: the
        command after "run the following update script:", the settings after "here are the default
        values:"."""
        sentences = self._sentences
        if not INTRODUCES_LIST.search(sentences[row].text):
            return (row,)
        part = [row]
        for following in range(row + 1, min(row + 1 + LIST_ITEMS, len(sentences))):
            s, first = sentences[following], sentences[row]
            if following not in retrieved or s.section != first.section or not self._item(following):
                break
            part.append(following)
        return tuple(part)

    def with_headers(
        self, chosen: list[tuple[int, float]], retrieved: frozenset[int]
    ) -> list[tuple[int, float]]:
        """``chosen``, with a table's header row quoted before the first of its rows, when a retrieved
        passage holds the header."""
        documents = self._index.documents
        quoted = {row for row, _ in chosen}
        out: list[tuple[int, float]] = []
        for row, score in chosen:
            s = self._sentences[row]
            table = documents[s.source].structure.table_at(s.start)
            header = self._header_rows.get((s.source, table.start)) if table and table.label else None
            if header is not None and header != row and header not in quoted and header in retrieved:
                out.append((header, score))
                quoted.add(header)
            out.append((row, score))
        return out

    def _item(self, row: int) -> bool:
        s = self._sentences[row]
        if _LIST_ITEM.match(s.text):
            return True
        document = self._index.documents[s.source]
        text = document.text
        before = text[text.rfind("\n", 0, s.start) + 1 : s.start]
        own_line = not before.strip()
        if own_line and before.startswith(INDENTED) and document.structure.kind in ("markdown", "rst"):
            return False  # a line of an indented code block: too long to quote if code_blocks left it
        heading = self._headline[row] or s.text.startswith("#") or document.structure.opens_heading(s.start)
        return (
            own_line
            and not heading
            and not _NOT_ITEM_END.search(s.text)  # a sentence, or the next list's introduction
            and len(s.text.split()) <= ITEM_WORDS
        )
