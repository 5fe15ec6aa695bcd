"""Issue #30, second hardening round: each attack or fault that once got through, reproduced against the
real components (real files, the real ingest, the FastAPI app, real uvicorn processes)."""

from __future__ import annotations

import io
import os
import re
import socket
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.api.hosts import allowed_hosts, host_allowed, host_of
from rag_service.api.render_pool import RenderPool
from rag_service.budget import Budget
from rag_service.config import Settings
from rag_service.documents.files import scan_sources
from rag_service.documents.uploads import (
    MAX_NAME_BYTES,
    UploadBatch,
    clean_leftovers,
    safe_name,
    skeleton,
    stage_upload,
)
from rag_service.errors import BudgetExceededError, BusyError, DocumentError
from rag_service.ingest import ingest_seeds, read_options
from rag_service.pipeline import Pipeline
from rag_service.store.files import load_index
from tests.conftest import GLAVKOSMOS, SPUTNIK, LiveServer, make_settings

KEY = {"Authorization": "Bearer attack-key"}
NOTE = "Lunar regolith bricks were sintered by microwaves in the Tallinn furnace trial of 2031."


@pytest.fixture
def served(tmp_path: Path, embedder):
    settings = make_settings(tmp_path, api_key="attack-key")
    ingest_seeds(settings, embedder)
    pipeline = Pipeline.load(settings, embedder)
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        yield client, settings, pipeline


def _upload(client: TestClient, *files: tuple[str, bytes], headers=KEY) -> httpx.Response:
    return client.post("/api/documents", files=[("files", f) for f in files], headers=headers)


# 1. A symlink loop is one skipped entry, never a 500 or a stopped ingest.
def test_a_symlink_loop_is_one_skipped_entry(served) -> None:
    client, settings, _ = served
    (settings.seeds_dir / "a.txt").symlink_to("b.txt")
    (settings.seeds_dir / "b.txt").symlink_to("a.txt")
    sources, skipped = scan_sources(settings.seeds_dir)
    assert {s.name for s in skipped} == {"a.txt", "b.txt"}
    assert all("loops" in s.reason and str(settings.seeds_dir) not in s.reason for s in skipped)
    assert len(sources) == 2
    uploaded = _upload(client, ("notes.txt", NOTE.encode()))
    assert uploaded.status_code == 200, uploaded.text
    assert {s["name"] for s in uploaded.json()["skipped"]} == {"a.txt", "b.txt"}
    assert client.delete("/api/documents/notes.txt", headers=KEY).status_code == 200
    assert client.get("/api/health").status_code == 200


