"""A pipeline over a few real files, for the tests that ask questions of them."""

from __future__ import annotations

import shutil
from pathlib import Path

from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline


def index_files(tmp: Path, embedder: BaseEmbedder, *files: Path) -> Pipeline:
    """Copy ``files`` into a documents folder under ``tmp``, ingest them through the real ingest (OCR
    off: every file here has a text layer) and load the pipeline; every file must be read, none skipped,
    and no answer is declined (threshold 0), so tests see what the answerer ranks."""
    (tmp / "docs").mkdir()
    for path in files:
        shutil.copy(path, tmp / "docs" / path.name)
    settings = Settings(  # type: ignore[call-arg]
        seeds_dir=tmp / "docs", index_dir=tmp / "index", answerability_threshold=0.0, ocr=False
    )
    report = ingest_seeds(settings, embedder)
    assert sorted(report.added) == sorted(path.name for path in files) and report.skipped == []
    return Pipeline.load(settings, embedder)
