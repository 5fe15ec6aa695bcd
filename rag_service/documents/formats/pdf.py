"""PDF: the text layer page by page (PDFium, through pypdfium2), OCR for pages that have none.

PDFium is the engine Chrome uses to show PDFs: it is fast (a C++ library), reads damaged files the way
browsers do, and its text order follows the page's reading order well on ordinary documents. Each page
becomes one region of the extracted text (so citations name their page) and is split into paragraphs
at blank lines (a page that runs on from the page before continues its paragraph: ``TextBuilder.page``);
PDFium's ``\\r\\n`` line ends become ``\\n`` and its hyphenation marks are dropped.

Running heads, running feet and page numbers are dropped (``formats.furniture``): printed on every
page, they would be quoted as answers and glued to the sentence running on from the page before.
Numbered section headings ("2.3 Simple parsing") become headings (``formats.numbered``), so citations
name their section as they do in HTML and Word.

A definition list's label glued to its text ("GNOMEThe GNOME desktop") is given its space back
(``formats.labels``). Tables lose their cells in a text layer; numeric ones are recognised from their lines
(``formats.line_tables``) so their chunks carry the header row like Word and HTML tables.

A page with no text layer (a scan) is rendered at 300 dpi and read by Tesseract when it is installed;
without it the page is left out and the document's notes name the pages.

PDFium is not thread-safe: no two threads may be inside it at once, even on different documents, and a
page image rendered for the chat page while an upload is extracted crashed the server process. Every
call into it therefore holds ``PDFIUM_LOCK``; the lock is released while Tesseract reads a page, which
runs in its own process and takes seconds.
"""

from __future__ import annotations

import io
import logging
import re
import threading

import pypdfium2 as pdfium

from rag_service.documents.formats.builder import TextBuilder
from rag_service.documents.formats.furniture import strip_furniture
from rag_service.documents.formats.labels import unglue_labels
from rag_service.documents.formats.line_tables import line_tables
from rag_service.documents.formats.numbered import NumberedHeadings
from rag_service.documents.formats.ocr import OCR_DPI, OcrUnavailable, read_image
from rag_service.errors import DocumentError

log = logging.getLogger("rag_service.documents")
MIN_TEXT_CHARS = 8
"""A page with fewer visible characters in its text layer is treated as a scan."""
_BLANK_LINES = re.compile(r"\n\s*\n")
PDFIUM_LOCK = threading.RLock()
"""Held by every call into PDFium in this process (see the module's docstring)."""


def extract_pdf(raw: bytes, name: str, *, ocr: bool = True) -> tuple[TextBuilder, dict[str, str]]:
    """The page texts of a PDF, and its title and author from the document information."""
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(raw)
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise DocumentError(
                    f"{name}: an encrypted PDF; remove the password and upload it again"
                ) from exc
            raise DocumentError(f"{name}: not a readable PDF ({_reason(exc)})") from exc
    builder = TextBuilder("pdf")
    scanned: list[int] = []
    unread: list[int] = []
    texts: list[str] = []
    try:
        with PDFIUM_LOCK:
            meta = {k.lower(): v for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
            pages = len(pdf)
        for number in range(1, pages + 1):
            with PDFIUM_LOCK:
                text, scan = _read_page(pdf, number, ocr)
            if scan is not None or len(text.strip()) < MIN_TEXT_CHARS:
                scanned.append(number)
                text = _ocr(scan, name, number) if scan is not None else ""
                if not text.strip():
                    unread.append(number)
            texts.append(text)
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"{name}: a damaged PDF ({_reason(exc)})") from exc
    finally:
        with PDFIUM_LOCK:
            pdf.close()
    headings = NumberedHeadings()
    for number, text in enumerate(strip_furniture(texts), start=1):
        builder.page(number, headings.blocks(_BLANK_LINES.split(unglue_labels(text))))
    if unread:
        why = "OCR is off (RAG_OCR=false)" if not ocr else "OCR found no text or Tesseract is not installed"
        note = f"no text layer on {_pages(unread)}, left out: {why}"
        builder.notes.append(note)
        log.warning("%s: %s", name, note)
    elif scanned:
        builder.notes.append(f"{_pages(scanned)} read by OCR (Tesseract)")
    if not builder.text.strip():
        raise DocumentError(f"{name}: no text could be read from any page (a scan without OCR?)")
    builder.add_tables(line_tables(builder.text))
    return builder, meta


def _read_page(pdf: pdfium.PdfDocument, number: int, ocr: bool) -> tuple[str, bytes | None]:
    """Page ``number``'s text layer, and for a page without one (when OCR is on) its image as PNG."""
    page = pdf[number - 1]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded()
        finally:
            textpage.close()
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "").replace("\ufffe", "")
        if len(text.strip()) >= MIN_TEXT_CHARS or not ocr:
            return text, None
        bitmap = page.render(scale=render_scale(page, OCR_DPI / 72))
        try:
            png = io.BytesIO()
            bitmap.to_pil().save(png, format="PNG")
        finally:
            bitmap.close()
        return text, png.getvalue()
    finally:
        page.close()


MAX_RENDER_PIXELS = 40_000_000
"""A page rendered for OCR or viewing is scaled down to at most this many pixels (an A4 page at 300 dpi
is 8.7 M): a PDF can declare a page of any size, and its bitmap must not exhaust memory."""


def render_scale(page: pdfium.PdfPage, wanted: float) -> float:
    width, height = page.get_size()
    area = max(width * height, 1.0)
    return min(wanted, (MAX_RENDER_PIXELS / area) ** 0.5)


def _ocr(png: bytes, name: str, number: int) -> str:
    try:
        return read_image(png)
    except OcrUnavailable as exc:
        log.warning("%s: page %d not read by OCR: %s", name, number, exc)
        return ""


def _reason(exc: Exception) -> str:
    return str(exc).removeprefix("Failed to load document ").strip("() .") or type(exc).__name__


def _pages(numbers: list[int]) -> str:
    """``[3]`` -> ``"page 3"``, ``[1, 2, 3, 7]`` -> ``"pages 1-3, 7"``."""
    return f"page {numbers[0]}" if len(numbers) == 1 else f"pages {_ranges(numbers)}"


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
