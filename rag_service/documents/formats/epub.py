"""EPUB (.epub): an e-book's chapters in reading order, each read as the web page it is.

An EPUB is a zip archive (checked first, ``formats.archive``) whose ``META-INF/container.xml`` names a
package file (OPF). The package lists the book's files (manifest) and their reading order (spine), and
declares the title and authors. Each chapter in the spine is XHTML and is read by the HTML reader
(``formats.html``: main content, headings, lists, tables), one after another into one text, so
citations name the chapter's headings. The navigation document (the book's table of contents, marked
``nav`` in the manifest) is left out: its lines are chapter titles, not text. A chapter the spine names
but the archive lacks, or that cannot be read, is left out with a note. The XML is parsed without
DTDs, entities or network.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from lxml import etree

from rag_service.documents.formats.archive import open_archive, xml_member
from rag_service.documents.formats.builder import TextBuilder
from rag_service.documents.formats.html import read_page, write_page
from rag_service.errors import DocumentError

WHAT = "an EPUB book"
_XHTML = {"application/xhtml+xml", "text/html"}


def extract_epub(raw: bytes, name: str) -> tuple[TextBuilder, dict[str, str]]:
    archive = open_archive(raw, name, WHAT)
    container = xml_member(archive, "META-INF/container.xml", name, WHAT)
    paths = container.xpath("//*[local-name()='rootfile']/@full-path")
    if not paths:
        raise DocumentError(f"{name}: {WHAT} whose container.xml names no package file")
    package_path = str(paths[0])
    package = xml_member(archive, package_path, name, WHAT)
    meta = _metadata(package)
    builder = TextBuilder("epub")
    names = set(archive.namelist())
    for path in _chapters(package, posixpath.dirname(package_path)):
        if path not in names:
            builder.notes.append(f"{path} is in the book's reading order but not in the archive; left out")
            continue
        try:
            main, _ = read_page(archive.read(path), f"{name}: {path}")
        except DocumentError as exc:
            builder.notes.append(f"{path} could not be read ({exc}); left out")
            continue
        write_page(main, builder)
    if not builder.text.strip():
        raise DocumentError(f"{name}: {WHAT} with no readable text in its chapters")
    return builder, meta


def _metadata(package: etree._Element) -> dict[str, str]:
    """The title and the authors (``dc:creator``, joined) the package declares."""
    meta: dict[str, str] = {}
    titles = [t.strip() for t in package.xpath("//*[local-name()='metadata']/*[local-name()='title']/text()")]
    if titles and titles[0]:
        meta["title"] = titles[0]
    creators = [
        c.strip() for c in package.xpath("//*[local-name()='metadata']/*[local-name()='creator']/text()")
    ]
    if any(creators):
        meta["author"] = ", ".join(c for c in creators if c)
    return meta


def _chapters(package: etree._Element, folder: str) -> list[str]:
    """Archive paths of the spine's XHTML documents in reading order, without the navigation document.
    Manifest paths are relative to the package file and URL-encoded."""
    items = {}
    for item in package.xpath("//*[local-name()='manifest']/*[local-name()='item']"):
        properties = (item.get("properties") or "").split()
        if item.get("media-type") in _XHTML and "nav" not in properties and item.get("href"):
            href = unquote(item.get("href").split("#", 1)[0])
            items[item.get("id")] = posixpath.normpath(posixpath.join(folder, href))
    spine = package.xpath("//*[local-name()='spine']/*[local-name()='itemref']/@idref")
    return list(dict.fromkeys(items[str(ref)] for ref in spine if str(ref) in items))
