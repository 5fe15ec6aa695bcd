"""BM25 over packed postings in PostgreSQL at scale (``bench --only lexicon``): what a replica pays for
the lexical half of a question when the collection has a million chunks.

Chunks of about 800 characters are made of SciFact's abstract sentences in a seeded random order (the
seed documents' sentences when SciFact is absent), so their words are spread as in real text and a
common word's postings are as long as they would be. Each size gets a fresh local PostgreSQL, a
version row and ``lexicon.write``, exactly as an ingest writes them; the questions are SciFact's (or
the seeds set's). Timed: the write, and ``Lexicon.search`` for the top 100 (one round trip, scoring
included) over every question, after one untimed pass. Up to ``CHECKED`` chunks the top 100 is also
compared with bm25s in process over the same texts (``_agree``); at a million chunks bm25s would need
several GB and minutes of indexing, so that size is timed only.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import psycopg

from rag_service.bench.loadtest import default_questions
from rag_service.bench.report import Report
from rag_service.bench.timing import measure
from rag_service.retrieval.lexical import LexicalIndex, index_terms
from rag_service.store.postgres import lexicon, schema
from rag_service.store.postgres.local import LocalPostgres

CHECKED = 200_000
CHUNK_CHARACTERS = 800
TOP = 100


def chunk_texts(sentences: list[str], count: int, seed: int = 7) -> list[str]:
    """``count`` texts of at least ``CHUNK_CHARACTERS`` characters, sentences drawn at random."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts: list[str] = []
        size = 0
        while size < CHUNK_CHARACTERS:
            parts.append(rng.choice(sentences))
            size += len(parts[-1]) + 1
        texts.append(" ".join(parts))
    return texts


def scifact_sentences(folder: Path | None) -> tuple[list[str], list[str]]:
    """SciFact's abstract sentences and questions, or nothing when the folder is absent."""
    if folder is None or not (folder / "corpus.jsonl").is_file():
        return [], []
    sentences: list[str] = []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        sentences += [s.strip() + "." for s in text.split(". ") if len(s) > 20]
    questions = [json.loads(line)["text"] for line in (folder / "queries.jsonl").read_text().splitlines()]
    return sentences, questions


def run_lexicon(
    report: Report, sizes: list[int], runs: int, sentences: list[str], questions: list[str] | None = None
) -> None:
    questions = (questions or default_questions())[: max(runs, 1)]
    rows = []
    for size in sizes:
        texts = chunk_texts(sentences, size)
        server = LocalPostgres.create(shared_buffers="1GB", max_wal_size="8GB", work_mem="256MB")
        try:
            rows.append(_measure(server.url(), texts, questions, runs))
        finally:
            server.stop()
            server.destroy()
    report.table(
        f"BM25 over packed postings in PostgreSQL (top {TOP}, one connection, database on the same cores)",
        ["chunks", "postings", "write s", "table MB", "search p50 ms", "p95 ms", "top 100 as bm25s"],
        rows,
    )


def _measure(url: str, texts: list[str], questions: list[str], runs: int) -> list[str]:
    schema.migrate(url, 60)
    with psycopg.connect(url) as conn:
        version_id = _version(conn)
        started = time.perf_counter()
        written = lexicon.write(conn, version_id, iter(texts))
        conn.commit()
        seconds = time.perf_counter() - started
        postings, size = conn.execute(
            "SELECT sum(length(chunks)) / 4, pg_total_relation_size(%s) FROM rag_term_postings",
            (schema.partition(lexicon.TABLE, version_id),),
        ).fetchone() or (0, 0)
        cut = [index_terms(q) for q in questions]
        for terms in cut:  # untimed pass: the rows read once, as a running replica has them
            written.search(conn, terms, TOP)
        timing = measure(lambda i: written.search(conn, cut[i % len(cut)], TOP), runs, warmup=0)
        same = "–"
        if len(texts) <= CHECKED:
            in_process = LexicalIndex(texts)
            equal = sum(
                _agree(written.search(conn, terms, TOP), in_process.search(q, TOP))
                for q, terms in zip(questions, cut, strict=True)
            )
            same = f"{equal} of {len(questions)}"
    return [
        f"{len(texts):,}",
        f"{int(postings or 0):,}",
        f"{seconds:.1f}",
        f"{int(size or 0) / 1e6:.0f}",
        f"{timing.p50:.2f}",
        f"{timing.p95:.2f}",
        same,
    ]


def _agree(packed: list[tuple[int, float]], bm25s: list[tuple[int, float]]) -> bool:
    """The same scores rank by rank (bm25s sums in float32, so rows whose float64 scores tie can come
    in another order there), and the same rows but for those tied at the cut."""
    if len(packed) != len(bm25s) or any(
        abs(a - b) > 1e-4 for (_, a), (_, b) in zip(packed, bm25s, strict=True)
    ):
        return False
    last = packed[-1][1] if packed else 0.0
    return {r for r, s in packed if s > last + 1e-4} == {r for r, s in bm25s if s > last + 1e-4}


def _version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "INSERT INTO rag_versions (name, manifest, dimension) "
        "VALUES ('bench-lexicon', '{}', 384) RETURNING id"
    ).fetchone()
    assert row is not None
    return int(row[0])
