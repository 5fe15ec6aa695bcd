"""Turning a file's bytes into the text the index cites and the structure map that goes with it.

One entry point, ``extract``, picks the reader by content (``sniff.detect``), not by name. PDF, HTML,
Word, OpenDocument text and EPUB are *extracted*: the text the service cites is what the reader
produced, and ``GET /api/sources`` serves that text so that every ``start``/``end`` offset stays exact
(a PDF's text leaves out its running heads and page numbers, ``formats.furniture``, and names its
numbered sections, ``formats.numbered``).
Markdown, reStructuredText and plain text are cited as stored (their bytes decoded, nothing rewritten);
Markdown's ``#`` and underlined (setext) headings and pipe tables, and reStructuredText's section titles
(``formats.rst``, also read in plain text, whose READMEs underline their titles the same way), are
located in that text so citations can name their heading and table chunks keep their header row.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from rag_service.documents.formats import sniff
from rag_service.documents.formats.builder import HeadingTrail
from rag_service.documents.formats.plain import decode_text
from rag_service.documents.formats.rst import rst_structure
from rag_service.documents.markup import front_matter
from rag_service.models import Region, Structure

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT_RULE = re.compile(r"^\s{0,3}(=+|-{2,})\s*$")
"""The underline of a setext heading: ``===`` for level 1, ``---`` for level 2."""
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Extracted:
    """What a reader made of one file: the text to index and cite, its structure, and the metadata the
    file itself declares (a PDF's title field, a page's ``<h1>``, a Word document's author)."""

    text: str
    structure: Structure
    title: str | None = None
    author: str | None = None


_RECENT: OrderedDict[tuple[str, str, bool], Extracted] = OrderedDict()
_RECENT_SIZE = 8
_RECENT_LOCK = threading.Lock()


def extract(raw: bytes, name: str, *, ocr: bool = True) -> Extracted:
    """Read ``raw`` (the bytes of the file called ``name``) with the reader its content calls for.

    Raises ``DocumentError`` with a one-line reason for anything that cannot be read. The last few PDF,
    Word, OpenDocument, EPUB and HTML extractions are remembered by content hash: an upload is extracted
    once to be checked before it is written, and the ingest that follows reuses that work (OCR of a scan
    takes seconds a page) instead of doing it again."""
    kind = sniff.detect(raw, name)
    if kind in (sniff.TEXT, sniff.MARKDOWN, sniff.RST):
        text = decode_text(raw, name)
        if kind == sniff.MARKDOWN:
            _, fields = front_matter(text)  # title and author, as static site generators declare them
            author = fields.get("author") or fields.get("authors")
            return Extracted(text, markdown_structure(text), fields.get("title"), author)
        return Extracted(text, rst_structure(text, "rst" if kind == sniff.RST else "text"))
    key = (hashlib.sha256(raw).hexdigest(), kind, ocr)
    with _RECENT_LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    extracted = _extract_binary(raw, name, kind, ocr)
    with _RECENT_LOCK:
        _RECENT[key] = extracted
        while len(_RECENT) > _RECENT_SIZE:
            _RECENT.popitem(last=False)
    return extracted


def _extract_binary(raw: bytes, name: str, kind: str, ocr: bool) -> Extracted:
    if kind == sniff.PDF:
        from rag_service.documents.formats.pdf import extract_pdf

        builder, meta = extract_pdf(raw, name, ocr=ocr)
    elif kind == sniff.DOCX:
        from rag_service.documents.formats.docx import extract_docx

        builder, meta = extract_docx(raw, name)
    elif kind == sniff.ODT:
        from rag_service.documents.formats.odt import extract_odt

        builder, meta = extract_odt(raw, name)
    elif kind == sniff.EPUB:
        from rag_service.documents.formats.epub import extract_epub

        builder, meta = extract_epub(raw, name)
    else:
        from rag_service.documents.formats.html import extract_html

        builder, meta = extract_html(raw, name)
    return Extracted(builder.text, builder.structure(), meta.get("title") or None, meta.get("author") or None)


def markdown_structure(text: str) -> Structure:
    """Heading regions (``#`` lines outside code fences) and pipe tables of Markdown ``text``, as stored."""
    headings = HeadingTrail()
    tables: list[Region] = []
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r\n")
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and ((match := _ATX_HEADING.match(line)) or _setext(lines, i)):
            level, label = (
                (len(match.group(1)), match.group(2))
                if match
                else (1 if lines[i + 1].strip()[0] == "=" else 2, line.strip())
            )
            headings.add(offsets[i], level, label)
        elif not in_fence and "|" in line and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            end = i + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            last = lines[end - 1].rstrip("\r\n")
            tables.append(Region(offsets[i], offsets[end - 1] + len(last), line.strip()))
            i = end
            continue
        i += 1
    return Structure(kind="markdown", headings=headings.regions(len(text)), tables=tuple(tables))


def _setext(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a setext heading: one line of text standing alone (a blank line or the start
    before it), underlined by ``===`` or ``---``. (A longer paragraph over ``---`` is left alone: in
    plain-text habits that is a rule, and YAML front matter uses ``---`` too.)"""
    line = lines[i].strip()
    if not line or i + 1 >= len(lines) or not _SETEXT_RULE.match(lines[i + 1].rstrip("\r\n")):
        return False
    alone = i == 0 or not lines[i - 1].strip()
    return alone and not line.startswith(("|", "-", "*", "+", ">", "#", "---"))
