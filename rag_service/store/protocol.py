"""The seam between the service and wherever its index lives.

Ingest, the pipeline and the API talk to an ``IndexStore`` only; ``FileStore``
(``rag_service.store.files``, plain files with FAISS) is the default; ``PostgresStore``
(``rag_service.store.postgres``) implements the same six methods over PostgreSQL with pgvector.
``tests/contracts/store.py`` holds the tests every implementation must pass.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from rag_service.retrieval.hybrid import Retriever
from rag_service.store.changes import FileChanges
from rag_service.store.model import IndexContent, IndexSettings, LoadedIndex


class IndexStore(Protocol):
    """Versions of one index. The contract:

    * ``current_version()`` names the version readers get now; ``IndexMissingError`` when none was
      ever written.
    * ``load(wanted)`` returns that version complete and verified. It raises ``IndexMissingError`` when
      there is none, and ``IndexMismatchError`` (with a message saying to re-run ingest) when the
      version is of another format, damaged, or, with ``wanted``, built for another embedding model or
      dimension. A loaded index never changes: later writes make new versions.
    * ``write(content, settings, skipped)`` stores a new version and makes it current in one atomic
      step, returning its name. Readers never see a half-written version; if the write fails, the
      previous version stays current and nothing of the failed one is visible. Writing content identical
      to the current version may return the current name. ``files`` (uploads, deletions) are stored in
      the same step by a store that keeps the document files (the database); one that does not (files:
      the documents folder is theirs) refuses any with ``ValueError``.
    * ``writer()`` is held around read-modify-write cycles (an ingest): at most one holder at a time,
      across processes. Whatever an earlier holder left half-done is cleaned up on entry.
    * ``drop_collection()`` deletes every version (the collection is being deleted): afterwards
      ``current_version()`` raises ``IndexMissingError``.
    * ``retriever(index, ef_search)`` searches the chunks of a version this store loaded: FAISS and BM25
      in process for files, SQL for a database. Rows it returns are positions in ``index.content.chunks``.
    """

    def current_version(self) -> str: ...

    def load(self, wanted: IndexSettings | None = None) -> LoadedIndex: ...

    def write(
        self,
        content: IndexContent,
        settings: IndexSettings,
        skipped: tuple[dict[str, str], ...] = (),
        files: FileChanges | None = None,
    ) -> str: ...

    def writer(self) -> AbstractContextManager[None]: ...

    def retriever(self, index: LoadedIndex, ef_search: int | None = None) -> Retriever: ...

    def drop_collection(self) -> None: ...
