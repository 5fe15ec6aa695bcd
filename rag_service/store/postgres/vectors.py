"""A version's vectors read from PostgreSQL as they are needed, not loaded whole (``RowVectors``).

The answerer reads the vectors of a few hundred sentences per question (the retrieved passages', their
neighbours', their headings'), and the chunk and window vectors of the retrieved chunks; a replica that
held every sentence vector of a million-chunk collection would hold about nine gigabytes it never
reads. ``RowVectors`` stands where ``IndexContent`` has a matrix: indexing it with a row or an array of
rows (any shape) returns numpy values like the matrix would, fetching the rows it lacks in one query
(``WHERE n = ANY(...)``) and keeping the most recently used ones, up to ``RAG_DATABASE_VECTOR_CACHE``
rows per kind, in memory. ``numpy.asarray`` on it reads everything (tests, and an ingest reusing a
version's vectors, which loads the version whole anyway).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from rag_service.errors import StoreUnavailableError

Reader = Callable[[Callable[[psycopg.Connection[Any]], Any]], Any]
"""``Database.read``: runs a function on a read connection, translating outages into 503s."""


class RowVectors:
    """Rows ``0 .. rows-1`` of a version's ``embedding`` column, fetched on demand (see the module)."""

    def __init__(
        self, read: Reader, table: str, rows: int, dimension: int, cache_rows: int, around: int = 0
    ) -> None:
        self._read = read
        self._around = around
        """Rows either side of each missing one fetched with it: a sentence's neighbours are read next."""
        self._table = table
        self.shape = (rows, dimension)
        self.dtype = np.dtype(np.float32)
        self.ndim = 2
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_rows = max(cache_rows, 1)
        self._lock = threading.Lock()
        self.fetches = 0
        """Queries sent so far (a benchmark and the tests read it)."""
        self._query = sql.SQL("SELECT n, embedding::vector({}) FROM {} WHERE n = ANY(%s)").format(
            sql.Literal(dimension), sql.Identifier(table)
        )

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            key = np.arange(*key.indices(self.shape[0]))
        index = np.asarray(key)
        if index.dtype == bool or not np.issubdtype(index.dtype, np.integer):
            raise TypeError(f"rows of {self._table} are taken by integer position, not {index.dtype}")
        index = np.where(index < 0, index + self.shape[0], index)
        if index.size and (index.min() < 0 or index.max() >= self.shape[0]):
            raise IndexError(f"row out of range for {self.shape[0]} vectors")
        wanted = np.unique(index)
        found = self._rows([int(r) for r in wanted])
        matrix = np.stack(found) if found else np.zeros((0, self.shape[1]), dtype=np.float32)
        return matrix[np.searchsorted(wanted, index)]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[np.arange(self.shape[0])] if self.shape[0] else np.zeros(self.shape, np.float32)
        return whole.astype(dtype) if dtype is not None else whole

    def _rows(self, rows: list[int]) -> list[np.ndarray]:
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
                    if 0 <= m + d < self.shape[0] and (m + d) not in self._cache
                }
            missing = sorted(near | set(missing))
        if missing:
            self.fetches += 1
            try:
                found = self._read(lambda conn: conn.execute(self._query, (missing,)).fetchall())
            except psycopg.errors.UndefinedTable:
                raise StoreUnavailableError(
                    "the index version being read was just retired by a newer ingest: retry"
                ) from None
            fresh = {int(n): _array(vector) for n, vector in found}
            if len(fresh) != len(missing):
                raise LookupError(f"{self._table} lacks rows its version should have")
            got.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._cache_rows:
                    self._cache.popitem(last=False)
        return [got[r] for r in rows]


def _array(vector: Any) -> np.ndarray:
    """A fetched vector as float32 (pgvector's loader gives a ``Vector``, or numpy in older releases)."""
    return np.asarray(vector.to_numpy() if hasattr(vector, "to_numpy") else vector, dtype=np.float32)
