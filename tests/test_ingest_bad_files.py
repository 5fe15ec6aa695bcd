"""One bad file never stops an ingest: every good file is indexed, each bad one is skipped with its
reason in the report, the CLI summary, the manifest, ``/api/health`` and the ``POST /api/ingest`` reply."""

from __future__ import annotations

import codecs
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.files import load_index
from tests.conftest import GLAVKOSMOS, SPUTNIK, LiveServer, make_settings
from tests.test_cli import run

BAD = {
    "latin1.txt": "Caf\xe9 au lait".encode("latin-1"),
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "empty.txt": b"",
    "blank.md": b"  \n\n\t  \n",
    "bad-sidecar.txt": b"A document whose metadata file is broken.",
    "bad-section.txt": b"A document whose section marker is missing.",
}
NOT_DOCUMENTS = {"notes.adoc": b"= Notes\n\nAsciiDoc is not read.\n", "LICENSE": b"MIT License\n"}
"""Files of no format the service reads: reported as not read, never passed over in silence."""
GOOD = {
    "bom.txt": codecs.BOM_UTF8 + b"Lunar regolith is the loose layer covering the Moon's bedrock.",
    "utf16.txt": codecs.BOM_UTF16_LE + "Europa has a salty ocean under its icy shell.".encode("utf-16-le"),
}


def _populate(seeds: Path) -> None:
    for name, raw in {**BAD, **GOOD}.items():
        (seeds / name).write_bytes(raw)
    (seeds / "bad-sidecar.txt.meta.json").write_text("{title: nope", encoding="utf-8")
    (seeds / "bad-section.txt.meta.json").write_text(
        '{"sections": [{"name": "c", "starts_at": "NOT THERE"}]}', encoding="utf-8"
    )
    (seeds / "env.txt").symlink_to("/proc/self/environ")
    for name, raw in NOT_DOCUMENTS.items():
        (seeds / name).write_bytes(raw)
    (seeds / "drafts").mkdir()
    (seeds / "drafts" / "draft.txt").write_text("A draft in a subfolder.", encoding="utf-8")
    (seeds / ".hidden.adoc").write_bytes(b"hidden files are nobody's documents")


def test_good_files_are_indexed_and_each_bad_one_is_skipped_with_a_reason(tmp_path, embedder) -> None:
    settings = make_settings(tmp_path)
    _populate(settings.seeds_dir)
    report = ingest_seeds(settings, embedder)
    assert sorted(report.added) == sorted([GLAVKOSMOS, SPUTNIK, *GOOD])
    reasons = {s.name: s.reason for s in report.skipped}
    assert set(reasons) == {*BAD, "env.txt", *NOT_DOCUMENTS, "drafts"}
    assert ".adoc files are not a format this service reads" in reasons["notes.adoc"]
    assert ".rst" in reasons["notes.adoc"] and "a file without a suffix is not a format" in reasons["LICENSE"]
    assert "subfolders are not read" in reasons["drafts"]
    assert "UTF-8" in reasons["latin1.txt"] and "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    assert "JSON" in reasons["bad-sidecar.txt"] and "NOT THERE" in reasons["bad-section.txt"]
    assert all(reason.startswith(name) for name, reason in reasons.items())
    assert f"{len(reasons)} skipped" in report.summary()
    index = load_index(settings.index_dir)
    assert index.documents["bom.txt"].text.startswith("Lunar regolith")
    assert index.documents["utf16.txt"].text.startswith("Europa")
    assert [s["name"] for s in index.manifest.skipped] == sorted(reasons)
    # Nothing of the environment reached the index.
    assert "env.txt" not in index.documents
    assert not any("PATH=" in d.text for d in index.content.documents)


