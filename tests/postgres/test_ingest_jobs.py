"""Ingest jobs and workers (``ingest_jobs``, ``store.postgres.jobs``) on a real PostgreSQL: a queued
ingest builds the index a direct ingest builds, unreadable files are reported with their reasons, real
``rag-service worker`` processes share a job, and a worker killed mid-file loses and doubles nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.bench.workers import start_worker
from rag_service.cli import main
from rag_service.errors import IndexMissingError, StoreUnavailableError
from rag_service.ingest import ingest_seeds
from rag_service.ingest_jobs import Worker, enqueue
from rag_service.pipeline import Pipeline
from rag_service.store.factory import make_store
from rag_service.store.postgres import jobs
from rag_service.store.postgres.local import LocalPostgres
from tests.postgres.conftest import fresh_database, postgres_settings

LONG = "\n\n".join(
    f"Paragraph {n} of the station log. The crew of module {n % 7} checked the pressure valves, "
    f"recorded a reading of {n * 3} kilopascals and replaced filter number {n} before the next orbit."
    for n in range(900)
)


def _progress(settings) -> dict:
    store = make_store(settings)
    figures = store.database.read(lambda conn: jobs.progress(conn, store.collection))  # type: ignore[attr-defined]
    assert figures is not None
    return figures


def _content(settings):
    return make_store(settings).load().content


def test_a_queued_ingest_builds_what_a_direct_ingest_builds(tmp_path: Path, postgres, embedder) -> None:
    queued = postgres_settings(tmp_path / "q", fresh_database(postgres))
    (queued.seeds_dir / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    direct = postgres_settings(tmp_path / "d", fresh_database(postgres))
    (direct.seeds_dir / "broken.pdf").write_bytes(b"%PDF-1.4 not really a PDF")
    job, skipped = enqueue(queued, embedder)
    assert skipped == []
    figures = _progress(queued)
    assert (figures["job"], figures["state"], figures["done"], figures["pending"]) == (job, "running", 0, 3)
    assert Worker(queued, embedder).run(until_idle=True) == 4  # three files, then the version
    figures = _progress(queued)
    assert (figures["state"], figures["done"], figures["failed"], figures["pending"]) == ("done", 2, 1, 0)
    assert figures["failures"][0]["name"] == "broken.pdf" and "broken.pdf" in figures["failures"][0]["reason"]
    assert figures["version"] == make_store(queued).current_version()
    assert sorted(ingest_seeds(direct, embedder).added) == [d.name for d in _content(direct).documents]
    got, want = _content(queued), _content(direct)
    assert [d.name for d in got.documents] == [d.name for d in want.documents]
    assert got.chunks == want.chunks and got.sentences == want.sentences
    assert np.allclose(got.chunk_vectors, want.chunk_vectors, atol=1e-5)
    assert np.allclose(got.sentence_vectors, want.sentence_vectors, atol=1e-5)
    skipped_names = [s["name"] for s in make_store(queued).load().manifest.skipped]
    assert skipped_names == ["broken.pdf"]
    # Nothing changed: a second job reads only the unreadable file again, and keeps the version.
    enqueue(queued, embedder)
    assert Worker(queued, embedder).run(until_idle=True) == 2
    assert _progress(queued)["version"] == figures["version"]
    app = create_app(queued.model_copy(update={"api_key": None}), pipeline=Pipeline.load(queued, embedder))
    with TestClient(app) as client:
        health = client.get("/api/health").json()
    assert health["ingest_job"]["job"] == job + 1 and health["ingest_job"]["state"] == "done"
    assert health["ingest_job"]["failures"] == figures["failures"]


def _worker(settings, log: Path) -> subprocess.Popen:
    return start_worker(settings, log)


def _claimed(url: str) -> int:
    """Worker connections holding a claim (a transaction left open while they work on a file)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'rag-service worker%' "
            "AND state LIKE 'idle in transaction%'"
        ).fetchone()
    return int(row[0]) if row else 0


