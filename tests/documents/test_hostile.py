"""Files that lie, hide, explode or are locked get a clear per-file reason and never stop an ingest."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from rag_service.documents.files import ReadOptions, load_document, scan_sources
from rag_service.documents.formats import extract, sniff
from rag_service.errors import DocumentError
from rag_service.ingest import ingest_seeds
from tests.conftest import make_settings
from tests.documents import writers


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


HOSTILE = {
    "locked.pdf": (lambda: writers.multipage_pdf(encrypt=True), "encrypted PDF"),
    "cut.pdf": (lambda: writers.multipage_pdf()[:2500], "not a readable PDF"),
    "bomb.docx": (writers.zip_bomb_docx, "zip bomb"),
    "picture.pdf": (_png, "PNG image"),
    "archive.docx": (lambda: writers.zip_archive({"data.csv": b"a,b\n1,2\n"}), "not a Word document"),
    "empty.html": (lambda: b"<!DOCTYPE html><nav>Home</nav><script>x()</script>", "no readable text"),
    "notes.txt": (lambda: b"\x00\x01\x02binary", "binary file"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_gets_a_clear_reason_quickly(name: str) -> None:
    make, reason = HOSTILE[name]
    raw = make()
    started = time.perf_counter()
    with pytest.raises(DocumentError, match=reason) as caught:
        extract(raw, name)
    assert time.perf_counter() - started < 10
    assert str(caught.value).startswith(f"{name}: ")


def test_the_content_decides_the_reader_not_the_name() -> None:
    pdf, docx_bytes, html = writers.multipage_pdf(), writers.report_docx(), writers.article_html()
    assert sniff.detect(pdf, "report.txt") == sniff.PDF
    assert sniff.detect(docx_bytes, "report.pdf") == sniff.DOCX
    assert sniff.detect(html, "page.txt") == sniff.HTML
    assert sniff.detect(b"# Title\n\ntext", "notes.html") == sniff.TEXT  # no markup: not read as HTML
    assert "Ilse Varnholt" in extract(pdf, "renamed.txt").text
    assert "Lindqvist orchard" in extract(docx_bytes, "renamed.pdf").text


def test_size_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"word " * 300_000)  # 1.5 MB
    (tmp_path / "small.txt").write_text("A small file with a few words.", encoding="utf-8")
    sources, skipped = scan_sources(tmp_path, ReadOptions(max_bytes=1024 * 1024))
    assert [s.name for s in sources] == ["small.txt"]
    (only,) = skipped
    assert (
        only.name == "big.txt" and "big.txt: 1.4 MB, over the 1 MB limit (RAG_MAX_DOCUMENT_MB)" in only.reason
    )
    assert load_document(sources[0]).text.startswith("A small file")


def test_one_hostile_file_never_stops_an_ingest(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path)
    for name, (make, _) in HOSTILE.items():
        (settings.seeds_dir / name).write_bytes(make())
    (settings.seeds_dir / "crossings.pdf").write_bytes(writers.multipage_pdf())
    report = ingest_seeds(settings, embedder)
    assert "crossings.pdf" in report.added
    skipped = {s.name: s.reason for s in report.skipped}
    assert set(skipped) == set(HOSTILE)
    for name, (_, reason) in HOSTILE.items():
        assert reason in skipped[name]
        assert str(tmp_path) not in skipped[name]


def test_a_giant_page_is_rendered_within_the_pixel_budget() -> None:
    """A PDF may declare a page of any size; OCR and the page view scale it down to a bounded bitmap."""
    from fpdf import FPDF

    from rag_service.documents.formats.pdf import MAX_RENDER_PIXELS
    from rag_service.documents.formats.pdf_view import render_page

    pdf = FPDF(format=(5000, 5000))  # millimetres: a page 5 m square, 1.3 G pixels at 300 dpi
    pdf.add_page()
    raw = bytes(pdf.output())  # no text layer: OCR would render it
    started = time.perf_counter()
    with pytest.raises(DocumentError, match="no text could be read"):
        extract(raw, "giant.pdf")
    png = render_page(raw, "giant.pdf", 1)
    with Image.open(io.BytesIO(png)) as image:
        assert image.width * image.height <= MAX_RENDER_PIXELS
    assert time.perf_counter() - started < 60
