"""Re-ingesting through the API of a real server while a bounded load runs: no query fails, and every
answer comes from exactly one index version (all its retrieved passages belong to that version)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest

from rag_service.ingest import ingest_seeds
from rag_service.store.files import load_index
from tests.conftest import LiveServer, make_settings

pytestmark = pytest.mark.slow


async def ask_many(url: str, stop: threading.Event, seen: list[dict], failures: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def worker(n: int) -> None:
            i = 0
            while not stop.is_set() or i == 0:
                r = await client.post("/api/ask", json={"question": f"Where did Komarov speak? ({n}-{i})"})
                i += 1
                if r.status_code != 200:
                    failures.append(f"{r.status_code}: {r.text[:200]}")
                    continue
                data = r.json()
                seen.append({"version": data["index_version"], "ids": [h["id"] for h in data["retrieved"]]})

        await asyncio.gather(*(worker(n) for n in range(8)))


def test_ingest_while_answering(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    first = load_index(settings.index_dir)
    server = LiveServer(tmp_path, RAG_API_KEY="k3y")
    try:
        server.wait_healthy()
        stop = threading.Event()
        seen: list[dict] = []
        failures: list[str] = []
        thread = threading.Thread(target=lambda: asyncio.run(ask_many(server.url, stop, seen, failures)))
        thread.start()
        # The first ingest must not race the first answer: wait (bounded) until the load has been served
        # by the starting version, so the swap is observed under load rather than before it.
        deadline = time.monotonic() + 60
        while not any(s["version"] == first.version for s in seen) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any(s["version"] == first.version for s in seen), f"first version unseen: {failures}"
        for i in range(3):
            (settings.seeds_dir / f"update-{i}.txt").write_text(
                f"Update {i}: Komarov spoke again at a press conference in Moscow about lunar plans.",
                encoding="utf-8",
            )
            r = httpx.post(f"{server.url}/api/ingest", headers={"X-API-Key": "k3y"}, timeout=300)
            assert r.status_code == 200, r.text
        # Ingests of one small file can finish within a few answers: let the askers reach a fair sample
        # (bounded) rather than make the count depend on how fast ingest happened to be.
        deadline = time.monotonic() + 60
        while len(seen) <= 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(timeout=120)
        assert failures == []
        versions = {s["version"] for s in seen}
        assert len(seen) > 20 and first.version in versions and len(versions) >= 2
        chunk_ids = {}
        for folder in settings.index_dir.glob("v-*"):
            chunk_ids[folder.name] = {
                line.split('"id": "')[1].split('"')[0]
                for line in (folder / "chunks.jsonl").read_text().splitlines()
            }
        for s in seen:
            if s["version"] in chunk_ids:  # versions older than the kept two were pruned from disk
                assert set(s["ids"]) <= chunk_ids[s["version"]], "an answer mixed two index versions"
    finally:
        server.stop()
