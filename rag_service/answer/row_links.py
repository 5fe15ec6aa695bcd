"""Per sentence row, other rows it points to (its neighbours, its heading), kept as small offsets.

A sentence's neighbours are the rows just before and after it, and its heading a few rows above it:
stored as int32 row numbers they took 12 of the layout's 26 bytes a sentence (61 MB of a million-chunk
replica's memory, issue #34), yet almost every one is within a hundred rows of the row that points to
it. ``RowLinks`` keeps each link as its offset from its own row in a small integer type (one byte for
neighbours, two for headings), "none" (-1) as offset 0 (a row never links to itself), and the few
links whose offset does not fit in a sorted side table, looked up only for the rows asked. A lookup
gives exactly the rows the plain array would (tested against it), for one row or an array of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_BLOCK = 1 << 20
"""Rows converted at a time: the int64 offsets of a whole collection would be a large transient."""


class RowLinks:
    """Rows ``links[row]`` (shape (rows,) or (rows, k); -1 for none) as offsets of type ``dtype``."""

    def __init__(self, links: np.ndarray, dtype: type[np.signedinteger[Any]] = np.int8) -> None:
        links = np.asarray(links)
        self._far = np.iinfo(dtype).min  # the code of an offset kept in the side table
        self._codes = np.empty(links.shape, dtype=dtype)
        self.shape = links.shape
        width = int(np.prod(links.shape[1:], dtype=np.int64))
        places: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for start in range(0, len(links), _BLOCK):
            block = links[start : start + _BLOCK].astype(np.int64)
            rows = np.arange(start, start + len(block)).reshape(-1, *([1] * (block.ndim - 1)))
            offsets = np.where(block >= 0, block - rows, 0)
            far = (offsets <= self._far) | (offsets > np.iinfo(dtype).max) | ((block >= 0) & (offsets == 0))
            offsets[far] = self._far
            self._codes[start : start + len(block)] = offsets
            places.append(np.flatnonzero(far.reshape(-1)) + start * width)
            targets.append(block.reshape(-1)[far.reshape(-1)])
        self._places = np.concatenate(places) if places else np.zeros(0, dtype=np.int64)
        self._targets = np.concatenate(targets).astype(np.int32) if targets else np.zeros(0, np.int32)
        self._width = width

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return int(self._codes.nbytes + self._places.nbytes + self._targets.nbytes)

    def __getitem__(self, rows: Any) -> Any:
        """The rows linked from ``rows`` (an int gives an int, or a (k,) array for a table)."""
        one = np.ndim(rows) == 0
        asked = np.atleast_1d(_positions(rows))
        asked = np.where(asked < 0, asked + len(self), asked)
        codes = self._codes[asked].astype(np.int64)
        shape = (-1, *([1] * (codes.ndim - 1)))
        out = np.where(codes == 0, -1, asked.reshape(shape) + codes)
        far = codes == self._far
        if far.any():
            columns = np.arange(self._width).reshape(self.shape[1:]) if codes.ndim > 1 else 0
            places = (asked.reshape(shape) * self._width + columns)[far]
            out[far] = self._targets[np.searchsorted(self._places, places)]
        out = out.astype(np.int32)
        return (int(out[0]) if out.ndim == 1 else out[0]) if one else out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Every row's links as the plain int32 array (for storing a layout, or copying one)."""
        whole = self[np.arange(len(self))]
        return whole if dtype is None else whole.astype(dtype)


def _positions(rows: Any) -> np.ndarray:
    """``rows`` as int64 positions; a mask or a float would be taken silently as the rows 0 and 1."""
    asked = np.asarray(rows)
    if asked.size and not np.issubdtype(asked.dtype, np.integer):
        raise TypeError(f"rows are taken by integer position, not {asked.dtype}")
    return asked.astype(np.int64)


def codes_for(values: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned type that numbers ``values`` distinct values (a per-row code)."""
    return np.min_scalar_type(max(values - 1, 0)).type


class RowRuns:
    """One value per row kept as runs of equal values: a sentence's document or first chunk changes
    every few rows, so a million-chunk version's five million int32 rows (20 MB each) are a run per
    document or chunk instead. ``values`` per row is the plain array (-1 and unordered values allowed)."""

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values)
        starts = np.flatnonzero(values[1:] != values[:-1]) + 1
        self._starts = np.concatenate([[0], starts]).astype(np.int64) if len(values) else starts
        self._values = values[self._starts].astype(np.int32)
        self.shape = values.shape

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return int(self._starts.nbytes + self._values.nbytes)

    def __getitem__(self, rows: Any) -> Any:
        """The values of ``rows`` (an int gives an int)."""
        asked = _positions(rows)
        asked = np.where(asked < 0, asked + len(self), asked)
        found = self._values[np.searchsorted(self._starts, asked, side="right") - 1]
        return int(found) if np.ndim(rows) == 0 else found

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = np.repeat(self._values, np.diff(np.append(self._starts, len(self))))
        return whole if dtype is None else whole.astype(dtype)
