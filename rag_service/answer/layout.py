"""Per-sentence facts the answerer reads, computed over a whole version once (``SentenceLayout``).

What kind of line each sentence is (``answer.lines``), its neighbours (``answer.neighbours``), its
innermost heading (``answer.sections``), its word count, voice, document, first chunk and whether it
opens a table depend only on the version, not on the question; so do each chunk's window and each
document's chunk count. Computing them walks every sentence and chunk in Python: 10 s at half a million
sentences, the bulk of an answering process's start-up (issue #34), and impossible for a replica that
reads records only as answers need them. So the PostgreSQL store computes the layout when it writes a
version and keeps it beside it (``to_bytes``, about 2 bytes a sentence compressed); a replica reads it
back (``from_bytes``) instead of walking the records. Without a stored layout (the files store, a
version written before) it is computed when the answerer starts, with the same code, so both give
identical answers. In memory it takes about 11 bytes a sentence: links between rows are kept as small
offsets and a sentence's document and first chunk as runs (``answer.row_links``; 26 bytes as plain
int32 arrays, which made it the largest part of a million-chunk replica after the models).

A stored layout names the code that computed it (``answer.layout_code``: a hash of the three modules it
calls and of this module's rules): a replica running other line rules than the writer's ignores the stored
layout and computes its own, so changing a rule never needs a remembered version bump, while changing
only how a layout is kept or stored keeps every stored layout.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import orjson

from rag_service.answer.layout_code import SAME_VALUES, layout_code
from rag_service.answer.lines import LineKinds, line_kinds
from rag_service.answer.neighbours import neighbour_rows
from rag_service.answer.row_links import RowLinks, RowRuns, codes_for
from rag_service.answer.sections import innermost_headings
from rag_service.store.model import IndexContent, IndexSettings, LoadedIndex, Manifest

_FLAGS = ("title", "short", "caption", "headline", "question")
"""``LineKinds`` fields, bit ``i`` of ``flags`` each; then ``OTHER_VOICE`` and ``TABLE_HEADER``."""
OTHER_VOICE = 1 << len(_FLAGS)
TABLE_HEADER = OTHER_VOICE << 1
MAX_WORDS = np.iinfo(np.uint16).max
HEADING_OFFSET = np.int16
"""A heading is often tens of rows above its sentences, so its offset takes two bytes (``RowLinks``)."""
T = TypeVar("T")


class RowValues(Sequence[T], Generic[T]):
    """One of a few values per row, stored as a code per row (the headings of half a million
    sentences are a few thousand strings, not half a million references)."""

    def __init__(self, codes: np.ndarray, values: Sequence[T]) -> None:
        self._codes = codes
        self.values = tuple(values)

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, row: Any) -> Any:
        if isinstance(row, slice):
            return [self.values[c] for c in self._codes[row]]
        return self.values[int(self._codes[row])]

    def mapped(self, make: Any) -> RowValues[Any]:
        """The same rows, each value replaced by ``make(value)`` (computed once per distinct value)."""
        return RowValues(self._codes, [make(v) for v in self.values])


@dataclass(frozen=True)
class SentenceLayout:
    """Per sentence row of one version (see the module docstring)."""

    flags: np.ndarray
    """uint8 bits: the ``LineKinds`` fields, ``OTHER_VOICE``, ``TABLE_HEADER``."""
    neighbours: RowLinks
    """(rows, 2): ``neighbour_rows`` with title, short and caption lines as metadata."""
    heading_rows: RowLinks
    """``innermost_headings``' rows."""
    label_codes: np.ndarray
    """Index of the row's innermost heading label in ``labels``, in the smallest type that holds it."""
    labels: tuple[str, ...]
    words: np.ndarray
    """uint16: words in the sentence (``str.split``), at most ``MAX_WORDS``."""
    document: RowRuns
    """The position of the sentence's document in ``IndexContent.documents``."""
    chunk: RowRuns
    """The first chunk holding the sentence (-1: none), where a follow-up finds its passage."""
    chunk_windows: np.ndarray
    """int32 per chunk row: its window row (``LoadedIndex.chunk_windows``)."""
    document_chunks: np.ndarray
    """int32 per document: how many chunks it has (``LoadedIndex.chunks_per_source``)."""
    spoken: tuple[tuple[str, str], ...] = ()
    """The distinct (section, voice) of the sentences in another voice than the author's: the words a
    question about them uses (``answer.voices``)."""

    @classmethod
    def of(cls, index: LoadedIndex) -> SentenceLayout:
        """Walk every sentence of ``index`` (what a process did at start-up before layouts were stored)."""
        content = index.content
        kinds = line_kinds(index)
        flags = np.zeros(len(content.sentences), dtype=np.uint8)
        for bit, name in enumerate(_FLAGS):
            flags |= getattr(kinds, name).astype(np.uint8) << bit
        tables = {(name, t.start) for name, d in index.documents.items() for t in d.structure.tables}
        document_of = {d.name: n for n, d in enumerate(content.documents)}
        document = np.zeros(len(content.sentences), dtype=np.int32)
        words = np.zeros(len(content.sentences), dtype=np.uint16)
        spoken: dict[tuple[str, str], None] = {}
        for row, s in enumerate(content.sentences):
            if s.voice != "author":
                flags[row] |= OTHER_VOICE
                spoken[(s.section, s.voice)] = None
            if (s.source, s.start) in tables:
                flags[row] |= TABLE_HEADER
            document[row] = document_of.get(s.source, -1)
            words[row] = min(len(s.text.split()), MAX_WORDS)
        heading_rows, labels = innermost_headings(index)
        distinct = {label: code for code, label in enumerate(dict.fromkeys(["", *labels]))}
        chunk = np.full(len(content.sentences), -1, dtype=np.int32)
        document_chunks = np.zeros(len(content.documents), dtype=np.int32)
        for chunk_row, c in reversed(list(enumerate(content.chunks))):  # the first chunk wins
            chunk[list(c.sentence_ids)] = chunk_row
            if c.source in document_of:
                document_chunks[document_of[c.source]] += 1
        return cls(
            flags,
            RowLinks(neighbour_rows(index, kinds.title | kinds.short | kinds.caption)),
            RowLinks(heading_rows, HEADING_OFFSET),
            np.fromiter((distinct[label] for label in labels), codes_for(len(distinct)), count=len(labels)),
            tuple(distinct),
            words,
            RowRuns(document),
            RowRuns(chunk),
            index.chunk_windows.astype(np.int32),
            document_chunks,
            tuple(spoken),
        )

    @classmethod
    def of_content(cls, content: IndexContent, settings: IndexSettings) -> SentenceLayout:
        """The layout of ``content`` as a store is about to write it."""
        return cls.of(LoadedIndex(content, None, Manifest.of(content, settings), "writing"))

    @property
    def lines(self) -> LineKinds:
        return LineKinds(*(self.flags & (1 << bit) != 0 for bit in range(len(_FLAGS))))

    @property
    def other_voice(self) -> np.ndarray:
        return self.flags & OTHER_VOICE != 0

    @property
    def table_header(self) -> np.ndarray:
        return self.flags & TABLE_HEADER != 0

    @property
    def heading_labels(self) -> RowValues[str]:
        return RowValues(self.label_codes, self.labels)

    def to_bytes(self) -> bytes:
        """The layout as stored with a version: a compressed ``.npz``, labels and code in its header."""
        header = orjson.dumps({"code": layout_code(), "labels": list(self.labels), "spoken": self.spoken})
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            header=np.frombuffer(header, dtype=np.uint8),
            flags=self.flags,
            neighbours=np.asarray(self.neighbours),
            heading_rows=np.asarray(self.heading_rows),
            label_codes=self.label_codes,
            words=self.words,
            document=np.asarray(self.document),
            chunk=np.asarray(self.chunk),
            chunk_windows=self.chunk_windows,
            document_chunks=self.document_chunks,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, counts: Mapping[str, int]) -> SentenceLayout | None:
        """The stored layout, or None when another code made it or it is not of a version with these
        ``counts`` of documents, chunks and sentences (the answerer then computes its own)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            header = orjson.loads(stored["header"].tobytes())
            if header.get("code") not in (layout_code(), SAME_VALUES.get(layout_code())):
                return None
            arrays = {name: stored[name] for name in stored.files if name != "header"}
        labels = tuple(str(label) for label in header["labels"])
        spoken = tuple((str(section), str(voice)) for section, voice in header["spoken"])
        per = {"chunk_windows": "chunks", "document_chunks": "documents"}
        if any(len(a) != counts.get(per.get(name, "sentences")) for name, a in arrays.items()):
            return None
        arrays["label_codes"] = arrays["label_codes"].astype(codes_for(len(labels)))
        layout = cls(
            labels=labels,
            spoken=spoken,
            neighbours=RowLinks(arrays.pop("neighbours")),
            heading_rows=RowLinks(arrays.pop("heading_rows"), HEADING_OFFSET),
            document=RowRuns(arrays.pop("document")),
            chunk=RowRuns(arrays.pop("chunk")),
            **arrays,
        )
        return layout if layout.neighbours.shape == (counts.get("sentences"), 2) else None

    def counts(self) -> dict[str, int]:
        """The documents, chunks and sentences of the version it was computed over."""
        return {
            "documents": len(self.document_chunks),
            "chunks": len(self.chunk_windows),
            "sentences": len(self.flags),
        }


def rows_by_document(
    chosen: np.ndarray, document: np.ndarray | RowRuns, documents: Sequence[Any]
) -> dict[str, np.ndarray]:
    """Name -> the ``chosen`` rows of each document in row order (documents with none left out), by
    array operations rather than a walk over every sentence, and kept as arrays (lists of five million
    Python ints took 180 MB at a million chunks)."""
    rows = np.flatnonzero(chosen).astype(np.int32)
    owners = document[rows]
    steps = np.diff(owners)
    if (steps < 0).any():  # an ingest writes documents one after another, so this is rare: sort then
        order = np.argsort(owners, kind="stable")
        rows, owners = rows[order], owners[order]
        steps = np.diff(owners)
    cuts = np.flatnonzero(steps) + 1
    del steps
    groups = {
        int(owners[start]): part
        for start, part in zip([0, *cuts], np.split(rows, cuts), strict=True)
        if len(part)
    }
    first = sorted(groups, key=lambda owner: groups[owner][0])  # in order of first row, as a walk meets them
    return {documents[owner].name: groups[owner] for owner in first}


def with_layout(index: LoadedIndex) -> LoadedIndex:
    """``index`` with its layout: the stored one, else computed now (a walk over every sentence)."""
    if index.sentence_layout is not None:
        return index
    return dataclasses.replace(index, sentence_layout=SentenceLayout.of(index))
