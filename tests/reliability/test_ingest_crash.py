"""Killing real ``rag-service ingest`` processes at several points leaves the previous index loadable and
the service healthy; the next ingest completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.ingest import ingest_seeds
from rag_service.store.files import load_index
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

WORDS = [
    "orbit",
    "launch",
    "station",
    "module",
    "crew",
    "docking",
    "thruster",
    "payload",
    "telemetry",
    "satellite",
    "cargo",
    "antenna",
    "solar",
    "panel",
    "radiation",
    "shielding",
    "reentry",
    "capsule",
    "booster",
    "engine",
    "propellant",
    "navigation",
]


def add_documents(seeds: Path, count: int) -> None:
    for i in range(count):
        sentences = [
            f"Mission {i} report {j}: the {WORDS[(i + j) % len(WORDS)]} and the "
            f"{WORDS[(i * 3 + j) % len(WORDS)]} performed within limits."
            for j in range(20)
        ]
        (seeds / f"mission-{i:03d}.txt").write_text(" ".join(sentences), encoding="utf-8")


def start_ingest(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "RAG_SEEDS_DIR": str(settings.seeds_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "rag_service.cli", "ingest", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_write_phase(index_dir: Path, process: subprocess.Popen, timeout: float = 300) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if any(index_dir.glob(".tmp-*")):
            return True
        time.sleep(0.005)
    return False


@pytest.fixture
def crash_settings(tmp_path: Path, embedder):
    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    add_documents(settings.seeds_dir, 60)
    return settings


@pytest.mark.parametrize("kill_point", ["model loading", "embedding", "writing files"])
def test_killed_ingest_leaves_the_previous_index(crash_settings, embedder, kill_point: str) -> None:
    settings = crash_settings
    before = load_index(settings.index_dir)
    process = start_ingest(settings)
    if kill_point == "model loading":
        time.sleep(1.0)
    elif kill_point == "embedding":
        time.sleep(7.0)
    else:
        assert wait_for_write_phase(settings.index_dir, process), "ingest finished before writing was seen"
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    after = load_index(settings.index_dir)  # verifies every file against the manifest
    assert after.version in (before.version,) or len(after.documents) == 62
    with TestClient(create_app(settings.model_copy(update={"ingest_on_start": "never"}))) as client:
        for _ in range(600):
            response = client.get("/api/health")
            if response.status_code == 200:
                break
            time.sleep(0.1)
        assert response.status_code == 200
        assert client.post("/api/ask", json={"question": "Who heads Roscosmos?"}).status_code == 200
    report = ingest_seeds(settings, embedder)  # the next ingest completes and picks everything up
    assert len(load_index(settings.index_dir).documents) == 62
    assert report.version is not None
