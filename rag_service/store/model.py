"""What an index is in memory, whichever store keeps it: frozen values, no I/O.

``IndexContent`` is what ingest builds and a store saves: documents, chunks, sentences and their vectors
(row ``i`` of ``chunk_vectors`` belongs to ``chunks[i]``). ``LoadedIndex`` is one version as a store
hands it to readers; it never changes after loading, so the maps derived from it are computed once.

``IndexSettings`` are the parameters that make an index usable by a given configuration, and
``IndexSettings.difference`` is the one compatibility check: loading asks it whether the running
embedder can search the index (model and dimension), ingest whether the previous index can be reused as
a cache (everything). ``Manifest`` is the typed record a store keeps beside every version.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_service.documents.windows import chunk_windows
from rag_service.errors import IndexMismatchError
from rag_service.models import Chunk, Document, Sentence

if TYPE_CHECKING:
    import faiss

FORMAT_VERSION = 4
"""2: chunks and sentences carry their document's title and their section's voice. 3: window vectors.
4: sentence vectors pooled from their chunk's pass, windows from their chunks (``embedding.passages``)."""


@dataclass(frozen=True)
class IndexSettings:
    embedding_model: str
    dimension: int
    splitter: str
    chunk_size: int
    chunk_overlap: int
    index_type: str = "flat"
    hnsw_m: int = 32

    SERVING = ("embedding_model", "dimension")
    """What a reader needs to match: its query vectors must live in the index's vector space."""

    def difference(self, wanted: IndexSettings, *, serving_only: bool = False) -> str | None:
        """Why an index built with ``self`` does not fit ``wanted``, or None when it does."""
        names = self.SERVING if serving_only else tuple(f.name for f in fields(self))
        for name in names:
            built, asked = getattr(self, name), getattr(wanted, name)
            if built != asked:
                return f"the index was built with {name} {built!r}, the service uses {asked!r}"
        return None

    def as_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> IndexSettings:
        return cls(**{f.name: record[f.name] for f in fields(cls) if f.name in record})


@dataclass(frozen=True)
class Manifest:
    settings: IndexSettings
    sources: dict[str, str]
    """Document name -> hash of its bytes and sidecar."""
    counts: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)
    """Data file name -> sha256, checked at load."""
    skipped: tuple[dict[str, str], ...] = ()
    """``{name, reason}`` of each file the ingest that built this version could not index."""
    created_at: str = ""
    format_version: int = FORMAT_VERSION

    @classmethod
    def of(
        cls,
        content: IndexContent,
        settings: IndexSettings,
        skipped: tuple[dict[str, str], ...] = (),
        files: dict[str, str] | None = None,
    ) -> Manifest:
        """The manifest of ``content`` as a store writes it now."""
        return cls(
            settings=settings,
            sources={d.name: d.sha256 for d in content.documents},
            counts={
                "documents": len(content.documents),
                "chunks": len(content.chunks),
                "sentences": len(content.sentences),
            },
            files=files or {},
            skipped=tuple(skipped),
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )

    def as_record(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "created_at": self.created_at,
            "settings": self.settings.as_record(),
            "sources": self.sources,
            "counts": self.counts,
            "files": self.files,
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_record(cls, record: Any, where: str) -> Manifest:
        """Parse a stored manifest; an old format or a damaged record says to re-run ingest."""
        found = record.get("format_version") if isinstance(record, dict) else None
        if found != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index in {where} has format version {found}, this rag-service reads version "
                f"{FORMAT_VERSION}: re-run `rag-service ingest` to rebuild it"
            )
        try:
            return cls(
                settings=IndexSettings.from_record(record["settings"]),
                sources=dict(record["sources"]),
                counts={k: int(v) for k, v in record["counts"].items()},
                files=dict(record.get("files", {})),
                skipped=tuple(dict(s) for s in record.get("skipped", [])),
                created_at=str(record.get("created_at", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexMismatchError(
                f"index manifest in {where} is damaged ({type(exc).__name__}): re-run `rag-service ingest`"
            ) from exc


@dataclass(frozen=True)
class IndexContent:
    """Everything an index holds, in memory. Row ``i`` of ``chunk_vectors`` belongs to ``chunks[i]``."""

    documents: tuple[Document, ...]
    chunks: Sequence[Chunk]
    sentences: Sequence[Sentence]
    """Tuples, except in a replica that reads them as answers need them (``store.postgres.rows``)."""
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    window_vectors: np.ndarray
    """Row ``w`` belongs to window ``w`` of ``rag_service.documents.windows.window_groups(chunks)``."""


@dataclass(frozen=True)
class LoadedIndex:
    """One complete version of an index, as a store hands it to readers."""

    content: IndexContent
    faiss_index: faiss.Index | None
    """The file store's search index; None where the store searches elsewhere (PostgreSQL)."""
    manifest: Manifest
    version: str
    sentence_df: Mapping[str, int] | None = None
    """How many sentences hold each word (``answer.terms.sentence_frequencies``), when the store counted
    them at ingest; None: the answerer counts them when it starts."""
    sentence_layout: Any = None
    """The answerer's per-sentence facts (``answer.layout.SentenceLayout``) when the store kept them with
    the version; None: the answerer computes them when it starts."""

    # Derived once per loaded index (an index never changes after loading); the request path reads these.
    @cached_property
    def documents(self) -> dict[str, Document]:
        return {d.name: d for d in self.content.documents}

    @cached_property
    def chunk_windows(self) -> np.ndarray:
        """The window row of every chunk row."""
        if self.sentence_layout is not None:
            return np.asarray(self.sentence_layout.chunk_windows)
        return chunk_windows(self.content.chunks)

    @cached_property
    def chunk_rows(self) -> dict[str, int]:
        """Chunk id -> its row in ``content.chunks`` and ``chunk_vectors`` (a walk over every chunk:
        ``chunk_row`` asks records read on demand instead)."""
        return {c.id: row for row, c in enumerate(self.content.chunks)}

    def chunk_row(self, chunk_id: str) -> int:
        """The row of chunk ``chunk_id`` in ``content.chunks`` and ``chunk_vectors``."""
        row_of = getattr(self.content.chunks, "row_of", None)
        return int(row_of(chunk_id)) if row_of is not None else self.chunk_rows[chunk_id]

    @cached_property
    def chunks_per_source(self) -> dict[str, int]:
        if self.sentence_layout is not None:
            counted = self.sentence_layout.document_chunks
            return {d.name: int(n) for d, n in zip(self.content.documents, counted, strict=True) if n}
        counts: dict[str, int] = {}
        for chunk in self.content.chunks:
            counts[chunk.source] = counts.get(chunk.source, 0) + 1
        return counts
