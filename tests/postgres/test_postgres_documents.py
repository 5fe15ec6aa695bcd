"""Documents kept in PostgreSQL (issue #34): two real service processes on one real database, each with
its own documents folder (as two machines would have), see the same documents whichever received them.

Before, the second could not show or delete what the first received, and an ingest through it dropped
the first's upload from the index."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg
import pytest

from rag_service.ingest import ingest_seeds
from rag_service.store.factory import make_store
from rag_service.store.postgres.local import LocalPostgres
from tests.conftest import LiveServer, make_settings
from tests.postgres.conftest import fresh_database, postgres_settings

pytestmark = pytest.mark.slow
KEY = "replica-key-123"
WRITER = {"Authorization": f"Bearer {KEY}"}
PDF = Path(__file__).parents[1] / "documents" / "data" / "shared-mime-info-spec.pdf"
LUNAR = "Lunar bases need water ice from the Shackleton crater near the Moon's south pole."
SATURN = "The Cassini probe ended its mission by diving into Saturn's atmosphere in September 2017."


def _ask(server: LiveServer, question: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=60)


def _cited(server: LiveServer, question: str) -> set[str]:
    answer = _ask(server, question)
    assert answer.status_code == 200, answer.text
    return {c["source"] for c in answer.json()["citations"]}


def _listed(server: LiveServer) -> dict[str, dict]:
    response = httpx.get(f"{server.url}/api/documents", timeout=30)
    assert response.status_code == 200, response.text
    return {d["name"]: d for d in response.json()["documents"]}


def _upload(server: LiveServer, name: str, data: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/documents", files=[("files", (name, data))], headers=WRITER, timeout=300
    )


def test_what_one_replica_receives_the_other_lists_answers_shows_and_deletes(
    tmp_path: Path, postgres: LocalPostgres
) -> None:
    url = fresh_database(postgres)
    make_settings(tmp_path / "a")  # the first machine's folder holds the seeds, imported at start-up
    (tmp_path / "b" / "seeds").mkdir(parents=True)  # the second's is empty
    env = {"RAG_STORE": "postgres", "RAG_DATABASE_URL": url, "RAG_API_KEY": KEY}
    first = LiveServer(tmp_path / "a", **env)
    first.wait_healthy()
    # The second reads records and texts on demand: what it lists, cites and shows comes from the database.
    second = LiveServer(tmp_path / "b", **env, RAG_INGEST_ON_START="never", RAG_DATABASE_VECTOR_CACHE="1000")
    try:
        second.wait_healthy()
        seeds = set(_listed(first))
        assert seeds and set(_listed(second)) == seeds

        assert _upload(first, "lunar.txt", LUNAR.encode()).status_code == 200
        pdf = _upload(first, "spec.pdf", PDF.read_bytes())
        assert pdf.status_code == 200, pdf.text
        listed = _listed(second)  # at once, through the other replica
        assert {"lunar.txt", "spec.pdf"} <= set(listed)
        assert listed["spec.pdf"]["size"] == PDF.stat().st_size and listed["spec.pdf"]["pages"] >= 1
        assert "lunar.txt" in _cited(second, "What do lunar bases need from the Shackleton crater?")
        page = httpx.get(f"{second.url}/api/documents/spec.pdf/pages/1.png", timeout=60)
        assert page.status_code == 200 and page.content.startswith(b"\x89PNG")
        assert not any((tmp_path / "b" / "seeds").iterdir())  # nothing landed in either folder
        assert not (tmp_path / "a" / "seeds" / "lunar.txt").exists()

        refused = _upload(second, "broken.pdf", b"%PDF-1.4 not really a PDF")
        assert refused.status_code == 422 and "broken.pdf" in refused.json()["detail"]
        # An upload and a re-index through the second never drop what the first received.
        assert _upload(second, "saturn.txt", SATURN.encode()).status_code == 200
        reindex = httpx.post(f"{second.url}/api/ingest", headers=WRITER, timeout=300)
        assert reindex.status_code == 200, reindex.text
        assert {"lunar.txt", "spec.pdf", "saturn.txt"} <= set(_listed(first))
        assert "saturn.txt" in _cited(first, "When did the Cassini probe dive into Saturn's atmosphere?")
        assert "lunar.txt" in _cited(first, "What do lunar bases need from the Shackleton crater?")

        # A delete through the second removes the file and its passages for both.
        gone = httpx.delete(f"{second.url}/api/documents/lunar.txt", headers=WRITER, timeout=300)
        assert gone.status_code == 200, gone.text
        for server in (first, second):
            assert "lunar.txt" not in _listed(server)
            assert "lunar.txt" not in _cited(server, "What do lunar bases need from the Shackleton crater?")
        missing = httpx.delete(f"{first.url}/api/documents/lunar.txt", headers=WRITER, timeout=60)
        assert missing.status_code == 404 and "no document file is named" in missing.json()["detail"]
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT name FROM rag_files WHERE collection = 'default'").fetchall()
        assert {r[0] for r in rows} == (seeds | {"spec.pdf", "saturn.txt"})
        assert "Traceback" not in first.output() + second.output()
    finally:
        second.stop()
        first.stop()


def test_a_folder_import_stores_new_and_changed_files_and_never_deletes(
    tmp_path: Path, postgres: LocalPostgres, embedder
) -> None:
    url = fresh_database(postgres)
    settings = postgres_settings(tmp_path / "a", url)
    seeds = ingest_seeds(settings, embedder, store=make_store(settings)).added
    other = postgres_settings(tmp_path / "b", url)
    for seed in other.seeds_dir.iterdir():
        seed.unlink()  # another machine's folder, with one file of its own
    (other.seeds_dir / "lunar.txt").write_text(LUNAR, encoding="utf-8")
    report = ingest_seeds(other, embedder, store=make_store(other))  # imports lunar.txt, drops nothing
    assert report.added == ["lunar.txt"] and not report.removed
    assert seeds and report.unchanged == seeds

    (other.seeds_dir / "lunar.txt").write_text(LUNAR + " It is cold there.", encoding="utf-8")
    changed = ingest_seeds(other, embedder, store=make_store(other))
    assert changed.changed == ["lunar.txt"] and not changed.removed and not changed.added
    again = ingest_seeds(settings, embedder, store=make_store(settings))  # the first folder: nothing new
    assert not again.touched
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT content FROM rag_files WHERE name = 'lunar.txt'").fetchone()
    assert stored is not None and bytes(stored[0]).endswith(b"It is cold there.")


def test_an_upload_replacing_a_stored_document_keeps_its_sidecar_or_is_refused_by_it(
    tmp_path: Path, database_url: str, embedder
) -> None:
    """The stored sidecar (read alone, without the old bytes) still has to fit the new text."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from rag_service.api.app import create_app
    from rag_service.pipeline import Pipeline

    settings = postgres_settings(tmp_path, database_url, api_key=SecretStr(KEY))
    ingest_seeds(settings, embedder)
    name = "002_d2227059bacb0655.txt"  # its sidecar starts a "comments" section at "cast235"
    original = (settings.seeds_dir / name).read_bytes()
    with TestClient(create_app(settings, pipeline=Pipeline.load(settings, embedder))) as client:
        refused = client.post(
            "/api/documents", files=[("files", (name, b"A short new text."))], headers=WRITER
        )
        assert refused.status_code == 422 and "cast235" in refused.json()["detail"]
        kept = client.post(
            "/api/documents",
            files=[("files", (name, original + b"\nAppendix: one more line.\n"))],
            headers=WRITER,
        )
        assert kept.status_code == 200, kept.text
    stored = make_store(settings).stored_file(name)  # type: ignore[attr-defined]
    assert stored.content.endswith(b"one more line.\n")
    assert stored.sidecar == (settings.seeds_dir / (name + ".meta.json")).read_bytes()


