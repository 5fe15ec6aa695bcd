"""The benchmark suite runs end to end (small sizes) and writes its report with every section."""

import subprocess
import sys
from pathlib import Path


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
    for heading in ("## Floor", "## In-process on the seeds", "## HTTP /api/ask", "## Scale", "## Targets"):
        assert heading in report
    assert "LangChain InMemoryVectorStore" in report and "hnsw" in report and "bm25" in report
    assert "cores" in report.splitlines()[2]  # the machine it ran on
    assert "TARGET" in result.stdout and (out.with_suffix(".json")).is_file()
