"""OpenDocument text (.odt, LibreOffice's and many converters' format): paragraphs, headings, lists,
tables and footnotes in document order.

An .odt is a zip archive (checked first, ``formats.archive``) whose ``content.xml`` holds the text:
``text:h`` headings carry their level (``text:outline-level``), ``text:p`` paragraphs a style, lists nest
``text:list-item``s, tables are ``table:table-row``s of cells. A paragraph whose style, or a style it
inherits from, is a "Title" is the document's title and its top heading (the headings below move down
one level, as in a Word document). What is left out: generated indexes (a table of contents, an
alphabetical index: lines pointing elsewhere), reviewers' comments (``office:annotation``) and the
contents of drawings; a footnote's text is read after the paragraph that cites it, so the sentence it
interrupts stays whole. ``meta.xml`` gives the title and author when the file declares them. The XML is
parsed without DTDs, entities or network.
"""

from __future__ import annotations

import re
import zipfile

from lxml import etree

from rag_service.documents.formats.archive import open_archive, xml_member
from rag_service.documents.formats.builder import TextBuilder
from rag_service.errors import DocumentError

WHAT = "an OpenDocument text"
_NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


H, P, LIST, ITEM, HEADER = (
    _q("text:h"),
    _q("text:p"),
    _q("text:list"),
    _q("text:list-item"),
    _q("text:list-header"),
)
TABLE, ROW, CELL = _q("table:table"), _q("table:table-row"), _q("table:table-cell")
SPACE, TAB, BREAK, NOTE = _q("text:s"), _q("text:tab"), _q("text:line-break"), _q("text:note")
NOTE_BODY, STYLE_NAME = _q("text:note-body"), _q("text:style-name")
_SKIPPED = {
    _q(name)
    for name in (
        "text:table-of-content", "text:alphabetical-index", "text:illustration-index", "text:table-index",
        "text:object-index", "text:user-index", "text:bibliography", "text:sequence-decls",
        "text:tracked-changes", "office:annotation", "office:annotation-end", "office:forms",
        "draw:frame", "draw:g", "draw:custom-shape", "text:note-citation", "text:soft-page-break",
    )
}  # fmt: skip
"""Generated indexes, comments, drawings and bookkeeping: never the document's own running text."""
_TITLE_STYLE = re.compile(r"(?:^|[-_ ])title$", re.I)
""""Title", "rststyle-title": a title style (not "Subtitle")."""
_STYLE_DEPTH = 8


class _Reader:
    def __init__(self, builder: TextBuilder, parents: dict[str, str], meta: dict[str, str]) -> None:
        self.builder = builder
        self.parents = parents
        self.meta = meta
        self.shift = 0
        """1 once a Title paragraph became the top heading: the document's own headings sit under it."""
        self.written_notes: set[str] = set()

    def blocks(self, element: etree._Element) -> None:
        for child in element:
            tag = child.tag
            if tag in _SKIPPED or not isinstance(tag, str):
                continue
            if tag == H:
                notes: list[etree._Element] = []
                self.builder.heading(_level(child) + self.shift, _inline(child, notes))
                self._notes(notes)
            elif tag == P:
                self._paragraph(child)
            elif tag == LIST:
                self._list(child)
            elif tag == TABLE:
                self._table(child)
            else:  # sections, change regions and other containers: their blocks, in order
                self.blocks(child)

    def _paragraph(self, element: etree._Element, mark: str = "") -> None:
        notes: list[etree._Element] = []
        text = _inline(element, notes)
        if not mark and self._is_title(element.get(STYLE_NAME)) and text.strip() and not self.shift:
            self.meta.setdefault("title", " ".join(text.split()))
            self.builder.heading(1, text)
            self.shift = 1
        elif text.strip():
            self.builder.paragraph(f"{mark}{text}")
        self._notes(notes)

    def _list(self, element: etree._Element) -> None:
        for item in element:
            if item.tag not in (ITEM, HEADER):
                continue
            mark = "- "
            for child in item:
                if child.tag in (P, H):
                    self._paragraph(child, mark)
                    mark = ""  # a list item's later paragraphs continue it
                elif child.tag == LIST:
                    self._list(child)
                elif child.tag == TABLE:
                    self._table(child)

    def _table(self, element: etree._Element) -> None:
        """One line per row; a cell's paragraphs joined (a nested table's rows too); its footnotes after
        the table."""
        rows: list[list[str]] = []
        notes: list[etree._Element] = []
        for row in element.iter(ROW):
            if _owner(row) is element:
                rows.append([_cell_text(cell, notes) for cell in row if cell.tag == CELL])
        self.builder.table(rows, header_rows=1)
        self._notes(notes)

    def _notes(self, notes: list[etree._Element]) -> None:
        """Footnotes and endnotes, after the block that cites them; a note repeated word for word (a
        converter writes one per citation of the same footnote) once."""
        for note in notes:
            for body in note.iter(NOTE_BODY):
                key = " ".join("".join(body.itertext()).split())
                if key and key not in self.written_notes:
                    self.written_notes.add(key)
                    self.blocks(body)

    def _is_title(self, style: str | None) -> bool:
        for _ in range(_STYLE_DEPTH):
            if not style:
                return False
            if _TITLE_STYLE.search(style.replace("_20_", " ")):
                return True
            style = self.parents.get(style)
        return False


