"""Shared fixtures: the real embedding model loads once per session; indexes are built in tmp folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline, make_embedder

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL_SET = ROOT / "eval" / "seeds.jsonl"
GLAVKOSMOS = "000_47ffcb0c647e5e31.txt"
SPUTNIK = "002_d2227059bacb0655.txt"


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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ok(url: str, process: subprocess.Popen, log: IO[str], timeout: float = 120) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if the process dies or time runs out."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    log.flush()
    log.seek(0)
    state = "exited" if process.poll() is not None else f"did not answer {url} in {timeout:.0f} s"
    raise RuntimeError(f"server {state}: {log.read()[-4000:]}")


class LiveServer:
    """A real ``rag-service serve`` (uvicorn) subprocess on a free loopback port."""

    def __init__(self, tmp: Path, **env: str) -> None:
        import subprocess
        import sys

        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "server.log", "w+")  # noqa: SIM115 - closed in stop()
        full_env = {
            **os.environ,
            "RAG_SEEDS_DIR": str(tmp / "seeds"),
            "RAG_INDEX_DIR": str(tmp / "index"),
            "HF_HUB_OFFLINE": "1",
            **env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rag_service.cli", "serve", "--port", str(self.port)],
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 120) -> None:
        wait_until_ok(f"{self.url}/api/health", self.process, self.log, timeout)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except Exception:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("live")
    ingest_seeds(make_settings(tmp), embedder)
    server = LiveServer(tmp, RAG_API_KEY="test-key-123")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()
