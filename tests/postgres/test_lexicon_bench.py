"""``rag-service bench --only lexicon``: packed BM25 postings written to a real PostgreSQL for synthetic
chunks, timed, and checked against bm25s over the same texts."""

from __future__ import annotations

from pathlib import Path

from rag_service.bench.lexicon import CHUNK_CHARACTERS, chunk_texts, run_lexicon, scifact_sentences
from rag_service.bench.report import Report
from rag_service.retrieval.lexical import index_terms
from rag_service.store.postgres import lexicon

SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "scifact"


def test_the_lexicon_bench_writes_times_and_matches_bm25s(monkeypatch) -> None:
    monkeypatch.setattr(lexicon, "SPAN_BITS", 10)  # three spans of 1,024 chunks: rows per term vary
    sentences, questions = scifact_sentences(SCIFACT)
    assert len(sentences) > 10_000 and len(questions) > 100  # the shared SciFact copy, not a stand-in
    texts = chunk_texts(sentences, 50)
    assert all(len(t) >= CHUNK_CHARACTERS for t in texts) and texts == chunk_texts(sentences, 50)
    report = Report()
    run_lexicon(report, [3000], 40, sentences, questions)
    markdown = report.markdown("")
    row = next(line for line in markdown.splitlines() if line.startswith("| 3,000 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    postings = sum(len(set(index_terms(text))) for text in chunk_texts(sentences, 3000))
    assert int(cells[1].replace(",", "")) == postings  # one per distinct term of each chunk
    assert float(cells[4]) > 0 and float(cells[5]) >= float(cells[4])
    assert cells[6] == "40 of 40"  # the same top 100, in the same order, for every question
