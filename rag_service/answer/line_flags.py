"""What the answerer keeps of the stored layout's flag bits, without arrays the size of the collection.

``SentenceLayout.lines`` unpacks the bits into a boolean array per kind: five arrays the length of the
collection (26 MB at a million chunks, five million sentences) that a replica kept for as long as it
served, to look up the few dozen candidate rows of each question. ``LineFlags`` answers the same
lookups from the one ``flags`` array the layout already holds, and ``DocumentEnds`` keeps of the rows
that may answer only each document's first and last few.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag_service.answer.layout import _FLAGS, OTHER_VOICE
from rag_service.answer.row_links import RowRuns
from rag_service.models import Document


class FlagColumn:
    """One line kind (``LineKinds`` field) of every row: ``column[row]`` is a bool."""

    def __init__(self, flags: np.ndarray, bit: int) -> None:
        self._flags = flags
        self._mask = 1 << bit

    def __getitem__(self, row: int) -> bool:
        return bool(self._flags[row] & self._mask)

    def __len__(self) -> int:
        return len(self._flags)


class LineFlags:
    """``LineKinds`` as row lookups over the layout's ``flags`` (uint8 bits, ``layout._FLAGS`` order)."""

    def __init__(self, flags: np.ndarray) -> None:
        columns = {name: FlagColumn(flags, bit) for bit, name in enumerate(_FLAGS)}
        self.title = columns["title"]
        self.short = columns["short"]
        self.caption = columns["caption"]
        self.headline = columns["headline"]
        self.question = columns["question"]


class DocumentEnds:
    """The first and last ``count`` rows of each document that may answer on their own (not another
    voice's, a title, a short line or a caption): what a question about how a document begins or ends
    is answered from (``answer.position``). Kept as one small array, not every such row of every
    document (an array per document took about 40 MB at a million chunks)."""

    def __init__(
        self, flags: np.ndarray, document: np.ndarray | RowRuns, documents: Sequence[Document], count: int
    ):
        self._documents = documents
        excluded = OTHER_VOICE | sum(1 << _FLAGS.index(kind) for kind in ("title", "short", "caption"))
        rows = np.flatnonzero((flags & excluded) == 0).astype(np.int32)
        owners = document[rows]
        order = np.argsort(owners, kind="stable")  # rows stay in text order within each document
        rows, owners = rows[order], owners[order]
        starts = np.searchsorted(owners, np.arange(len(documents)))
        stops = np.searchsorted(owners, np.arange(len(documents)), side="right")
        width = max(count, 1)
        self._first = np.full((len(documents), width), -1, np.int32)
        self._last = np.full((len(documents), width), -1, np.int32)
        for offset in range(width):  # column by column: no loop over documents
            take = starts + offset < stops
            self._first[take, offset] = rows[starts[take] + offset]
            take = stops - 1 - offset >= starts
            self._last[take, width - 1 - offset] = rows[stops[take] - 1 - offset]
        self._position: dict[str, int] | None = None

    def _at(self, name: str) -> int | None:
        if self._position is None:  # built on the first such question, not at start-up
            self._position = {d.name: n for n, d in enumerate(self._documents)}
        return self._position.get(name)

    def __contains__(self, name: object) -> bool:
        at = self._at(name) if isinstance(name, str) else None
        return at is not None and bool(self._first[at, 0] >= 0)

    def first(self, name: str) -> list[int]:
        """The document's first ``count`` such rows (fewer if it has fewer)."""
        return self._rows(self._first, name)

    def last(self, name: str) -> list[int]:
        """Its last ``count`` such rows, in text order."""
        return self._rows(self._last, name)

    def _rows(self, ends: np.ndarray, name: str) -> list[int]:
        at = self._at(name)
        return [] if at is None else [int(r) for r in ends[at] if r >= 0]