def test_workers_share_a_job_and_one_killed_mid_file_loses_and_doubles_nothing(
    tmp_path: Path, postgres, embedder
) -> None:
    two = postgres_settings(tmp_path / "two", fresh_database(postgres))
    one = postgres_settings(tmp_path / "one", fresh_database(postgres))
    for settings in (two, one):
        (settings.seeds_dir / "station-log.txt").write_text(LONG, encoding="utf-8")
        enqueue(settings, embedder)
    url = two.database_url.get_secret_value()  # type: ignore[union-attr]
    victim = _worker(two, tmp_path / "victim.log")
    deadline = time.monotonic() + 120
    while _claimed(url) == 0:  # the victim has claimed a file and is working on it
        assert victim.poll() is None and time.monotonic() < deadline, (tmp_path / "victim.log").read_text()
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    figures = _progress(two)
    assert figures["done"] + figures["failed"] < figures["files"]  # its file went back to pending
    workers = [_worker(two, tmp_path / f"w{n}.log") for n in range(2)]
    for worker in workers:
        assert worker.wait(600) == 0, (tmp_path / "w0.log").read_text() + (tmp_path / "w1.log").read_text()
    with psycopg.connect(url) as conn:
        who = {r[0].split(":")[0] for r in conn.execute("SELECT worker FROM rag_job_files")}
    assert len(who) == 1  # both on this host
    figures = _progress(two)
    assert (figures["state"], figures["done"], figures["failed"]) == ("done", 3, 0), figures
    assert Worker(one, embedder).run(until_idle=True) == 4  # the same job with one worker, in process
    got, want = _content(two), _content(one)
    assert got.chunks == want.chunks  # nothing lost, nothing doubled
    assert np.array_equal(got.chunk_vectors, want.chunk_vectors)  # identical, however many workers
    assert np.array_equal(got.sentence_vectors, want.sentence_vectors)
    assert figures["chunks"] == len(got.chunks)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_cli_queues_an_ingest_waits_for_a_worker_and_reports_it(
    tmp_path: Path, postgres, monkeypatch, capsys, stop: signal.Signals
) -> None:
    """The worker starts with SIGINT ignored, as a shell leaves it for a command run in the background
    (``worker &``): it stops on SIGINT all the same, and on SIGTERM (``docker compose stop``), cleanly."""
    settings = postgres_settings(tmp_path, fresh_database(postgres))
    env = {
        "RAG_STORE": "postgres",
        "RAG_DATABASE_URL": settings.database_url.get_secret_value(),  # type: ignore[union-attr]
        "RAG_SEEDS_DIR": str(settings.seeds_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "HF_HUB_OFFLINE": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (settings.seeds_dir / "empty.txt").write_text("", encoding="utf-8")
    worker = subprocess.Popen(
        [sys.executable, "-m", "rag_service.cli", "worker", "--poll", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert main(["ingest", "--queue"]) == 0
    finally:
        worker.send_signal(stop)
        try:
            said, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()  # never left behind to count as a connected worker in later tests
            raise
    assert worker.returncode == 130  # stopped by the signal, its claim rolled back
    out = capsys.readouterr().out
    assert "queued job 1" in out and "job 1 done: 2 of 3 file(s) done, 1 failed, 0 pending" in out
    assert "failed: empty.txt" in out and "version v-" in out
    assert said.count("000_47ffcb0c647e5e31.txt") == 1 and "job 1" in said  # each file once, then the version
    assert main(["jobs"]) == 0
    assert "job 1 done" in capsys.readouterr().out
    monkeypatch.setenv("RAG_STORE", "faiss")
    assert main(["worker", "--until-idle"]) == 1
    assert "need RAG_STORE=postgres" in capsys.readouterr().err


def _attempts(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT coalesce(sum(attempts), 0) FROM rag_job_attempts").fetchone()
    return int(row[0]) if row else 0


def _kill_mid_file(settings, url: str, log: Path, counted: int) -> None:
    """Start a worker process, wait until it holds a claim and has counted it (``counted`` claims in
    all), and SIGKILL it. The claim is visible a moment before its count commits on the worker's second
    connection: a kill in between is a claim never counted, which is not what these tests kill."""
    victim = _worker(settings, log)
    deadline = time.monotonic() + 120
    while _claimed(url) == 0 or _attempts(url) < counted:
        assert victim.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)


def test_a_file_that_takes_its_worker_down_three_times_is_failed_not_claimed_forever(
    tmp_path: Path, postgres, embedder
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a-station-log.txt").write_text(LONG, encoding="utf-8")  # claimed first: names in order
    (seeds / "b-note.txt").write_text("The airlock was inspected on Tuesday by the night crew.", "utf-8")
    settings = postgres_settings(tmp_path, fresh_database(postgres))
    job, _ = enqueue(settings, embedder)
    url = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        _kill_mid_file(settings, url, tmp_path / f"victim{attempt}.log", counted=attempt)
        with psycopg.connect(url) as conn:  # counted, though the claim itself was rolled back
            counted = conn.execute("SELECT name, attempts FROM rag_job_attempts").fetchall()
        assert counted == [("a-station-log.txt", attempt)]
        figures = _progress(settings)
        assert (figures["pending"], figures["done"]) == (2, 0), figures
    worker = Worker(settings, embedder)
    assert worker.step() == "a-station-log.txt"  # given up on, not read: recorded as failed
    assert worker.step() == "b-note.txt"  # read, its claim counted on a second connection
    assert _progress(settings)["workers"] == 1  # that connection is not another worker
    assert worker.run(until_idle=True) == 1  # finalizes
    figures = _progress(settings)
    assert (figures["job"], figures["state"], figures["done"], figures["failed"]) == (job, "done", 1, 1)
    failure = figures["failures"][0]
    assert failure["name"] == "a-station-log.txt" and "stopped while reading it 3 times" in failure["reason"]
    assert [d.name for d in _content(settings).documents] == ["b-note.txt"]
    with psycopg.connect(url) as conn:  # the counts go with the job's staged results
        assert conn.execute("SELECT count(*) FROM rag_job_attempts").fetchone() == (0,)


class _Died(BaseException):
    """A worker's death as seen from inside it: nothing after it runs, its transaction rolls back."""


def test_a_job_whose_finalizing_takes_its_worker_down_three_times_is_closed_as_failed(
    tmp_path: Path, postgres, embedder, monkeypatch
) -> None:
    import rag_service.ingest_jobs as ingest_jobs

    settings = postgres_settings(tmp_path, fresh_database(postgres))
    job, _ = enqueue(settings, embedder)
    reader = Worker(settings, embedder)
    assert reader.step() is not None and reader.step() is not None  # the two files
    reader._close()

    def dies(*args):
        raise _Died

    monkeypatch.setattr(ingest_jobs, "finalize", dies)
    for _ in range(jobs.MAX_ATTEMPTS):  # each time a fresh worker, as a restarted process would be
        worker = Worker(settings, embedder)
        with pytest.raises(_Died):
            worker.step()
        worker._close()
        assert _progress(settings)["state"] == "running"  # rolled back with it: claimed again next time
    last = Worker(settings, embedder)
    assert last.step() == f"job {job}"  # the next worker gives up on it
    last._close()
    figures = _progress(settings)
    assert figures["state"] == "failed" and "stopped its worker 3 times" in figures["error"], figures
    with pytest.raises(IndexMissingError):  # no version half-written
        make_store(settings).current_version()
    with psycopg.connect(settings.database_url.get_secret_value()) as conn:  # type: ignore[union-attr]
        assert conn.execute("SELECT count(*) FROM rag_job_attempts").fetchone() == (0,)


def test_a_file_whose_reading_raises_is_failed_with_the_reason_and_the_job_goes_on(
    tmp_path: Path, postgres, embedder, monkeypatch, caplog
) -> None:
    import rag_service.ingest_jobs as ingest_jobs

    settings = postgres_settings(tmp_path, fresh_database(postgres))
    (settings.seeds_dir / "station-log.txt").write_text(LONG[:2000], encoding="utf-8")
    real = ingest_jobs.process

    def buggy(file, *args):  # a parser's bug on one file, as a worker would meet it
        if file.name == "station-log.txt":
            raise ZeroDivisionError("division by zero in a parser")
        return real(file, *args)

    monkeypatch.setattr(ingest_jobs, "process", buggy)
    enqueue(settings, embedder)
    assert Worker(settings, embedder).run(until_idle=True) == 4
    figures = _progress(settings)
    assert (figures["state"], figures["done"], figures["failed"]) == ("done", 2, 1), figures
    assert figures["failures"] == [
        {
            "name": "station-log.txt",
            "reason": "station-log.txt: reading it failed (ZeroDivisionError); see the worker's log",
        }
    ]
    assert "division by zero in a parser" in caplog.text  # the traceback went to the log
    assert "station-log.txt" not in [d.name for d in _content(settings).documents]


def test_a_worker_rides_out_a_database_restart_mid_file(tmp_path: Path, embedder) -> None:
    server = LocalPostgres.create()
    try:
        settings = postgres_settings(tmp_path, server.url())
        (settings.seeds_dir / "station-log.txt").write_text(LONG, encoding="utf-8")
        enqueue(settings, embedder)
        url = server.url()
        worker = _worker(settings, tmp_path / "worker.log")
        deadline = time.monotonic() + 120
        while _claimed(url) == 0:
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        server.stop("immediate")  # the claim dies with the server: nothing of it was committed
        time.sleep(1.0)
        server.start()
        assert worker.wait(600) == 0, (tmp_path / "worker.log").read_text()
        assert "database unavailable, retrying" in (tmp_path / "worker.log").read_text()
        deadline = time.monotonic() + 30
        while True:  # this process's own pool saw the restart too: it reconnects within seconds
            try:
                figures = _progress(settings)
                break
            except StoreUnavailableError:
                assert time.monotonic() < deadline
                time.sleep(0.5)
        assert (figures["state"], figures["done"], figures["failed"]) == ("done", 3, 0), figures
        content = _content(settings)
        assert figures["chunks"] == len(content.chunks)
        assert len({c.id for c in content.chunks}) == len(content.chunks)  # none doubled
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM rag_jobs WHERE state = 'running'").fetchone() == (0,)
    finally:
        server.destroy()


def test_the_worker_benchmark_reports_an_identical_index_for_each_count(tmp_path: Path, settings) -> None:
    from rag_service.bench.report import Report
    from rag_service.bench.workers import run_workers

    report = Report()
    sentences = [s.strip() + "." for s in LONG.split(".") if len(s.strip()) > 20]
    run_workers(report, settings, tmp_path, sentences, 20, (1, 2))
    text = report.markdown("")
    rows = [line for line in text.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2 and all("yes, bit for bit" in row and "| 2/2 |" in row for row in rows), text
