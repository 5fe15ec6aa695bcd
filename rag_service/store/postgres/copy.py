"""Bulk transfer of index rows with PostgreSQL's binary COPY, in both directions.

Writing goes through psycopg's ``Copy.write_row`` with the column types set, so vectors travel as
pgvector's binary format (no float formatting). Reading a vector column back parses the COPY stream
with numpy in one step: every row of ``COPY (SELECT embedding ...) TO STDOUT (FORMAT BINARY)`` has the
same size, so the stream is a fixed-width array. Records come back as ``jsonb::text`` parsed by orjson,
several times faster than row-by-row JSON decoding of a ``jsonb`` column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = len(_SIGNATURE) + 8  # signature, flags (int32), header extension length (int32, 0 here)


def write_rows(
    conn: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    freeze: bool = False,
) -> None:
    """COPY ``rows`` into ``table``; a ``dict`` value is sent as jsonb, a numpy row as a vector.

    ``freeze`` (only for a table created in the current transaction) writes the rows frozen and marks
    their pages all-visible, so that index-only scans need no VACUUM first."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY{})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", FREEZE" if freeze else ""),
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row([Jsonb(v) if isinstance(v, dict) else v for v in row])


def read_records(conn: psycopg.Connection[Any], table: str) -> list[dict[str, Any]]:
    """The ``record`` column of ``table`` in row order."""
    query = sql.SQL("SELECT record::text FROM {} ORDER BY n").format(sql.Identifier(table))
    return [orjson.loads(text) for (text,) in conn.execute(query)]


def read_vectors(conn: psycopg.Connection[Any], table: str, dimension: int) -> np.ndarray:
    """The ``embedding`` column of ``table`` in row order, as a float32 matrix."""
    query = sql.SQL("COPY (SELECT embedding FROM {} ORDER BY n) TO STDOUT (FORMAT BINARY)").format(
        sql.Identifier(table)
    )
    data = bytearray()
    with conn.cursor() as cur, cur.copy(query) as copy:
        for block in copy:
            data += block
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    # Per row: field count (int16), field length (int32), dim and unused (int16 each), floats (>f4).
    width = 2 + 4 + 4 + 4 * dimension
    # Views of the received bytes, and one copy into native floats: a version's sentence vectors are
    # most of what a load reads (780 MB at 510,000 sentences), and each extra copy was another such.
    body = np.frombuffer(data, dtype=np.uint8, offset=_HEADER, count=max(0, len(data) - _HEADER - 2))
    if body.size % width:
        raise ValueError(f"vectors in {table} are not all of width {dimension}")
    rows = body.reshape(-1, width)
    dims = rows[:, 6:8].copy().view(">i2").ravel()
    if rows.shape[0] and not (dims == dimension).all():
        raise ValueError(f"vectors in {table} are not all of width {dimension}")
    return rows[:, 10:].view(">f4").astype(np.float32)
