"""Rows of a version's partition read as they are needed, with a bounded cache (``RowCache``).

A replica that held every row of a million-chunk collection would hold gigabytes it never reads: an
answer reads a few hundred sentences (the retrieved passages', their neighbours', their headings').
``RowCache`` fetches the rows it lacks in one query (``WHERE n = ANY(...)``, optionally with ``around``
rows either side, which are read next) and keeps the most recently used ones, up to ``cache_rows``.
``vectors.RowVectors`` (the ``embedding`` column, indexed like a numpy matrix) and ``RowRecords`` (the
``record`` column, indexed like the tuple of ``Chunk`` or ``Sentence`` it stands for) are its two uses.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

import orjson
import psycopg
from psycopg import sql

from rag_service.errors import StoreUnavailableError
from rag_service.models import Chunk, Sentence
from rag_service.store.postgres.schema import rows_of
from rag_service.store.records import chunk_from, sentence_from

Reader = Callable[[Callable[[psycopg.Connection[Any]], Any]], Any]
"""``Database.read``: runs a function on a read connection, translating outages into 503s."""
T = TypeVar("T")
BATCH = 20_000
"""Rows per query when every row is read in order (``RowRecords.__iter__``)."""


class RowCache(Generic[T]):
    """Rows ``0 .. rows-1`` of one column of ``table``, fetched on demand (see the module)."""

    def __init__(
        self,
        read: Reader,
        table: str,
        rows: int,
        cache_rows: int,
        query: sql.Composed,
        convert: Callable[[Any], T],
        around: int = 0,
        binary: bool = False,
    ) -> None:
        """``query`` selects ``(n, value)`` for ``n = ANY(%s)``; ``convert`` turns a value into a row;
        ``binary`` asks for the results in PostgreSQL's binary format."""
        self._read = read
        self._table = table
        self._rows = rows
        self._query = query
        self._convert = convert
        self._around = around
        self._binary = binary
        self._cache: OrderedDict[int, T] = OrderedDict()
        self._cache_rows = max(cache_rows, 1)
        self._lock = threading.Lock()
        self.fetches = 0
        """Queries sent so far (a benchmark and the tests read it)."""

    def _evicted(self, row: int, value: T) -> None:
        """Called for each row dropped from the cache (``RowRecords`` forgets its chunk id)."""

    def prefetch(self, rows: Iterable[int]) -> None:
        """Fetch the uncached ``rows`` in one query now: an answer about to read them costs one round
        trip, not one per row (out-of-range rows are ignored)."""
        wanted = sorted({int(r) for r in rows if 0 <= int(r) < self._rows})
        if wanted:
            self._values(wanted)

    def _values(self, rows: list[int]) -> list[T]:
        with self._lock:
            got = {r: self._cache[r] for r in rows if r in self._cache}
            for r in got:
                self._cache.move_to_end(r)
        missing = [r for r in rows if r not in got]
        if missing and self._around:
            with self._lock:
                near = {
                    m + d
                    for m in missing
                    for d in range(-self._around, self._around + 1)
                    if 0 <= m + d < self._rows and (m + d) not in self._cache
                }
            missing = sorted(near | set(missing))
        if missing:
            fresh = self._fetch(missing)
            got.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._cache_rows:
                    self._evicted(*self._cache.popitem(last=False))
        return [got[r] for r in rows]

    def _fetch(self, rows: list[int]) -> dict[int, T]:
        self.fetches += 1
        try:
            found = self._read(
                lambda conn: conn.execute(self._query, (rows,), binary=self._binary).fetchall()
            )
        except psycopg.errors.UndefinedTable:
            raise StoreUnavailableError(
                "the index version being read was just retired by a newer ingest: retry"
            ) from None
        fresh = {int(n): self._convert(value) for n, value in found}
        if len(fresh) != len(rows):
            raise LookupError(f"{self._table} lacks rows its version should have")
        return fresh