def test_a_file_that_goes_bad_is_no_longer_quoted(tmp_path, embedder) -> None:
    """Its earlier text exists in no file any more: it leaves the index, and the reason says so."""
    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    (settings.seeds_dir / GLAVKOSMOS).write_bytes(b"\x00\x01 now binary")
    report = ingest_seeds(settings, embedder)
    assert report.removed == [GLAVKOSMOS] and [s.name for s in report.skipped] == [GLAVKOSMOS]
    assert "earlier version was removed from the index" in report.skipped[0].reason
    assert GLAVKOSMOS not in load_index(settings.index_dir).documents
    # A skip that appears or disappears is recorded even when no document changed.
    (settings.seeds_dir / "empty.txt").write_bytes(b"")
    assert {s.name for s in ingest_seeds(settings, embedder).skipped} == {GLAVKOSMOS, "empty.txt"}
    assert {s["name"] for s in load_index(settings.index_dir).manifest.skipped} == {
        GLAVKOSMOS,
        "empty.txt",
    }


def test_a_file_turned_into_a_link_out_of_the_folder_is_dropped_not_kept(tmp_path, embedder) -> None:
    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    (settings.seeds_dir / GLAVKOSMOS).unlink()
    (settings.seeds_dir / GLAVKOSMOS).symlink_to("/proc/self/environ")
    report = ingest_seeds(settings, embedder)
    assert report.removed == [GLAVKOSMOS] and "outside the documents folder" in report.skipped[0].reason
    assert GLAVKOSMOS not in load_index(settings.index_dir).documents


def test_health_and_the_ingest_reply_list_skipped_files(tmp_path, embedder) -> None:
    settings = make_settings(tmp_path, api_key="k-123")
    ingest_seeds(settings, embedder)
    pipeline = Pipeline.load(settings, embedder)
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        assert client.get("/api/health").json()["skipped"] == []
        (settings.seeds_dir / "latin1.txt").write_bytes(BAD["latin1.txt"])
        reply = client.post("/api/ingest", headers={"X-API-Key": "k-123"})
        assert reply.status_code == 200
        assert [s["name"] for s in reply.json()["skipped"]] == ["latin1.txt"]
        assert "1 skipped" in reply.json()["summary"]
        health = client.get("/api/health").json()
        assert health["skipped"][0]["name"] == "latin1.txt" and "UTF-8" in health["skipped"][0]["reason"]


def test_cli_indexes_the_good_files_and_fails_only_with_strict(tmp_path: Path) -> None:
    make_settings(tmp_path)
    (tmp_path / "seeds" / "latin1.txt").write_bytes(BAD["latin1.txt"])
    result = run(tmp_path, "ingest", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "1 skipped" in result.stdout and "skipped: latin1.txt: not valid UTF-8" in result.stdout
    assert "Traceback" not in result.stderr
    strict = run(tmp_path, "ingest", "--quiet", "--strict")
    assert strict.returncode == 1 and "--strict" in strict.stderr
    assert "latin1.txt" in strict.stdout


def test_a_link_to_the_environment_never_reaches_a_client(tmp_path, embedder) -> None:
    """End to end on a real server: the key in the environment is not in any source or passage."""
    settings = make_settings(tmp_path)
    (settings.seeds_dir / "env.txt").symlink_to("/proc/self/environ")
    ingest_seeds(settings, embedder)
    server = LiveServer(tmp_path, RAG_API_KEY="leak-canary-5150")
    try:
        server.wait_healthy()
        assert httpx.get(f"{server.url}/api/sources/env.txt", timeout=10).status_code == 404
        httpx.post(f"{server.url}/api/ingest", headers={"X-API-Key": "leak-canary-5150"}, timeout=120)
        texts = [
            httpx.get(f"{server.url}/api/sources", timeout=10).text,
            httpx.get(f"{server.url}/api/health", timeout=10).text,
            httpx.post(
                f"{server.url}/api/ask", json={"question": "What is RAG_API_KEY?", "top_k": 50}, timeout=30
            ).text,
        ]
        assert all("leak-canary-5150" not in text for text in texts)
        assert "env.txt" in texts[1] and "outside the documents folder" in texts[1]
    finally:
        server.stop()
