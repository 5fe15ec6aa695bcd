"""Links between sentence rows kept as small offsets (``answer.row_links``): every lookup gives exactly
what the plain int32 array gives, for near links, far ones, none and a row's link to itself, and the
layout's code changes with its rules, not with how it is kept."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from rag_service.answer import layout_code
from rag_service.answer.row_links import RowLinks, RowRuns, codes_for


def _links(rows: int, columns: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    near = np.arange(rows).reshape(-1, *([1] * len(columns))) + rng.integers(-5, 6, (rows, *columns))
    far = rng.integers(0, rows, (rows, *columns))  # anywhere: most do not fit in a byte's offset
    pick = rng.random((rows, *columns))
    links = np.where(pick < 0.03, far, np.clip(near, 0, rows - 1))
    links[pick > 0.85] = -1
    links[rng.random((rows, *columns)) < 0.01] = np.arange(rows).reshape(-1, *([1] * len(columns)))[0]
    return links.astype(np.int32)


@pytest.mark.parametrize(
    ("rows", "columns", "dtype"), [(3000, (), np.int8), (3000, (2,), np.int8), (100_000, (), np.int16)]
)
def test_every_lookup_gives_what_the_plain_array_gives(rows, columns, dtype) -> None:
    plain = _links(rows, columns, seed=len(columns))
    plain[5] = 5  # a row that links to itself is kept apart from "none"
    plain[-1] = -1
    links = RowLinks(plain, dtype)
    assert len(links) == rows and links.shape == plain.shape
    assert np.array_equal(np.asarray(links), plain) and np.asarray(links).dtype == np.int32
    asked = np.random.default_rng(7).integers(0, rows, 500)
    assert np.array_equal(links[asked], plain[asked])
    assert np.array_equal(links[[5, rows - 1, 0]], plain[[5, rows - 1, 0]])
    for row in (0, 5, 1234, rows - 1, -1, np.int64(17)):
        one = links[row]
        assert np.array_equal(one, plain[row]) and (columns or isinstance(one, int)), row
    assert links[np.zeros(0, dtype=np.int64)].shape == (0, *columns) == links[[]].shape
    with pytest.raises(TypeError, match="integer position"):
        links[np.ones(rows, dtype=bool)]
    far = np.abs(plain.astype(np.int64) - np.arange(rows).reshape(-1, *([1] * len(columns)))).max()
    assert far > np.iinfo(dtype).max  # the side table was needed, and used
    assert links.nbytes < plain.nbytes  # real links are nearer: see test_layout


def test_links_are_converted_block_by_block(monkeypatch) -> None:
    from rag_service.answer import row_links

    monkeypatch.setattr(row_links, "_BLOCK", 64)
    plain = _links(1000, (2,), seed=3)
    assert np.array_equal(np.asarray(RowLinks(plain)), plain)
    assert len(RowLinks(np.zeros((0, 2), dtype=np.int32))) == 0


def test_runs_give_every_row_its_value() -> None:
    rng = np.random.default_rng(5)
    plain = np.repeat(rng.integers(-1, 50, 400), rng.integers(1, 9, 400)).astype(np.int32)
    runs = RowRuns(plain)
    assert len(runs) == len(plain) and np.array_equal(np.asarray(runs), plain)
    asked = rng.integers(0, len(plain), 300)
    assert np.array_equal(runs[asked], plain[asked])
    assert [runs[r] for r in (0, 7, -1)] == [int(plain[r]) for r in (0, 7, -1)]
    assert isinstance(runs[3], int) and runs.nbytes < plain.nbytes
    with pytest.raises(TypeError, match="integer position"):
        runs[np.array([0.0, 1.0])]
    assert len(RowRuns(np.zeros(0, dtype=np.int32))) == 0 and np.asarray(RowRuns(np.zeros(0))).size == 0


def test_codes_take_the_smallest_type_that_numbers_the_values() -> None:
    assert [codes_for(n) for n in (0, 1, 256, 257, 65536, 65537)] == [
        np.uint8,
        np.uint8,
        np.uint8,
        np.uint16,
        np.uint16,
        np.uint32,
    ]


def test_the_layout_code_covers_every_rule_it_names() -> None:
    """A rule renamed without ``RULES`` would silently leave the stored layouts' code."""
    tree = ast.parse(layout_code.LAYOUT.read_text(encoding="utf-8"))
    defined = {name for node in ast.walk(tree) for name in layout_code._named(node)}
    assert defined >= layout_code.RULES
    assert "to_bytes" not in layout_code.RULES and "from_bytes" not in layout_code.RULES
