"""The benchmark suite runs end to end (small sizes) and writes its report with every section."""

import subprocess
import sys
from pathlib import Path

import pytest

from rag_service.bench.ingest_runs import ingest_subprocess, write_pages

pytestmark = pytest.mark.slow


def test_bench_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag_service.cli",
            "bench",
            "--scifact",
            "",
            "--sizes",
            "3000",
            "--runs",
            "20",
            "--pdf-pages",
            "20",
            "--store-pages",
            "20",
            "--collections",
            "3",
            "--collection-pages",
            "5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = out.read_text()
    for heading in (
        "## Floor",
        "## In-process on the seeds",
        "## HTTP /api/ask",
        "## Reading documents",
        "## Ingest of one 20-page PDF",
        "## Scale",
        "## HTTP /api/ask with RAG_STORE=postgres",
        "## Ingest into each store",
        "## pgvector HNSW at 3,000 synthetic chunks",
        "## Collections: one service with 1 and with 4 collections",
        "## Targets",
    ):
        assert heading in report
    assert "LangChain InMemoryVectorStore" in report and "hnsw" in report and "bm25" in report
    assert "one process: throughput at concurrency 32" in report
    assert "2 worker processes: throughput at concurrency 32" in report  # CI machines have 2 cores
    assert "| the query plan uses the HNSW index |" in report and "| postgres | " in report
    assert "cores" in report.splitlines()[2]  # the machine it ran on
    assert "| scanned PDF, OCR (Tesseract, 300 dpi) | 1 |" in report
    assert "TARGET" in result.stdout and (out.with_suffix(".json")).is_file()


def test_page_corpus_ingest_is_measured_from_outside(tmp_path: Path) -> None:
    sentences = [f"Sentence number {i} says something about topic {i % 7}." for i in range(50)]
    characters = write_pages(sentences, tmp_path / "pages", 12, per_file=5)
    files = sorted((tmp_path / "pages").iterdir())
    assert [f.name for f in files] == ["volume-001.txt", "volume-002.txt", "volume-003.txt"]
    assert characters >= 12 * 3000 and sum(len(f.read_text()) for f in files) == characters
    run = ingest_subprocess(tmp_path / "pages", tmp_path / "index")
    assert run.summary.startswith("index") and run.chunks >= characters // 1000
    assert 100 < run.peak_mb < 4096 and run.seconds > 0


def test_a_request_crossing_a_keep_alive_close_is_sent_again_not_counted_lost() -> None:
    """A server that closes every connection after one answer without saying so (as a retiring worker
    closes its idle connections): the next request on that connection meets the close before any byte
    of an answer and goes again on a new connection; an answer that breaks off midway stays an error."""
    import asyncio

    from rag_service.bench.loadtest import run_load

    async def scenario(cut_midway: bool):
        async def handle(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            await reader.read(65536)  # the small JSON body
            answer = b'{"answer": "ok"}'
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
                answer
            )
            writer.write(head + (answer[:5] if cut_midway else answer))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await run_load(f"http://127.0.0.1:{port}", 20, 2, ["q"], timeout=5)

    clean = asyncio.run(scenario(cut_midway=False))
    assert clean.errors == 0 and clean.statuses["200"] == 20 and clean.resent >= 1
    broken = asyncio.run(scenario(cut_midway=True))
    assert broken.errors == 20 and broken.statuses["200"] == 0


def test_the_startup_section_measures_the_answerer_over_a_growing_collection(tmp_path: Path) -> None:
    from rag_service.bench.report import Report
    from rag_service.bench.startup import run_startup

    sentences = [
        f"Module {n} of the station was inspected by crew member {n % 5} on the night shift."
        for n in range(60)
    ]
    report = Report()
    run_startup(report, tmp_path, sentences, 6, (1, 3))
    text = report.markdown("")
    rows = [
        line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()
    ]
    assert len(rows) == 2, text
    (one, three) = [[float(cell.strip().replace(",", "")) for cell in row] for row in rows]
    assert three[0] == 3 * one[0] and three[1] == 3 * one[1]  # chunks and sentences, copied three times
    assert three[4] >= 0 and three[5] > 100  # a build time, and a real process's RSS
