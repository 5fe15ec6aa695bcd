"""Real service processes on a real PostgreSQL: outages, several replicas, a streaming standby, and an
ingest killed mid-transaction. No part of the database is mocked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from rag_service.errors import StoreUnavailableError
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.factory import make_store
from rag_service.store.postgres.local import LocalPostgres
from tests.conftest import ROOT, LiveServer, make_settings
from tests.postgres.conftest import fresh_database, postgres_settings

pytestmark = pytest.mark.slow
QUESTION = "How many space launches does Russia plan in 2017?"
NEW_QUESTION = "What do lunar bases need from the Shackleton crater?"
NEW_DOCUMENT = "Lunar bases need water ice from the Shackleton crater near the Moon's south pole."


def _server(tmp: Path, url: str, **env: str) -> LiveServer:
    make_settings(tmp)  # the seeds folder
    return LiveServer(tmp, RAG_STORE="postgres", RAG_DATABASE_URL=url, **env)


def _ask(server: LiveServer, question: str = QUESTION, timeout: float = 30) -> httpx.Response:
    return httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=timeout)


def _cited(response: httpx.Response) -> set[str]:
    return {c["source"] for c in response.json()["citations"]}


def _eventually_ok(server: LiveServer, seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = _ask(server)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def test_a_database_that_dies_mid_query_gives_503_and_the_service_recovers(tmp_path: Path) -> None:
    database = LocalPostgres.create()
    server = _server(tmp_path, database.url())  # the default RAG_DATABASE_TIMEOUT of 5 s
    try:
        server.wait_healthy()  # it built the index in the empty database at start-up
        assert _ask(server).status_code == 200
        statuses: list[int] = []
        stop = threading.Event()

        def keep_asking() -> None:
            while not stop.is_set():
                statuses.append(_ask(server).status_code)

        asker = threading.Thread(target=keep_asking)
        asker.start()
        deadline = time.monotonic() + 30  # the load must be answered before the database dies, bounded
        while 200 not in statuses and time.monotonic() < deadline:
            time.sleep(0.05)
        database.kill()
        time.sleep(1.0)
        waits = []
        for _ in range(5):  # while it is down, every answer is a quick 503, not a pool timeout waited out
            started = time.monotonic()
            down = _ask(server)
            waits.append(time.monotonic() - started)
            assert down.status_code == 503
        stop.set()
        asker.join(30)
        print(f"503s while the database was down took {', '.join(f'{w:.3f}' for w in waits)} s")
        assert max(waits) < 2.5, waits  # issue #30: within 2 s (it was up to 9.95 s)
        assert int(down.headers["Retry-After"]) > 0
        assert "index database" in down.json()["detail"] and "retry" in down.json()["detail"]
        assert httpx.get(f"{server.url}/api/health", timeout=30).status_code == 503
        assert set(statuses) <= {200, 503} and 200 in statuses and 503 in statuses
        database.start()
        back = _eventually_ok(server)
        assert back.status_code == 200 and _cited(back)
        assert "Traceback" not in server.output()
    finally:
        server.stop()
        database.destroy()


def test_two_services_answer_consistently_while_a_third_process_ingests(
    tmp_path: Path, postgres: LocalPostgres
) -> None:
    url = fresh_database(postgres)
    first = _server(tmp_path / "a", url)
    first.wait_healthy()
    second = _server(tmp_path / "b", url, RAG_INGEST_ON_START="never")
    try:
        second.wait_healthy()
        before = {s: _ask(s).json() for s in (first, second)}
        assert before[first]["answer"] == before[second]["answer"]
        make_settings(tmp_path / "c")
        (tmp_path / "c" / "seeds" / "lunar.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
        env = {
            **os.environ,
            "RAG_STORE": "postgres",
            "RAG_DATABASE_URL": url,
            "RAG_SEEDS_DIR": str(tmp_path / "c" / "seeds"),
            "HF_HUB_OFFLINE": "1",
        }
        ingest = subprocess.Popen([sys.executable, "-m", "rag_service.cli", "ingest"], env=env)
        seen: list[tuple[str, bool]] = []
        while ingest.poll() is None:
            for server in (first, second):
                old, new = _ask(server), _ask(server, NEW_QUESTION)
                assert old.status_code == new.status_code == 200
                assert old.json()["answer"] == before[first]["answer"]  # never a half-written corpus
                seen.append((server.url, "lunar.txt" in _cited(new)))
        assert ingest.wait(120) == 0
        for server in (first, second):  # each switches on its next request
            assert "lunar.txt" in _cited(_ask(server, NEW_QUESTION))
            assert _ask(server).json()["answer"] == before[first]["answer"]
        health = [httpx.get(f"{s.url}/api/health").json() for s in (first, second)]
        assert len({h["index_version"] for h in health}) == 1 and seen  # both serve the same, new version
        assert {h["store"] for h in health} == {"postgres"}
    finally:
        second.stop()
        first.stop()


def test_a_service_reads_from_a_streaming_replica(tmp_path: Path, embedder) -> None:
    primary = LocalPostgres.create()
    standby = primary.replica()
    server = None
    try:
        with psycopg.connect(standby.url()) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        server = _server(
            tmp_path, primary.url(), RAG_DATABASE_READ_URL=standby.url(), RAG_DATABASE_TIMEOUT="3"
        )
        server.wait_healthy()  # built on the primary, loaded from the standby once it replayed it
        answer = _ask(server)
        assert answer.status_code == 200 and _cited(answer)
        with psycopg.connect(standby.url()) as conn:  # the service's read pool is connected there
            clients = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'postgres' AND pid <> pg_backend_pid()"
            ).fetchone()
        assert clients is not None and clients[0] >= 1
        primary.stop()  # writes are impossible now; reads keep working from the standby
        after = _ask(server)
        assert after.status_code == 200 and after.json()["answer"] == answer.json()["answer"]
        settings = postgres_settings(tmp_path / "cli", primary.url(), database_timeout=2)
        with pytest.raises(StoreUnavailableError, match=r"cannot be reached|no connection"):
            ingest_seeds(settings, embedder, store=make_store(settings))
    finally:
        if server is not None:
            server.stop()
        standby.destroy()
        primary.destroy()


KILLED_INGEST = """
import sys, time
from rag_service.store.postgres import copy
real = copy.write_rows
def slow(conn, table, *args, **kwargs):
    real(conn, table, *args, **kwargs)
    if table.startswith("rag_sentences"):
        print("IN-TRANSACTION", flush=True)
        time.sleep(120)
copy.write_rows = slow
from rag_service.cli import main
sys.exit(main(["ingest"]))
"""


def test_an_ingest_killed_mid_transaction_leaves_the_previous_version_intact(
    tmp_path: Path, postgres: LocalPostgres, embedder
) -> None:
    url = fresh_database(postgres)
    settings = postgres_settings(tmp_path, url)
    before = ingest_seeds(settings, embedder, store=make_store(settings)).version
    (settings.seeds_dir / "lunar.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
    env = {
        **os.environ,
        "RAG_STORE": "postgres",
        "RAG_DATABASE_URL": url,
        "RAG_SEEDS_DIR": str(settings.seeds_dir),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "IN-TRANSACTION"
    with psycopg.connect(url) as conn:  # the half-written version is invisible to readers
        partitions = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'rag_chunks_v%'"
        ).fetchone()
        assert partitions == (1,)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()
    store = make_store(settings)
    assert store.current_version() == before
    index = Pipeline.load(settings, embedder).index
    assert index.version == before and "lunar.txt" not in index.documents
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM rag_versions").fetchone() == (1,)
    after = ingest_seeds(settings, embedder, store=store)  # the writer lock died with the process
    assert after.version != before and after.added == ["lunar.txt"]