# 10. A hard link to a file outside the folder is refused unless allowed.
def test_hard_links_are_refused_unless_allowed(tmp_path: Path) -> None:
    outside = tmp_path / "private.txt"
    outside.write_text("The vault code is 4417, said nobody in public.", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    os.link(outside, folder / "linked.txt")
    sources, skipped = scan_sources(folder, read_options(Settings(seeds_dir=folder)))
    assert not sources and "hard link" in skipped[0].reason and "RAG_ALLOW_HARDLINKS" in skipped[0].reason
    allowed = read_options(Settings(seeds_dir=folder, allow_hardlinks=True))
    assert [s.name for s in scan_sources(folder, allowed)[0]] == ["linked.txt"]


# 2. An anonymous upload is refused from its headers: not one byte of the body is read.
def test_an_anonymous_upload_is_refused_before_its_body(live_server: LiveServer) -> None:
    head = (
        b"POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 50000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(head)  # and no body at all: a server that waited for it would time out
        reply = b""
        while b"API key" not in reply:  # headers and body may come in separate segments
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.split(b"\r\n")[0].split()[1] == b"401"
    assert b"missing or wrong API key" in reply


@pytest.mark.slow
def test_uploads_beyond_the_upload_slots_get_503(tmp_path: Path, embedder) -> None:
    """On a real server with one upload slot: while one client is still sending its upload, the next
    upload is turned away at once; once that client is gone, uploads are taken again."""
    from tests.conftest import seeds_server

    upload = [("files", ("n.txt", NOTE.encode()))]
    with seeds_server(tmp_path, embedder, RAG_API_KEY="attack-key", RAG_MAX_UPLOADS="1") as server:
        head = (
            b"POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer attack-key\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 1000000\r\n\r\n"
            b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="slow.txt"\r\n\r\n'
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
            slow.sendall(head + b"a slow upload " * 100)  # and then nothing more for now
            deadline = time.monotonic() + 10
            while True:  # the slow upload holds the slot once a second one is refused
                refused = httpx.post(f"{server.url}/api/documents", headers=KEY, files=upload)
                if refused.status_code == 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert refused.status_code == 503 and refused.headers["retry-after"]
            assert "RAG_MAX_UPLOADS" in refused.json()["detail"]
        deadline = time.monotonic() + 30
        while True:  # the slow client has gone: its slot is free again
            taken = httpx.post(f"{server.url}/api/documents", headers=KEY, files=upload, timeout=60)
            if taken.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert taken.status_code == 200, taken.text


# 3. A name over 255 bytes is shortened; a request's files land together or not at all.
def test_a_very_long_name_is_shortened_to_fit_the_file_system(served) -> None:
    client, settings, _ = served
    name = "報告" * 100 + ".txt"  # 600 bytes of UTF-8
    response = _upload(client, (name, NOTE.encode()))
    assert response.status_code == 200, response.text
    (stored,) = [u["name"] for u in response.json()["uploaded"]]
    assert len(stored.encode()) <= MAX_NAME_BYTES and (settings.seeds_dir / stored).is_file()
    assert len(safe_name("x" * 400 + ".md").encode()) <= MAX_NAME_BYTES


def test_a_request_whose_second_file_cannot_land_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "first.txt").write_text("The first file as it was.", encoding="utf-8")
    options = read_options(Settings(seeds_dir=folder))
    batch = UploadBatch(folder)
    for name in ("first.txt", "second.txt"):
        text = f"A new version of {name} about lunar regolith bricks.".encode()
        batch.add(stage_upload(folder, name, io.BytesIO(text), len(text), options))
    (folder / "second.txt").mkdir()  # something in the way of the second file
    with pytest.raises(DocumentError, match="in the way"):
        batch.commit()
    batch.discard()
    assert (folder / "first.txt").read_text(encoding="utf-8") == "The first file as it was."
    assert sorted(p.name for p in folder.iterdir()) == ["first.txt", "second.txt"]


# 5. A small archive that inflates to a long ingest is refused at once; an ingest has a budget.
def _epub_of_big_chapters(chapters: int = 20, size: int = 1_000_000) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'version="1.0"><rootfiles><rootfile full-path="book.opf" '
            'media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        items = "".join(
            f'<item id="c{i}" href="c{i}.html" media-type="application/xhtml+xml"/>' for i in range(chapters)
        )
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(chapters))
        archive.writestr(
            "book.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            f"<metadata/><manifest>{items}</manifest><spine>{spine}</spine></package>",
        )
        paragraph = "<p>The ferry crossed the strait again and again in the grey morning.</p>"
        body = paragraph * (size // len(paragraph))
        for i in range(chapters):
            archive.writestr(
                f"c{i}.html", f"<html><body>{body}</body></html>", compress_type=zipfile.ZIP_DEFLATED
            )
    return buffer.getvalue()


def test_a_small_epub_that_inflates_to_20_mb_of_text_is_refused_at_once(served) -> None:
    client, settings, _ = served
    raw = _epub_of_big_chapters()
    assert len(raw) < 200_000
    started = time.monotonic()
    response = _upload(client, ("book.epub", raw))
    assert response.status_code == 422 and "zip bomb" in response.json()["detail"]
    assert time.monotonic() - started < 60  # refused from the archive's directory, not after reading it
    assert not (settings.seeds_dir / "book.epub").exists()


def test_an_upload_over_its_budget_is_undone(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path, api_key="attack-key", write_budget_seconds=0.001)
    ingest_seeds(settings, embedder)
    before = load_index(settings.index_dir).version
    original = (settings.seeds_dir / GLAVKOSMOS).read_bytes()
    with TestClient(create_app(settings, pipeline=Pipeline.load(settings, embedder))) as client:
        response = _upload(client, ("notes.txt", NOTE.encode()), (GLAVKOSMOS, b"Replaced text only."))
    assert response.status_code == 422 and "RAG_WRITE_BUDGET_SECONDS" in response.json()["detail"]
    assert not (settings.seeds_dir / "notes.txt").exists()
    assert (settings.seeds_dir / GLAVKOSMOS).read_bytes() == original
    assert not [p for p in settings.seeds_dir.iterdir() if p.name.startswith(".upload-")]
    assert load_index(settings.index_dir).version == before


def test_a_budget_stops_an_ingest_before_it_writes(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(BudgetExceededError):
        ingest_seeds(settings, embedder, budget=Budget(0.0))
    cancelled = Budget(60, cancelled=lambda: True)
    with pytest.raises(Exception, match="client has gone"):
        ingest_seeds(settings, embedder, budget=cancelled)
    assert not (settings.index_dir / "CURRENT").exists()


def test_a_write_waits_for_another_at_most_its_budget(served) -> None:
    _, _, pipeline = served
    import threading

    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pipeline.writing():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(BusyError, match="retry"), pipeline.writing(wait=0.2):
            pass
    finally:
        release.set()
        holder.join()


# 6. Files a crash leaves behind: health says so, a restart finishes the work, leftovers go.
def test_health_reports_drift_and_a_restart_finishes_the_work(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path, api_key="attack-key")
    ingest_seeds(settings, embedder)
    with TestClient(create_app(settings, pipeline=Pipeline.load(settings, embedder))) as client:
        (settings.seeds_dir / "landed.txt").write_text(NOTE, encoding="utf-8")
        (settings.seeds_dir / ".upload-999999-abcd.part").write_bytes(b"half an upload")
        health = client.get("/api/health").json()
        assert health["status"] == "out_of_date"
        assert health["folder"]["not_indexed"] == {"count": 1, "names": ["landed.txt"]}
    with TestClient(create_app(settings)) as client:  # a restart: loads, cleans, finishes the ingest
        deadline = time.monotonic() + 120
        while client.get("/api/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        health = client.get("/api/health").json()
        assert health["status"] == "ok" and health["folder"]["in_sync"], health
    assert "landed.txt" in load_index(settings.index_dir).documents
    assert not (settings.seeds_dir / ".upload-999999-abcd.part").exists()


def test_a_set_aside_document_is_restored_after_a_kill(tmp_path: Path) -> None:
    (tmp_path / ".upload-999999-beef.old-report.txt").write_text("the old report", encoding="utf-8")
    (tmp_path / ".upload-999999-cafe.old-kept.txt").write_text("old", encoding="utf-8")
    (tmp_path / "kept.txt").write_text("new", encoding="utf-8")
    done = clean_leftovers(tmp_path)
    assert len(done) == 2
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "the old report"
    assert (tmp_path / "kept.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt", "report.txt"]


# 7. Replacing a document whose sidecar no longer fits is refused with the sidecar's reason.
def test_a_replacement_that_breaks_the_sidecar_is_refused(served) -> None:
    client, settings, _ = served
    sidecar = settings.seeds_dir / f"{SPUTNIK}.meta.json"
    assert sidecar.exists()
    original = (settings.seeds_dir / SPUTNIK).read_bytes()
    response = _upload(client, (SPUTNIK, b"An entirely new text with none of the old sections."))
    assert response.status_code == 422 and "metadata" in response.json()["detail"]
    assert (settings.seeds_dir / SPUTNIK).read_bytes() == original


# 8. Page renders wait in their own small pool, and beyond its queue get 503 at once.
def test_renders_beyond_the_queue_are_refused() -> None:
    import asyncio
    import threading

    async def flood() -> None:
        pool = RenderPool(workers=1, queue=1)
        gate = threading.Event()
        first = asyncio.create_task(pool.run(gate.wait, 10))
        second = asyncio.create_task(pool.run(gate.wait, 10))
        await asyncio.sleep(0.05)
        with pytest.raises(BusyError, match="RAG_MAX_WAITING_RENDERS"):
            await pool.run(gate.wait, 10)
        gate.set()
        assert await first and await second
        pool.close()

    asyncio.run(flood())


# 9. DNS rebinding: a request addressed to another host name is refused.
def test_requests_for_another_host_are_refused(served) -> None:
    client, _, _ = served
    response = client.get(f"/api/sources/{GLAVKOSMOS}", headers={"Host": "attacker.example"})
    assert response.status_code == 400 and "RAG_ALLOWED_HOSTS" in response.json()["detail"]
    assert client.get(f"/api/sources/{GLAVKOSMOS}", headers={"Host": "localhost:8000"}).status_code == 200


def test_the_default_hosts_are_loopback_and_the_bound_address(monkeypatch) -> None:
    monkeypatch.delenv("RAG_ALLOWED_HOSTS", raising=False)
    allowed = allowed_hosts(Settings(host="192.0.2.7"))
    assert allowed == ["localhost", "127.0.0.1", "::1", "192.0.2.7"]
    assert host_of("[::1]:8000") == "::1" and host_of("LocalHost:80") == "localhost"
    assert not host_allowed("attacker.example", allowed) and not host_allowed("127.0.0.1.nip.io", allowed)
    assert host_allowed("docs.example.org", ["*.example.org"]) and host_allowed("x", ["*"])


# 4. Workers exit when their supervisor is killed, and a restart on the same port works.
@pytest.mark.slow
def test_workers_exit_when_the_supervisor_is_killed(tmp_path: Path, embedder) -> None:
    import signal

    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    server = LiveServer(tmp_path, RAG_WORKERS="2").wait_healthy(timeout=180)
    try:
        children = _children(server.process.pid)
        assert children
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in children)
        restarted = _restart_on(tmp_path, server.port)
        try:
            assert httpx.get(f"{restarted.url}/api/health", timeout=30).status_code == 200
        finally:
            restarted.stop()
    finally:
        server.stop()


def _restart_on(tmp: Path, port: int) -> LiveServer:
    from rag_service.bench.server import ServerProcess

    return ServerProcess(tmp / "seeds", tmp / "index", port=port, log_path=tmp / "again.log").wait_healthy()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# 13. Sizes in the setting's unit, look-alike names, /docs offline.
def test_an_oversized_upload_is_reported_with_its_real_size(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path, api_key="attack-key", max_document_mb=1, max_upload_mb=5)
    ingest_seeds(settings, embedder)
    with TestClient(create_app(settings, pipeline=Pipeline.load(settings, embedder))) as client:
        response = _upload(client, ("big.txt", b"word " * 600_000))  # 3,000,000 bytes
    assert response.status_code == 422
    assert "big.txt: 2.9 MB, over the 1 MB limit" in response.json()["detail"]


def test_a_look_alike_name_is_refused(served) -> None:
    client, settings, _ = served
    assert _upload(client, ("report.txt", NOTE.encode())).status_code == 200
    cyrillic = "rep\u043ert.txt"  # Cyrillic о
    assert skeleton(cyrillic) == skeleton("report.txt") == skeleton("REPORT.txt")
    response = _upload(client, (cyrillic, NOTE.encode()))
    assert response.status_code == 422 and "looks the same as the document 'report.txt'" in response.text
    assert not (settings.seeds_dir / cyrillic).exists()


def test_the_api_docs_load_nothing_from_elsewhere(served) -> None:
    client, _, _ = served
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn" not in html.lower() and "/docs-assets/" in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert client.get(f"/docs-assets/{asset}").status_code == 200


# 11. Markup in a document never becomes live markup in the text meant for display.
HOSTILE_NOTE = (
    "Ferry timetables changed in <script>alert('ferry')</script> the spring of 2031.\n\n"
    "The harbour office posts ferry timetables at [the office](javascript:alert('harbour')) daily.\n\n"
    "Ferry timetables cite the harbour charter [1] and <javascript:alert('charter')> for their rules.\n"
)


def test_markup_in_a_document_is_inert_in_answers(served) -> None:
    from markdown_it import MarkdownIt

    client, _, _ = served
    assert _upload(client, ("ferries.md", HOSTILE_NOTE.encode())).status_code == 200
    data = client.post(
        "/api/ask", json={"question": "What do ferry timetables cite and where are they posted?"}
    )
    answer = data.json()["answer"]
    assert "ferries.md" in {c["source"] for c in data.json()["citations"]}
    completion = client.post(
        "/v1/chat/completions",
        json={
            "model": "rag-service",
            "messages": [{"role": "user", "content": "When did ferry timetables change?"}],
        },
    ).json()["choices"][0]["message"]["content"]
    for text in (answer, completion):
        html = MarkdownIt("commonmark").render(text)
        assert "<script" not in html and "javascript:" not in html.split("href=")[-1][:20]
        assert "<a " not in html
    markers = {int(n) for n in re.findall(r"(?<!\\)\[(\d+)\]", answer)}  # a document's "[1]" is escaped
    assert markers == {c["n"] for c in data.json()["citations"]}
    quotes = [c["quote"] for c in data.json()["citations"]]
    assert any("[the office](javascript:" in q or "[1]" in q for q in quotes)  # the JSON keeps exact quotes


# 5. Work whose client has gone is stopped and undone.
@pytest.mark.slow
def test_an_upload_whose_client_leaves_is_stopped_and_undone(tmp_path: Path, embedder) -> None:
    from tests.conftest import seeds_server

    lines = [
        f"Ferry {i} leaves pier {i % 17} at {i % 24} hours with {i * 7 % 301} passengers."
        for i in range(25_000)
    ]
    big = "\n".join(lines).encode()  # 1.7 MB of distinct sentences: over a minute of embedding here
    with seeds_server(tmp_path, embedder, RAG_API_KEY="attack-key") as server:
        before = httpx.get(f"{server.url}/api/health", timeout=30).json()["index_version"]
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                f"{server.url}/api/documents", headers=KEY, files=[("files", ("ferries.txt", big))], timeout=8
            )  # the client gives up while the upload is being indexed
        seeds = tmp_path / "seeds"
        deadline = time.monotonic() + 60
        while (seeds / "ferries.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not (seeds / "ferries.txt").exists()
        assert not [p for p in seeds.iterdir() if p.name.startswith(".upload-")]
        health = httpx.get(f"{server.url}/api/health", timeout=30).json()
        assert health["index_version"] == before and health["folder"]["in_sync"]
        posts = [line for line in server.output().splitlines() if '"POST"' in line]
        assert posts and '"status": 499' in posts[-1], posts  # stopped as gone, not finished
