"""Building and updating the index from the seeds folder.

Ingest is incremental at two levels. A source whose bytes and sidecar hash the same as in the current
index keeps its chunks, sentences and vectors untouched (it is not even re-read). A changed or new source
is re-chunked, but any chunk or sentence whose text was embedded before reuses that vector, so editing
one paragraph re-embeds about one paragraph. Removed sources simply drop out.

A change of embedding model, dimension or chunking parameters makes the previous index unusable as a
cache, and everything is rebuilt.

One bad file never stops an ingest: a file that cannot be read safely or decoded (see
``rag_service.documents.files``) is skipped with a one-line reason, recorded in the report and in the index
manifest (so ``/api/health`` shows it whoever ran the ingest). An earlier indexed version of that file is
removed, and the reason says so: its text exists in no file any more, and the service never quotes text
that no file holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from rag_service.budget import Budget
from rag_service.config import Settings
from rag_service.documents.chunking import (
    SPLITTER_VERSION,
    link_sentences,
    make_splitter,
    split_document,
)
from rag_service.documents.files import ReadOptions, SkippedFile
from rag_service.embedding.base import Embedder
from rag_service.embedding.passages import content_vectors, vector_cache
from rag_service.errors import DocumentError, IndexMismatchError, IndexMissingError
from rag_service.ingest_sources import Staged, sources_for
from rag_service.models import Chunk, Document, Sentence
from rag_service.store.changes import FileChanges
from rag_service.store.factory import make_store
from rag_service.store.model import IndexContent, IndexSettings, LoadedIndex
from rag_service.store.protocol import IndexStore


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    """Files not indexed as they are now, each with its one-line reason."""
    chunks: int = 0
    sentences: int = 0
    embedded: int = 0
    """Texts sent to the model in this run (chunks and sentences); 0 when nothing changed."""
    seconds: float = 0.0
    version: str | None = None
    rebuilt: bool = False
    """True when the previous index could not be reused (other model, chunking, format, or damage)."""

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        head = "index rebuilt" if self.rebuilt else "index updated" if self.touched else "index up to date"
        return (
            f"{head}: {', '.join(parts)}; {self.chunks} chunks, {self.sentences} sentences; "
            f"embedded {self.embedded} texts in {self.seconds:.1f}s"
        )


def read_options(settings: Settings) -> ReadOptions:
    return ReadOptions(
        max_bytes=int(settings.max_document_mb * 1024 * 1024),
        ocr=settings.ocr,
        max_chars=settings.max_document_chars,
        hardlinks=settings.allow_hardlinks,
    )


def index_settings(settings: Settings, embedder: Embedder) -> IndexSettings:
    """The parameters that make two indexes compatible; stored in the manifest."""
    return IndexSettings(
        embedding_model=embedder.name,
        dimension=embedder.dimension,
        splitter=SPLITTER_VERSION,
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        index_type=settings.index_type,
        hnsw_m=settings.hnsw_m,
    )


def ingest_seeds(
    settings: Settings,
    embedder: Embedder,
    *,
    store: IndexStore | None = None,
    show_progress: bool = False,
    budget: Budget | None = None,
    changes: FileChanges | None = None,
    staged: Staged | None = None,
) -> IngestReport:
    """Bring the index (``store``, by default the files in ``settings.index_dir``) up to date with
    its documents (``ingest_sources``: the folder ``settings.seeds_dir``, or the database's files with
    the folder's new ones imported, and ``changes`` made). With a ``budget`` the work stops (raising)
    once it is spent: between two documents read, or two batches embedded, never while the index is
    written. ``staged`` documents and vectors (an ingest job's) are used instead of reading and
    embedding again."""
    started = time.perf_counter()
    report = IngestReport()
    store = store or make_store(settings)
    with store.writer():
        options = read_options(settings)
        origin = sources_for(settings.seeds_dir, store, changes, import_folder=changes is None)
        sources, report.skipped = origin.scan(options)
        wanted = index_settings(settings, embedder)
        previous = _reusable_previous(store, wanted, report)
        old_docs = previous.documents if previous else {}
        documents: list[Document] = []
        unreadable: list[SkippedFile] = []
        for source in sources:
            old = old_docs.get(source.name)
            if old is not None and old.sha256 == source.sha256:
                documents.append(old)
                report.unchanged.append(source.name)
                continue
            if budget is not None:
                budget.check()
            try:
                document = staged.load(source.name, source.sha256) if staged else None
                documents.append(document or origin.load(source, options))
            except DocumentError as exc:
                unreadable.append(SkippedFile(source.name, str(exc)))
                continue
            (report.changed if old is not None else report.added).append(source.name)
        report.skipped += _say_removed(unreadable, old_docs)
        if origin.keeps_unlisted:  # documents only a delete removes (``ingest_sources``)
            listed = {s.name for s in sources} | origin.changes.deletes
            for name in sorted(set(old_docs) - listed):
                documents.append(old_docs[name])
                report.unchanged.append(name)
        documents.sort(key=lambda d: d.name)
        report.removed = sorted(set(old_docs) - {d.name for d in documents})
        report.skipped.sort(key=lambda s: s.name)
        skipped = tuple(asdict(s) for s in report.skipped)
        if (
            previous is not None
            and not report.touched
            and previous.manifest.skipped == skipped
            and not origin.changes
        ):
            report.chunks = len(previous.content.chunks)
            report.sentences = len(previous.content.sentences)
            report.version = previous.version
        else:
            checkpoint = budget.check if budget is not None else None
            content = build_content(
                documents,
                embedder,
                settings,
                previous,
                report,
                show_progress,
                checkpoint=checkpoint,
                vectors=staged.vectors if staged else None,
            )
            report.version = store.write(content, wanted, skipped, files=origin.changes)
            report.chunks, report.sentences = len(content.chunks), len(content.sentences)
    report.seconds = time.perf_counter() - started
    return report


def _say_removed(unreadable: list[SkippedFile], old_docs: dict[str, Document]) -> list[SkippedFile]:
    """The reasons of files that can no longer be used, saying when an earlier indexed version went."""
    return [
        SkippedFile(s.name, s.reason + " (its earlier version was removed from the index)")
        if s.name in old_docs
        else s
        for s in unreadable
    ]


def build_content(
    documents: list[Document],
    embedder: Embedder,
    settings: Settings,
    previous: LoadedIndex | None = None,
    report: IngestReport | None = None,
    show_progress: bool = False,
    with_sentences: bool = True,
    *,
    checkpoint: Callable[[], None] | None = None,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> IndexContent:
    """Chunk, split into sentences and embed ``documents`` (in the given order), reusing ``previous``'s
    vectors for unchanged documents and for any text it already embedded, and ``vectors`` (by
    ``embedding.passages`` keys: an ingest job's workers embedded them).

    ``with_sentences=False`` skips the sentences and windows, which only the answerer needs: retrieval
    benchmarks use it to embed exactly what retrieval searches."""
    report = report if report is not None else IngestReport()
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    reused: dict[str, tuple[list[Chunk], list[Sentence]]] = {}
    if previous is not None:
        reused = _by_source(previous)
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    from tqdm import tqdm

    files = tqdm(documents, desc="chunking", unit="file", disable=not show_progress, leave=False)
    for document in files:
        if checkpoint is not None:
            checkpoint()
        files.set_postfix_str(document.name, refresh=True)
        old = reused.get(document.name)
        if (
            old is not None
            and previous is not None
            and previous.documents[document.name].sha256 == document.sha256
        ):
            doc_chunks, doc_sentences = old  # link_sentences gives the chunks their new sentence rows
        else:
            doc_chunks, doc_sentences = split_document(document, splitter)
        if not with_sentences:
            doc_sentences = []
        chunks.extend(link_sentences(doc_chunks, doc_sentences, len(sentences)))
        sentences.extend(doc_sentences)
    cache: dict[str, np.ndarray] = {}
    if previous is not None:
        before = previous.content
        cache = vector_cache(before.chunks, before.sentences, before.chunk_vectors, before.sentence_vectors)
    cache.update(vectors or {})
    computed = content_vectors(
        chunks,
        sentences,
        embedder,
        cache,
        with_windows=with_sentences,
        show_progress=show_progress,
        checkpoint=checkpoint,
    )
    report.embedded += computed.embedded
    return IndexContent(
        documents=tuple(documents),
        chunks=tuple(chunks),
        sentences=tuple(sentences),
        chunk_vectors=computed.chunks,
        sentence_vectors=computed.sentences,
        window_vectors=computed.windows,
    )


def _reusable_previous(store: IndexStore, wanted: IndexSettings, report: IngestReport) -> LoadedIndex | None:
    """The current index when it can serve as a cache: built with exactly the wanted settings."""
    try:
        previous = store.load(wanted)
    except IndexMissingError:
        return None
    except IndexMismatchError:
        report.rebuilt = True
        return None
    if previous.manifest.settings.difference(wanted) is not None:
        report.rebuilt = True
        return None
    return previous


def _by_source(index: LoadedIndex) -> dict[str, tuple[list[Chunk], list[Sentence]]]:
    grouped: dict[str, tuple[list[Chunk], list[Sentence]]] = {}
    for chunk in index.content.chunks:
        grouped.setdefault(chunk.source, ([], []))[0].append(chunk)
    for sentence in index.content.sentences:
        grouped.setdefault(sentence.source, ([], []))[1].append(sentence)
    return grouped
