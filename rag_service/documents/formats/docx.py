"""Word (.docx): paragraphs, headings and tables in document order, through python-docx.

A .docx is a zip archive, checked before anything is inflated (``formats.archive``: zip bombs).
python-docx parses the XML with lxml, which resolves no external entities.

Headings are paragraphs whose style is "Heading N" (or "Title"); list paragraphs get a "- " mark;
tables become one line per row with the first row recorded as the header.
"""

from __future__ import annotations

import io
import re

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from rag_service.documents.formats.archive import open_archive
from rag_service.documents.formats.builder import TextBuilder
from rag_service.errors import DocumentError

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def extract_docx(raw: bytes, name: str) -> tuple[TextBuilder, dict[str, str]]:
    open_archive(raw, name, "a Word document")
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises many kinds (KeyError, ValueError, XMLSyntaxError, ...)
        raise DocumentError(f"{name}: not a readable Word document ({type(exc).__name__}: {exc})") from exc
    builder = TextBuilder("docx")
    meta: dict[str, str] = {}
    properties = document.core_properties
    if properties.title:
        meta["title"] = properties.title
    if properties.author:
        meta["author"] = properties.author
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [[cell.text for cell in _unique_cells(row.cells)] for row in block.rows]
            builder.table(rows, header_rows=1)
        elif isinstance(block, Paragraph):
            _paragraph(block, builder, meta)
    if not builder.text.strip():
        raise DocumentError(f"{name}: the Word document holds no text")
    return builder, meta


def _paragraph(paragraph: Paragraph, builder: TextBuilder, meta: dict[str, str]) -> None:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    text = paragraph.text
    level = _HEADING_STYLE.match(style)
    if style.lower() == "title":
        meta.setdefault("title", text.strip())
        builder.heading(1, text)
    elif level:
        builder.heading(int(level.group(1)) + (1 if "title" in meta else 0), text)
    elif style.lower().startswith("list") and text.strip():
        builder.paragraph(f"- {text}")
    else:
        builder.paragraph(text)


def _unique_cells(cells: list) -> list:
    """Merged cells appear once per grid column they span; keep each once."""
    seen: list = []
    for cell in cells:
        if not any(cell._tc is other._tc for other in seen):
            seen.append(cell)
    return seen
