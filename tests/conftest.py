"""Shared fixtures: the real embedding model loads once per session; indexes are built in tmp folders."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# FastAPI's test client addresses "testserver"; every real server the tests start is on 127.0.0.1.
# tests/reliability/test_attacks.py checks the default list (this variable unset) on its own.
os.environ.setdefault("RAG_ALLOWED_HOSTS", '["localhost", "127.0.0.1", "::1", "testserver"]')

from rag_service.bench.server import ServerProcess
from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder, PassageVectors
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline, make_embedder

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL_SET = ROOT / "eval" / "seeds.jsonl"
GLAVKOSMOS = "000_47ffcb0c647e5e31.txt"
SPUTNIK = "002_d2227059bacb0655.txt"


class MissingTool(Exception):
    """A system tool a test needs is not installed. Raised by fixtures with the command that installs
    it; reported as the test's failure, not as an error or a skip (``make test`` installs every tool,
    so a missing one is a set-up defect that must be seen)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if call.when == "setup" and call.excinfo is not None and call.excinfo.errisinstance(MissingTool):
        report.when = "call"  # counted and shown as a failed test naming the tool
    return report


HEARTBEAT_SECONDS = 45


def _terminal_fd(config: pytest.Config) -> int:
    """The terminal's file descriptor while pytest captures the test's output (its saved copy)."""
    capturing = getattr(config.pluginmanager.getplugin("capturemanager"), "_global_capturing", None)
    saved = getattr(getattr(capturing, "out", None), "targetfd_save", None)
    return saved if isinstance(saved, int) else 1


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """A heartbeat line every 45 s of one test, so that a long test (a server build, an LLM answering
    on a loaded machine) is never silent for more than a minute."""
    stop = threading.Event()
    started = time.monotonic()
    out = _terminal_fd(item.config)

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            line = f"\n    ... {item.nodeid} still running ({time.monotonic() - started:.0f} s)\n"
            with contextlib.suppress(OSError):
                os.write(out, line.encode())

    threading.Thread(target=beat, daemon=True, name="test-heartbeat").start()
    try:
        return (yield)
    finally:
        stop.set()


class CountingEmbedder:
    """The real embedder, recording how many texts each call embeds (to test incremental ingest)."""

    def __init__(self, inner: BaseEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.embedded: list[int] = []

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        self.embedded.append(len(texts))
        return self.inner.embed_documents(texts, show_progress=show_progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_passages(
        self, texts: list[str], spans: Sequence[Sequence[tuple[int, int]]], *, show_progress: bool = False
    ) -> PassageVectors:
        self.embedded.append(len(texts))
        return self.inner.embed_passages(texts, spans, show_progress=show_progress)


@pytest.fixture(scope="session")
def embedder() -> BaseEmbedder:
    return make_embedder(Settings())


@pytest.fixture
def counting_embedder(embedder: BaseEmbedder) -> CountingEmbedder:
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
def seeds_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
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


@pytest.fixture(scope="session")
def client(seeds_pipeline: Pipeline) -> Iterator[TestClient]:
    """The FastAPI app in-process, over the shared real pipeline."""
    from fastapi.testclient import TestClient

    from rag_service.api.app import create_app

    settings = seeds_pipeline.settings.model_copy(update={"api_key": None})
    with TestClient(create_app(settings, pipeline=seeds_pipeline)) as test_client:
        yield test_client


class LiveServer(ServerProcess):
    """A real ``rag-service serve`` (uvicorn) over ``tmp/seeds`` and ``tmp/index``, logging to a file."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.tmp = tmp
        super().__init__(tmp / "seeds", tmp / "index", log_path=tmp / "server.log", **env)


@contextlib.contextmanager
def seeds_server(tmp: Path, embedder: BaseEmbedder, **env: str) -> Iterator[LiveServer]:
    """A healthy server over a fresh index of the seeds in ``tmp``, stopped afterwards."""
    ingest_seeds(make_settings(tmp), embedder)
    server = LiveServer(tmp, **env)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Iterator[LiveServer]:
    with seeds_server(tmp_path_factory.mktemp("live"), embedder, RAG_API_KEY="test-key-123") as server:
        yield server
