"""Documents whose text stays in PostgreSQL until it is read (``StoredDocument``, ``DocumentTexts``).

A replica needs every document's name, metadata, sections and structure map (to list the collection,
to tell which document a question names, to find a sentence's heading, page or table), but a
document's text only when it is shown (``GET /api/sources/...``, a page view) or when an answer reads
the lines around a quoted sentence. Texts are most of a collection's bytes (a million chunks is about a
gigabyte of text), so a replica reading records on demand holds ``StoredDocument`` values: a
``Document`` in every respect, whose ``text`` is fetched when first asked and kept in a bounded cache
of recently read texts (``DocumentTexts``), not in the value.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import psycopg
from psycopg import sql

from rag_service.errors import StoreUnavailableError
from rag_service.models import Document
from rag_service.store.postgres.rows import Reader
from rag_service.store.postgres.schema import rows_of
from rag_service.store.records import document_from

TEXT_CACHE_CHARS = 32_000_000
"""Characters of document text a replica keeps (about 32 MB of ASCII; at least the last text read)."""


class DocumentTexts:
    """The texts of one version's documents by row, read one query each, the recent ones kept."""

    def __init__(self, read: Reader, table: str, cache_chars: int = TEXT_CACHE_CHARS) -> None:
        self._read = read
        self.table = table
        self._query = sql.SQL("SELECT record->>'text' {} AND n = %s").format(rows_of(table))
        self._cache: OrderedDict[int, str] = OrderedDict()
        self._chars = 0
        self._limit = cache_chars
        self._lock = threading.Lock()
        self.fetches = 0
        """Queries sent so far (the tests read it)."""

    def text(self, row: int) -> str:
        with self._lock:
            cached = self._cache.get(row)
            if cached is not None:
                self._cache.move_to_end(row)
                return cached
        self.fetches += 1
        try:
            found = self._read(lambda conn: conn.execute(self._query, (row,)).fetchone())
        except psycopg.errors.UndefinedTable:  # as for every on-demand read (``rows.RowCache``)
            raise StoreUnavailableError(
                "the index version being read was just retired by a newer ingest: retry"
            ) from None
        if found is None or found[0] is None:
            raise LookupError(f"document {row} lacks its text")
        text = str(found[0])
        with self._lock:
            self._cache[row] = text
            self._chars += len(text)
            while self._chars > self._limit and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._chars -= len(dropped)
        return text


class StoredDocument(Document):
    """A ``Document`` whose ``text`` is read from the database when asked (see the module docstring).

    Built without its text: the dataclass field is never set on the value, so reading it falls through
    to ``__getattr__``, which asks ``DocumentTexts``. ``characters`` is known without the text."""

    def __init__(self, record: dict[str, Any], characters: int, row: int, texts: DocumentTexts) -> None:
        head = document_from({**record, "text": ""})
        for name in ("name", "meta", "sections", "sha256", "structure"):
            object.__setattr__(self, name, getattr(head, name))
        object.__setattr__(self, "_characters", characters)
        object.__setattr__(self, "_row", row)
        object.__setattr__(self, "_texts", texts)

    def __getattr__(self, name: str) -> Any:
        if name == "text":
            texts: DocumentTexts = object.__getattribute__(self, "_texts")
            return texts.text(object.__getattribute__(self, "_row"))
        raise AttributeError(name)

    @property
    def characters(self) -> int:
        return int(object.__getattribute__(self, "_characters"))
