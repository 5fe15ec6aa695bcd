"""Shared fixtures: the real embedding model loads once per session; indexes are built in tmp folders."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag_service.config import Settings
from rag_service.embedding import SentenceTransformerEmbedder
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL_SET = ROOT / "eval" / "seeds.jsonl"
GLAVKOSMOS = "000_47ffcb0c647e5e31.txt"
SPUTNIK = "002_d2227059bacb0655.txt"


class CountingEmbedder:
    """The real embedder, recording how many texts each call embeds (to test incremental ingest)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.embedded: list[int] = []

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        self.embedded.append(len(texts))
        return self.inner.embed_documents(texts, show_progress=show_progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture
def counting_embedder(embedder: SentenceTransformerEmbedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


def make_settings(tmp: Path, **overrides: object) -> Settings:
    seeds = tmp / "seeds"
    if not seeds.exists():
        shutil.copytree(SEEDS, seeds)
    return Settings(seeds_dir=seeds, index_dir=tmp / "index", **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def seeds_pipeline(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Pipeline:
    """One index of the real seeds, shared by read-only tests."""
    settings = make_settings(tmp_path_factory.mktemp("seeds-index"))
    ingest_seeds(settings, embedder)
    return Pipeline.load(settings, embedder)


def eval_cases() -> list[dict]:
    return [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def first_turns() -> Iterator[tuple[str, dict]]:
    """(id, turn) for every single-turn case and the first turn of each conversation."""
    for case in eval_cases():
        yield case["id"], (case["turns"][0] if "turns" in case else case)
