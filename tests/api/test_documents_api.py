"""``/api/documents``: upload, list, inspect, replace and delete real files through the real app and index."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from tests.conftest import GLAVKOSMOS, SPUTNIK, make_settings
from tests.documents import writers

KEY = {"Authorization": "Bearer up-key-9"}
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def managed(tmp_path: Path, embedder):
    settings = make_settings(tmp_path, api_key="up-key-9", max_upload_mb=5, max_upload_files=4)
    ingest_seeds(settings, embedder)
    with TestClient(create_app(settings, pipeline=Pipeline.load(settings, embedder))) as test_client:
        yield test_client, settings


def _upload(client: TestClient, *files: tuple[str, bytes, str], headers=KEY):
    return client.post("/api/documents", files=[("files", f) for f in files], headers=headers)


def _upload_pdf_and_html(client: TestClient):
    files = (
        ("crossings.pdf", writers.multipage_pdf(), PDF),
        ("lighthouses.html", writers.article_html(), "text/html"),
    )
    return _upload(client, *files)


def _ask(client: TestClient, question: str) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_upload_a_pdf_then_ask_and_get_the_page_cited(managed) -> None:
    client, settings = managed
    response = _upload(
        client,
        ("crossings.pdf", writers.multipage_pdf(), PDF),
        ("orchard.docx", writers.report_docx(), DOCX),
        ("locked.pdf", writers.multipage_pdf(encrypt=True), PDF),
    )
    assert response.status_code == 200, response.text
    change = response.json()
    assert change["uploaded"] == [
        {"name": "crossings.pdf", "replaced": False},
        {"name": "orchard.docx", "replaced": False},
    ]
    assert change["added"] == ["crossings.pdf", "orchard.docx"]
    assert change["rejected"] == [
        {
            "name": "locked.pdf",
            "reason": "locked.pdf: an encrypted PDF; remove the password and upload it again",
        }
    ]
    assert not (settings.seeds_dir / "locked.pdf").exists()

    answer = _ask(client, writers.PAGE_TWO_QUESTION)
    cited = [c for c in answer["citations"] if c["source"] == "crossings.pdf"]
    assert cited and cited[0]["page"] == 2 and "Varnholt" in answer["answer"]
    assert all(c["quote"] != " ".join(writers.TABLE_HEADER) for c in answer["citations"])  # metadata
    text = client.get("/api/sources/crossings.pdf").json()["text"]
    for citation in answer["citations"]:
        if citation["source"] == "crossings.pdf":
            assert text[citation["start"] : citation["end"]] == citation["quote"]

    answer = _ask(client, "What damaged the harvest in the orchard survey?")
    cited = next(c for c in answer["citations"] if "Codling moth" in c["quote"])
    assert cited["source"] == "orchard.docx" and cited["heading"] == "Orchard survey 2025 › Findings › Pests"


def test_upload_an_odt_and_an_epub_then_ask_and_list_them(managed) -> None:
    """Real files written by pandoc (``tests/documents/data/README.md``), uploaded with the media types
    browsers send for them."""
    client, _ = managed
    data = Path(__file__).parents[1] / "documents" / "data"
    response = _upload(
        client,
        (
            "building.odt",
            (data / "nodejs-building.odt").read_bytes(),
            "application/vnd.oasis.opendocument.text",
        ),
        ("book.epub", (data / "nodejs-path-timers.epub").read_bytes(), "application/epub+zip"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == ["book.epub", "building.odt"]
    by_name = {d["name"]: d for d in client.get("/api/documents").json()["documents"]}
    assert (by_name["building.odt"]["type"], by_name["book.epub"]["type"]) == ("odt", "epub")
    assert by_name["book.epub"]["title"] == "Node.js API: path and timers"
    answer = _ask(client, "What does path.basename return?")
    cited = next(c for c in answer["citations"] if "last portion of a path" in c["quote"])
    assert cited["source"] == "book.epub" and cited["heading"] == "Path › path.basename(path[, suffix])"
    text = client.get("/api/sources/book.epub").json()["text"]
    assert text[cited["start"] : cited["end"]] == cited["quote"]


def test_list_and_inspect_documents(managed) -> None:
    client, settings = managed
    _upload_pdf_and_html(client)
    listing = client.get("/api/documents").json()
    by_name = {d["name"]: d for d in listing["documents"]}
    assert set(by_name) == {GLAVKOSMOS, SPUTNIK, "crossings.pdf", "lighthouses.html"}
    pdf = by_name["crossings.pdf"]
    assert pdf["type"] == "pdf" and pdf["pages"] >= 3 and pdf["title"] == "The Marrow River crossings"
    assert pdf["size"] == (settings.seeds_dir / "crossings.pdf").stat().st_size and pdf["chunks"] > 0
    assert by_name["lighthouses.html"]["type"] == "html" and by_name["lighthouses.html"]["pages"] is None
    assert by_name[SPUTNIK]["type"] == "text"
    detail = client.get("/api/documents/lighthouses.html").json()
    assert "Lighthouses of the coast › Vellmar" in [h["label"] for h in detail["headings"]]
    assert detail["tables"][0]["label"] == "Lighthouse | Built"
    pages = client.get("/api/documents/crossings.pdf").json()["page_regions"]
    assert [p["label"] for p in pages[:3]] == ["1", "2", "3"]
    assert client.get("/api/documents/nope.pdf").status_code == 404


def test_replace_by_uploading_the_same_name(managed) -> None:
    client, _ = managed
    note = "# Depot keys\n\nThe code for the north gate of the depot is kept by the warden, {}."
    question = "Who keeps the code for the north gate of the depot?"
    _upload(client, ("keys.md", note.format("Olek Brand").encode(), "text/markdown"))
    assert "Olek Brand" in _ask(client, question)["answer"]
    change = _upload(client, ("keys.md", note.format("Ida Wren").encode(), "text/markdown")).json()
    assert change["uploaded"] == [{"name": "keys.md", "replaced": True}] and change["changed"] == ["keys.md"]
    answer = _ask(client, question)["answer"]
    assert "Ida Wren" in answer and "Olek Brand" not in answer


def test_delete_removes_the_file_and_its_answers(managed) -> None:
    client, settings = managed
    _upload(client, ("crossings.pdf", writers.multipage_pdf(), PDF))
    (settings.seeds_dir / "crossings.pdf.meta.json").write_text('{"title": "Crossings"}', encoding="utf-8")
    assert client.delete("/api/documents/crossings.pdf").status_code == 401
    response = client.delete("/api/documents/crossings.pdf", headers=KEY)
    assert response.status_code == 200 and response.json()["removed"] == ["crossings.pdf"]
    assert not (settings.seeds_dir / "crossings.pdf").exists()
    assert not (settings.seeds_dir / "crossings.pdf.meta.json").exists()
    answer = _ask(client, writers.PAGE_TWO_QUESTION)
    assert all(c["source"] != "crossings.pdf" for c in answer["citations"])
    assert client.delete("/api/documents/crossings.pdf", headers=KEY).status_code == 404


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../escape.txt", "escape.txt"),
        ("..\\..\\windows.md", "windows.md"),
        (".hidden.txt", "hidden.txt"),
        ("a<b>|c?.txt", "a_b_c_.txt"),
        ("/etc/cron.d/job.md", "job.md"),
        ("Über uns.MD", "Über uns.md"),
    ],
)
def test_names_are_sanitised_and_nothing_is_written_outside(managed, sent: str, stored: str) -> None:
    client, settings = managed
    before = {p for p in settings.seeds_dir.parent.rglob("*") if "index" not in p.parts}
    response = _upload(client, (sent, b"The lock was oiled by the night porter on Tuesday.", "text/plain"))
    assert response.status_code == 200, response.text
    assert response.json()["uploaded"] == [{"name": stored, "replaced": False}]
    after = {p for p in settings.seeds_dir.parent.rglob("*") if "index" not in p.parts}
    audit_trail = {p for p in after if p.name.startswith("access.sqlite3")}  # the upload's audit entry
    assert audit_trail and after - before - audit_trail == {settings.seeds_dir / stored}


def test_refusals_are_4xx_with_a_reason(managed, tmp_path: Path) -> None:
    client, settings = managed
    response = _upload(client, ("run.exe", b"MZ\x90\x00", "application/octet-stream"))
    assert response.status_code == 422 and "not a supported file type" in response.json()["detail"]
    response = _upload(client, ("photo.pdf", b"\x89PNG\r\n\x1a\n....", PDF))
    assert response.status_code == 422 and "PNG image" in response.json()["detail"]
    files = [(f"n{i}.txt", b"Some words in a file.", "text/plain") for i in range(5)]
    response = _upload(client, *files)
    assert response.status_code == 400 and "RAG_MAX_UPLOAD_FILES" in response.json()["detail"]
    response = _upload(client, ("huge.txt", b"x " * (3 * 1024 * 1024), "text/plain"))
    assert response.status_code == 413 and "RAG_MAX_UPLOAD_MB" in response.json()["detail"]
    response = client.post("/api/documents", headers=KEY, data={"other": "x"})
    assert response.status_code == 422 and "files" in str(response.json()["detail"])
    assert _upload(client, ("a.txt", b"words words words", "text/plain"), headers={}).status_code == 401
    names = sorted(p.name for p in settings.seeds_dir.iterdir())
    assert names == sorted([GLAVKOSMOS, SPUTNIK, GLAVKOSMOS + ".meta.json", SPUTNIK + ".meta.json"])


def test_upload_is_disabled_without_a_key(client) -> None:
    response = _upload(client, ("a.txt", b"words words words", "text/plain"))
    assert response.status_code == 403 and "RAG_API_KEY" in response.json()["detail"]
    assert client.delete(f"/api/documents/{SPUTNIK}").status_code == 403


def test_pdf_page_image_and_highlight_of_a_citation(managed) -> None:
    client, _ = managed
    _upload_pdf_and_html(client)
    citation = next(
        c for c in _ask(client, writers.PAGE_TWO_QUESTION)["citations"] if c["source"] == "crossings.pdf"
    )
    page = client.get(f"/api/documents/crossings.pdf/pages/{citation['page']}.png")
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG\r\n\x1a\n")
    query = {"start": citation["start"], "end": citation["end"]}
    found = client.get("/api/documents/crossings.pdf/pages/2/highlight", params=query).json()
    assert found["rects"] and round(found["width"]) == 595  # A4, as fpdf2 writes it
    for left, top, right, bottom in found["rects"]:
        assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1
    elsewhere = client.get("/api/documents/crossings.pdf/pages/1/highlight", params=query).json()
    assert elsewhere["rects"] == []
    assert client.get("/api/documents/crossings.pdf/pages/99.png").status_code == 404
    assert client.get("/api/documents/lighthouses.html/pages/1.png").status_code == 404
    bad = client.get("/api/documents/crossings.pdf/pages/2/highlight", params={"start": 5, "end": 5})
    assert bad.status_code == 400 and "start < end" in bad.json()["detail"]
