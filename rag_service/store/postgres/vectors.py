"""A version's vectors read from PostgreSQL as they are needed, not loaded whole (``RowVectors``).

The answerer reads the vectors of a few hundred sentences per question (the retrieved passages', their
neighbours', their headings'), and the chunk and window vectors of the retrieved chunks; a replica that
held every sentence vector of a million-chunk collection would hold about nine gigabytes it never
reads. ``RowVectors`` stands where ``IndexContent`` has a matrix: indexing it with a row or an array of
rows (any shape) returns numpy values like the matrix would, fetching the rows it lacks in one query
and keeping the most recently used ones, up to ``RAG_DATABASE_VECTOR_CACHE`` rows per kind, in memory
(``rows.RowCache``). ``numpy.asarray`` on it reads everything (tests, and an ingest reusing a version's
vectors, which loads the version whole anyway).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from psycopg import sql

from rag_service.store.postgres.rows import Reader, RowCache
from rag_service.store.postgres.schema import rows_of


class RowVectors(RowCache[np.ndarray]):
    """Rows ``0 .. rows-1`` of a version's ``embedding`` column, fetched on demand (see the module)."""

    def __init__(
        self, read: Reader, table: str, rows: int, dimension: int, cache_rows: int, around: int = 0
    ) -> None:
        """``around``: rows either side of each missing one fetched with it (a sentence's neighbours
        are read next)."""
        query = sql.SQL("SELECT n, embedding::vector({}) {} AND n = ANY(%s)").format(
            sql.Literal(dimension), rows_of(table)
        )
        # Binary results: a vector comes as 384 packed floats, not as text that pgvector's loader parses
        # number by number in Python (about 3 ms a question of the replica's time at 100,000 chunks).
        super().__init__(read, table, rows, cache_rows, query, _array, around, binary=True)
        self.shape = (rows, dimension)
        self.dtype = np.dtype(np.float32)
        self.ndim = 2

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
        found = self._values([int(r) for r in wanted])
        matrix = np.stack(found) if found else np.zeros((0, self.shape[1]), dtype=np.float32)
        return matrix[np.searchsorted(wanted, index)]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[np.arange(self.shape[0])] if self.shape[0] else np.zeros(self.shape, np.float32)
        return whole.astype(dtype) if dtype is not None else whole


def _array(vector: Any) -> np.ndarray:
    """A fetched vector as float32 (pgvector's loader gives a ``Vector``, or numpy in older releases)."""
    return np.asarray(vector.to_numpy() if hasattr(vector, "to_numpy") else vector, dtype=np.float32)