def extract_odt(raw: bytes, name: str) -> tuple[TextBuilder, dict[str, str]]:
    archive = open_archive(raw, name, WHAT)
    content = xml_member(archive, "content.xml", name, WHAT)
    body = content.find("office:body/office:text", _NS)
    if body is None:
        raise DocumentError(f"{name}: {WHAT} without a text body (a spreadsheet or a drawing?)")
    parents = _style_parents(content)
    styles = _optional(archive, "styles.xml", name)
    if styles is not None:
        parents = {**_style_parents(styles), **parents}
    meta = _metadata(_optional(archive, "meta.xml", name))
    builder = TextBuilder("odt")
    _Reader(builder, parents, meta).blocks(body)
    if not builder.text.strip():
        raise DocumentError(f"{name}: the OpenDocument text holds no text")
    return builder, meta


def _level(heading: etree._Element) -> int:
    """A heading's ``text:outline-level`` (1–10 in the standard); 1 when missing or not a number, so a
    hand-edited file cannot stop the read with a ValueError."""
    value = (heading.get(_q("text:outline-level")) or "").strip()
    return min(int(value), 10) if value.isdigit() and int(value) > 0 else 1


def _inline(element: etree._Element, notes: list[etree._Element]) -> str:
    """The text of a paragraph or heading: spans and links read through, ``text:s`` as its count of
    spaces, a tab as a space, ``text:line-break`` as a line break; footnotes are collected in ``notes``
    instead of read in place."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == SPACE:
            count = child.get(_q("text:c")) or "1"
            parts.append(" " * (min(int(count), 100) if count.isdigit() else 1))
        elif tag == TAB:
            parts.append(" ")
        elif tag == BREAK:
            parts.append("\n")
        elif tag == NOTE:
            notes.append(child)
        elif isinstance(tag, str) and tag not in _SKIPPED:
            parts.append(_inline(child, notes))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_text(element: etree._Element, notes: list[etree._Element]) -> str:
    """A table cell's text: its paragraphs, and those of the lists and tables inside it, joined; never
    the text of its footnotes, which are collected in ``notes``."""
    parts = []
    for child in element:
        if child.tag in (P, H):
            parts.append(_inline(child, notes))
        elif isinstance(child.tag, str) and child.tag not in _SKIPPED:
            parts.append(_cell_text(child, notes))
    return " ".join(part for part in parts if part.strip())


def _owner(element: etree._Element) -> etree._Element | None:
    return next(element.iterancestors(TABLE), None)


def _optional(archive: zipfile.ZipFile, path: str, name: str) -> etree._Element | None:
    """``path`` parsed, or None when the archive has no such member (it is optional) or it is broken."""
    if path not in archive.namelist():
        return None
    try:
        return xml_member(archive, path, name, WHAT)
    except DocumentError:
        return None


def _style_parents(root: etree._Element) -> dict[str, str]:
    """Each paragraph style's parent style: an automatic style "P1" inherits from "Title"."""
    name, parent = _q("style:name"), _q("style:parent-style-name")
    return {s.get(name): s.get(parent) for s in root.iter(_q("style:style")) if s.get(name) and s.get(parent)}


def _metadata(meta: etree._Element | None) -> dict[str, str]:
    if meta is None:
        return {}
    out: dict[str, str] = {}
    for key, path in (
        ("title", ".//dc:title"),
        ("author", ".//dc:creator"),
        ("author", ".//meta:initial-creator"),
    ):
        value = (meta.findtext(path, namespaces=_NS) or "").strip()
        if value:
            out.setdefault(key, value)
    return out