def test_documents_indexed_before_files_were_stored_are_kept_and_their_pages_say_how_to_show_them(
    tmp_path: Path, database_url: str, embedder
) -> None:
    """A database from before schema step 4 has versions but no ``rag_files`` rows: an ingest from
    another (empty) folder keeps those documents, and their page images are a 404 saying what to do
    until an ingest from their folder stores the files."""
    from fastapi.testclient import TestClient

    from rag_service.api.app import create_app
    from rag_service.pipeline import Pipeline

    settings = postgres_settings(tmp_path / "a", database_url)
    (settings.seeds_dir / PDF.name).write_bytes(PDF.read_bytes())
    ingest_seeds(settings, embedder)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM rag_files")  # as a database written before step 4 is
    elsewhere = postgres_settings(tmp_path / "b", database_url)
    elsewhere = elsewhere.model_copy(update={"seeds_dir": tmp_path / "b" / "empty"})
    elsewhere.seeds_dir.mkdir(parents=True)
    report = ingest_seeds(elsewhere, embedder)
    assert report.removed == [] and PDF.name in report.unchanged
    page = f"/api/documents/{PDF.name}/pages/1.png"
    with TestClient(create_app(elsewhere, pipeline=Pipeline.load(elsewhere, embedder))) as client:
        missing = client.get(page)
        assert missing.status_code == 404 and "ingest it again from its folder" in missing.json()["detail"]
        assert PDF.name in {d["name"] for d in client.get("/api/documents").json()["documents"]}
    ingest_seeds(settings, embedder)  # from the folder that has the files: they are stored now
    with TestClient(create_app(elsewhere, pipeline=Pipeline.load(elsewhere, embedder))) as client:
        shown = client.get(page)
        assert shown.status_code == 200 and shown.content.startswith(b"\x89PNG")
