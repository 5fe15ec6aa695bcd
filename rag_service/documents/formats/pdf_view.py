"""Showing a cited PDF page: the page rendered as an image, and where on it the quoted text lies.

The chat page shows the original page, not only the extracted text, so a reader can check a citation
against the document as printed. Pages are rendered here with PDFium (the engine that extracted the
text) rather than by a PDF viewer in the browser: nothing but an image and a few rectangles leaves the
server, and the page keeps its strict content policy (no script from anywhere else, no PDF parser
running on untrusted files in the browser).

The quote is located by searching the page's text layer line by line: extraction keeps PDFium's lines
as lines (only their runs of spaces collapsed), so each line of a quote is found as typed. A line that is
not found whole (a hyphenation PDFium reported differently, say) is searched by its first and last few
words. Pages read by OCR have no text layer, so no rectangles: the page is shown without a highlight.
Both hold ``PDFIUM_LOCK`` throughout: PDFium must never run in two threads at once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium

from rag_service.documents.formats.pdf import PDFIUM_LOCK, render_scale
from rag_service.errors import DocumentError, NotFoundError

MAX_SCALE = 3.0
WORDS_AT_EACH_END = 4


@dataclass(frozen=True)
class Highlight:
    """Rectangles ``(left, top, right, bottom)`` as fractions of the page's width and height (from the
    top left), so the browser can lay them over the image at any size."""

    width: float
    height: float
    rects: list[tuple[float, float, float, float]]


def _open(raw: bytes, name: str, number: int) -> tuple[pdfium.PdfDocument, pdfium.PdfPage]:
    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"{name}: the file can no longer be read as a PDF") from exc
    if not 1 <= number <= len(pdf):
        pages = len(pdf)
        pdf.close()
        raise NotFoundError(f"{name} has {pages} pages; page {number} does not exist")
    return pdf, pdf[number - 1]


def render_page(raw: bytes, name: str, number: int, width_px: int = 1000) -> bytes:
    """Page ``number`` (from 1) of a PDF as a PNG about ``width_px`` pixels wide."""
    with PDFIUM_LOCK:
        return _render(raw, name, number, width_px)


def _render(raw: bytes, name: str, number: int, width_px: int) -> bytes:
    pdf, page = _open(raw, name, number)
    try:
        scale = render_scale(page, min(MAX_SCALE, max(0.01, width_px / page.get_width())))
        bitmap = page.render(scale=scale)
        try:
            out = io.BytesIO()
            bitmap.to_pil().save(out, format="PNG", optimize=False)
        finally:
            bitmap.close()
    finally:
        page.close()
        pdf.close()
    return out.getvalue()


def locate(raw: bytes, name: str, number: int, quote: str) -> Highlight:
    """Where the lines of ``quote`` lie on page ``number``."""
    with PDFIUM_LOCK:
        return _locate(raw, name, number, quote)


def _locate(raw: bytes, name: str, number: int, quote: str) -> Highlight:
    pdf, page = _open(raw, name, number)
    try:
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            rects: list[tuple[float, float, float, float]] = []
            for line in (" ".join(part.split()) for part in quote.splitlines()):
                if line:
                    rects.extend(_line_rects(textpage, line, width, height))
        finally:
            textpage.close()
    finally:
        page.close()
        pdf.close()
    return Highlight(width, height, rects)


def _line_rects(
    textpage: pdfium.PdfTextPage, line: str, width: float, height: float
) -> list[tuple[float, float, float, float]]:
    span = _find(textpage, line)
    if span is None:
        words = line.split()
        if len(words) <= 2 * WORDS_AT_EACH_END:
            return []
        head = _find(textpage, " ".join(words[:WORDS_AT_EACH_END]))
        tail = _find(textpage, " ".join(words[-WORDS_AT_EACH_END:]), head[0] if head else 0)
        if head is None or tail is None or tail[0] < head[0]:
            return []
        span = (head[0], tail[0] + tail[1] - head[0])
    index, count = span
    rects = []
    for i in range(textpage.count_rects(index, count)):
        left, bottom, right, top = textpage.get_rect(i)
        rects.append((left / width, 1 - top / height, right / width, 1 - bottom / height))
    return rects


def _find(textpage: pdfium.PdfTextPage, text: str, start: int = 0) -> tuple[int, int] | None:
    searcher = textpage.search(text, index=start, match_case=True)
    try:
        found = searcher.get_next()
    finally:
        searcher.close()
    return (found[0], found[1]) if found else None
