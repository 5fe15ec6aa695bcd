"""Ingest as users run it, measured from outside: ``rag-service ingest`` in a subprocess, its wall time
and its peak memory, plus the synthetic page corpus the memory target is checked on.

The peak is the ``peak memory`` line the command prints (its own ``VmHWM``). Not ``ru_maxrss`` from
``os.wait4``: Linux carries the largest RSS across ``exec``, so a child of a big process (this
benchmark holds several indexes and torch) reports its parent's size until it exceeds it.

Measuring in a subprocess keeps the benchmark's own memory (other indexes, the torch reference model)
out of the figure, and includes what a user pays: start-up, model load, chunking, embedding, writing.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class IngestRun:
    seconds: float
    peak_mb: float
    summary: str
    """The command's own summary line (``index rebuilt: ... N chunks ...``)."""

    @property
    def chunks(self) -> int:
        found = re.search(r"(\d+) chunks", self.summary)
        return int(found.group(1)) if found else 0


def ingest_subprocess(seeds: Path, index: Path, **env: str) -> IngestRun:
    """``rag-service ingest --quiet`` over ``seeds`` into ``index`` with extra ``RAG_*`` settings."""
    full_env = {
        **os.environ,
        "RAG_SEEDS_DIR": str(seeds),
        "RAG_INDEX_DIR": str(index),
        "HF_HUB_OFFLINE": "1",
        "RAG_STORE": "faiss",  # the throw-away folder, not a database the environment may name
        **env,
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "rag_service.cli", "ingest", "--quiet"],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    with process.stdout:
        output = process.stdout.read()  # read before waiting: a full pipe would block the child
    process.wait()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"ingest failed ({process.returncode}): {output[-2000:]}")
    peak = re.search(r"^peak memory: (\d+) MB", output, re.MULTILINE)
    if peak is None:
        raise RuntimeError(f"ingest printed no peak memory line: {output[-2000:]}")
    return IngestRun(seconds, float(peak.group(1)), output.splitlines()[0] if output else "")


def write_pages(sentences: Sequence[str], folder: Path, pages: int, per_file: int = 100) -> int:
    """``pages`` pages of about 3,000 characters (a printed page) made of ``sentences`` in a seeded
    random order, in paragraphs, ``per_file`` pages per file; returns the characters written."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for first in range(0, pages, per_file):
        paragraphs = []
        for _ in range(min(per_file, pages - first)):
            page_chars = 0
            while page_chars < 3000:
                paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 7)))
                paragraphs.append(paragraph)
                page_chars += len(paragraph) + 2
        text = f"Synthetic volume {first // per_file + 1}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"volume-{first // per_file + 1:03d}.txt").write_text(text, encoding="utf-8")
        written += len(text)
    return written
