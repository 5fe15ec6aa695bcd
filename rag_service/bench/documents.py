"""Benchmark section: reading documents. Extraction throughput of each format, OCR, and the ingest of a
300-page PDF as users run it (``rag-service ingest`` in a fresh process: time and peak memory).

The files are written here by real writers (fpdf2 for PDF, python-docx for Word, Pillow for a scan)
from the benchmark's sentences, so every run measures the same kind of document: a report of about
3,000 characters a page, with a 20-row table every tenth page.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Sequence
from pathlib import Path

from rag_service.bench.ingest_runs import ingest_subprocess
from rag_service.bench.report import Report

PDF_PAGES = 300
OCR_PAGES = 3
PAGE_CHARS = 3000


def _paragraphs(sentences: Sequence[str], pages: int) -> list[list[str]]:
    """``pages`` lists of paragraphs, each page about ``PAGE_CHARS`` characters, in a seeded order."""
    rng = random.Random(11)
    out = []
    for _ in range(pages):
        page: list[str] = []
        while sum(len(p) for p in page) < PAGE_CHARS:
            page.append(" ".join(rng.choice(sentences) for _ in range(rng.randint(3, 6))))
        out.append(page)
    return out


def _latin1(text: str) -> str:
    """fpdf2's core fonts are Latin-1: other characters become '?' (the text is only a load)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(pages: list[list[str]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=8)
    for number, paragraphs in enumerate(pages, start=1):
        pdf.add_page()
        pdf.multi_cell(0, 4, _latin1(f"Section {number}\n\n" + "\n\n".join(paragraphs))[:4000])
        if number % 10 == 0:
            with pdf.table(line_height=4) as table:
                for row in [("Year", "Count", "Share")] + [
                    (str(1990 + i), str(i * 37), f"{i}%") for i in range(20)
                ]:
                    cells = table.row()
                    for value in row:
                        cells.cell(value)
    return bytes(pdf.output())


def write_html(pages: list[list[str]]) -> bytes:
    from html import escape

    body = "".join(
        f"<h2>Section {n}</h2>" + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        for n, paragraphs in enumerate(pages, start=1)
    )
    return (f"<!DOCTYPE html><html><head><title>Report</title></head><body><nav>Home</nav><main>"
            f"<h1>Report</h1>{body}</main><footer>Footer</footer></body></html>").encode()  # fmt: skip


def write_docx(pages: list[list[str]]) -> bytes:
    import docx

    document = docx.Document()
    for n, paragraphs in enumerate(pages, start=1):
        document.add_heading(f"Section {n}", level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_scan(pages: list[list[str]]) -> bytes:
    """An image-only PDF of ``pages`` (typeset, rasterised at 200 dpi, saved as images)."""
    import pypdfium2 as pdfium

    typeset = pdfium.PdfDocument(write_pdf(pages))
    images = [typeset[i].render(scale=200 / 72).to_pil().convert("L") for i in range(len(typeset))]
    typeset.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=200, save_all=True, append_images=images[1:])
    return out.getvalue()


def _rate(label: str, raw: bytes, name: str, pages: int, ocr: bool = False) -> list[str]:
    from rag_service.documents.formats import _extract_binary, sniff

    started = time.perf_counter()
    extracted = _extract_binary(raw, name, sniff.detect(raw, name), ocr)
    seconds = time.perf_counter() - started
    return [label, f"{pages}", f"{len(extracted.text) / 1e6:.2f}", f"{seconds:.2f}", f"{pages / seconds:.1f}"]


def run_documents(report: Report, sentences: Sequence[str], tmp: Path, pdf_pages: int = PDF_PAGES) -> None:
    pages = _paragraphs(sentences, pdf_pages)
    pdf = write_pdf(pages)
    scans = OCR_PAGES if pdf_pages >= 100 else 1
    scan = write_scan(pages[:scans])
    rows = [
        _rate(f"PDF text layer (PDFium), {len(pdf) / 1e6:.1f} MB", pdf, "report.pdf", pdf_pages),
        _rate("HTML (lxml), the same text", write_html(pages), "report.html", pdf_pages),
        _rate("Word (python-docx), the same text", write_docx(pages), "report.docx", pdf_pages),
        _rate("scanned PDF, OCR (Tesseract, 300 dpi)", scan, "scan.pdf", scans, ocr=True),
    ]
    report.table(
        f"Reading documents ({PAGE_CHARS:,}-character pages; HTML and Word pages are the PDF's text)",
        ["format", "pages", "M characters", "seconds", "pages/s"],
        rows,
    )
    folder = tmp / f"pdf-{pdf_pages}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.pdf").write_bytes(pdf)
    run = ingest_subprocess(folder, tmp / f"pdf-{pdf_pages}-index")
    report.table(
        f"Ingest of one {pdf_pages}-page PDF (`rag-service ingest`, a fresh process)",
        ["measure", "value"],
        [
            ["seconds (start, model load, extraction, chunks, embedding, write)", f"{run.seconds:.1f}"],
            ["chunks", f"{run.chunks}"],
            ["pages/s", f"{pdf_pages / run.seconds:.2f}"],
            ["chunks/s", f"{run.chunks / run.seconds:.1f}"],
            ["peak RSS", f"{run.peak_mb:.0f} MB"],
        ],
    )
    report.target(
        f"peak ingest RSS ≤ 1 GB ({pdf_pages}-page PDF)",
        "≤ 1024 MB",
        f"{run.peak_mb:.0f} MB",
        run.peak_mb <= 1024,
    )