class RowRecords(RowCache[T], Sequence[T]):
    """A version's ``Chunk`` or ``Sentence`` records (``parse`` of each stored record), read on demand:
    ``records[row]`` and slices as from the tuple ``IndexContent`` holds, iteration reading every row
    in batches (a fallback for code that walks a version: tests, an ingest)."""

    def __init__(
        self,
        read: Reader,
        table: str,
        rows: int,
        cache_rows: int,
        parse: Callable[[dict[str, Any]], T],
        around: int = 0,
    ) -> None:
        query = sql.SQL("SELECT n, record::text {} AND n = ANY(%s)").format(rows_of(table))
        convert: Callable[[str], T] = lambda text: parse(orjson.loads(text))  # noqa: E731
        super().__init__(read, table, rows, cache_rows, query, convert, around)

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, key: int) -> T: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[T]: ...

    def __getitem__(self, key: int | slice) -> T | Sequence[T]:
        if isinstance(key, slice):
            return self._values(list(range(*key.indices(self._rows))))
        row = int(key)
        if row < 0:
            row += self._rows
        if not 0 <= row < self._rows:
            raise IndexError(f"row {key} out of range for {self._rows} records")
        return self._values([row])[0]

    def __iter__(self) -> Iterator[T]:
        for first in range(0, self._rows, BATCH):
            rows = list(range(first, min(first + BATCH, self._rows)))
            fresh = RowCache._fetch(self, rows)  # not cached: a walk would only churn the cache
            yield from (fresh[r] for r in rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(self) != len(other):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def _select(self, condition: str, *args: Any) -> list[tuple[Any, ...]]:
        query = sql.SQL("SELECT n, record::text {} AND ").format(rows_of(self._table))
        rows: list[tuple[Any, ...]] = self._read(
            lambda conn: conn.execute(query + sql.SQL(condition), args).fetchall()
        )
        return rows


class RowChunks(RowRecords[Chunk]):
    """Chunk records on demand, which also know the row of each chunk they hold (``row_of``)."""

    def __init__(self, read: Reader, table: str, rows: int, cache_rows: int) -> None:
        super().__init__(read, table, rows, cache_rows, chunk_from)
        self._ids: dict[str, int] = {}
        """Chunk id -> row of the cached chunks."""

    def _fetch(self, rows: list[int]) -> dict[int, Chunk]:
        fresh = super()._fetch(rows)
        self._ids.update((chunk.id, row) for row, chunk in fresh.items())
        return fresh

    def _evicted(self, row: int, value: Chunk) -> None:
        self._ids.pop(value.id, None)

    def row_of(self, chunk_id: str) -> int:
        """The row of the chunk ``chunk_id``: a retrieved chunk is cached; else one query by its id."""
        row = self._ids.get(chunk_id)
        if row is not None:
            return row
        found = self._select("record->>'id' = %s", chunk_id)
        if not found:
            raise KeyError(chunk_id)
        return int(found[0][0])


class RowSentences(RowRecords[Sentence]):
    """Sentence records on demand, which also find sentences by their exact text (``rows_with_text``)."""

    def __init__(self, read: Reader, table: str, rows: int, cache_rows: int) -> None:
        super().__init__(read, table, rows, cache_rows, sentence_from, around=2)  # neighbours are read next

    def rows_with_text(self, texts: Iterable[str]) -> dict[str, list[int]]:
        """Each of ``texts`` -> the rows (ascending) of the sentences written so, or reading so once
        their Markdown links show as text (``shown``), as ``followups.QuotedSentences`` finds them in a
        tuple; through the partition's indexes on their MD5 (``write``), one query for all."""
        wanted = set(texts)
        if not wanted:
            return {}
        hashes = sorted(hashlib.md5(t.encode(), usedforsecurity=False).hexdigest() for t in wanted)
        found = self._select(
            "md5(record->>'text') = ANY(%s) OR md5(record->>'shown') = ANY(%s)", hashes, hashes
        )
        out: dict[str, list[int]] = {}
        for n, text in sorted(found):
            record = orjson.loads(text)
            for key in dict.fromkeys((record["text"], record.get("shown"))):
                if key in wanted:
                    out.setdefault(key, []).append(int(n))
        return out
