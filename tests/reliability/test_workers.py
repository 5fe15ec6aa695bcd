"""``rag-service serve --workers 2``: real processes sharing one socket and one index folder."""

import asyncio
import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from rag_service.bench.loadtest import default_questions, run_load
from rag_service.bench.server import ServerProcess
from tests.conftest import make_settings

pytestmark = pytest.mark.slow
KEY = "workers-test-key"


def _log(server: ServerProcess) -> str:
    """The whole server log (``output()`` keeps only its end, which 30 access lines can fill)."""
    assert server.log is not None
    server.log.flush()
    return Path(server.log.name).read_text()


def _started(server: ServerProcess) -> list[str]:
    return re.findall(r"Started server process \[(\d+)\]", _log(server))


def _ready(server: ServerProcess) -> int:
    """Workers that finished loading. A started worker may still be loading (and, with
    ``RAG_INGEST_ON_START=changed``, indexing what it finds in the folder): a file written before it is
    ready is indexed by it, not by the ingest the test sends."""
    return len(re.findall(r"\bready: ", _log(server)))


@pytest.fixture
def two_workers(tmp_path: Path):
    settings = make_settings(tmp_path)
    server = ServerProcess(
        settings.seeds_dir,
        settings.index_dir,
        log_path=tmp_path / "server.log",
        RAG_WORKERS="2",
        RAG_API_KEY=KEY,
        RAG_QUERY_CACHE_SIZE="0",
    ).wait_healthy(timeout=180)
    deadline = time.monotonic() + 60
    while (len(_started(server)) < 2 or _ready(server) < 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    yield server, settings
    server.stop()


def _versions(url: str, n: int) -> set[str]:
    """Index versions reported by ``n`` health checks, each on a fresh connection (either worker)."""
    seen = set()
    for _ in range(n):
        with httpx.Client(base_url=url, timeout=30) as client:
            response = client.get("/api/health")
            assert response.status_code == 200, response.text
            seen.add(response.json()["index_version"])
    return seen


def test_an_ingest_through_one_worker_is_seen_by_every_worker(two_workers) -> None:
    server, settings = two_workers
    assert len(_started(server)) == 2 and _ready(server) == 2, server.output()
    before = _versions(server.url, 10)
    assert len(before) == 1
    (settings.seeds_dir / "harbour.txt").write_text(
        "Harbour notes\n\nThe harbour master of Port Evander is Mira Castellan. She took office in 2019.\n",
        encoding="utf-8",
    )
    ingest = httpx.post(f"{server.url}/api/ingest", headers={"X-API-Key": KEY}, timeout=120)
    assert ingest.status_code == 200 and ingest.json()["added"] == ["harbour.txt"]
    after = _versions(server.url, 30)
    assert after == {ingest.json()["version"]} and after != before
    # The worker that did not run the ingest switched by itself, and says so in the log.
    assert "now serving index" in _log(server)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for _ in range(6):
            answer = client.post("/api/ask", json={"question": "Who is the harbour master of Port Evander?"})
            assert "Mira Castellan" in answer.json()["answer"]


def test_sighup_restarts_the_workers_without_dropping_requests(two_workers) -> None:
    server, _ = two_workers
    first = set(_started(server))

    async def load_while_restarting():
        load = asyncio.create_task(run_load(server.url, 1500, 8, default_questions()))
        await asyncio.sleep(0.5)
        os.kill(server.process.pid, signal.SIGHUP)
        return await load

    result = asyncio.run(load_while_restarting())
    deadline = time.monotonic() + 120
    while len(set(_started(server)) - first) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(set(_started(server)) - first) == 2, server.output()  # both workers replaced
    assert result.errors == 0, result.statuses
    assert _versions(server.url, 4)


def test_ctrl_c_leaves_no_leaked_semaphore(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) on ``serve --workers 2`` while its
    workers are still indexing at start-up: the supervisor's resource tracker finds nothing to clean up
    (tqdm's process lock was reported as 2 leaked semaphores)."""
    import subprocess
    import sys

    from rag_service.bench.server import free_port

    settings = make_settings(tmp_path)
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "RAG_SEEDS_DIR": str(settings.seeds_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_PORT": str(free_port()),
        "RAG_WORKERS": "2",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rag_service.cli", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while log.read_text().count("Started server process") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the workers are loading the model and indexing the folder
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) is not None
    output = log.read_text()
    assert output.count("Started server process") == 2, output[-3000:]
    assert "leaked" not in output and "resource_tracker" not in output, output[-3000:]
