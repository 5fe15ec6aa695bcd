"""Zip containers (Word, OpenDocument, EPUB): opened only after their directory says they are safe.

A zip archive is the classic carrier of a zip bomb (a few kilobytes that inflate to gigabytes). The
archive's own directory is checked before any member is inflated: too many members, a total inflated
size over ``MAX_INFLATED_BYTES``, a member that inflates more than ``MAX_RATIO`` times, or a whole
archive that inflates more than ``MAX_ARCHIVE_RATIO`` times is refused. The whole-archive rule catches
what the member rule cannot: many members just under a megabyte each (a 74 KB EPUB of twenty 1 MB
chapters inflates 280 times). Real documents stay well below it: text XML deflates 5 to 25 times (the
Word, OpenDocument and EPUB files of the tests inflate 6 to 22 times; python-docx's own template 22).
Members are read with ``member``, which names the file and the missing part in its error, and the XML
inside (OpenDocument, EPUB) is parsed by ``xml_member``: no DTDs, no entity expansion, no network, so a
"billion laughs" entity or an external reference does nothing.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from rag_service.errors import DocumentError

MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ARCHIVE_RATIO = 50
ARCHIVE_RATIO_FLOOR = 4 * 1024 * 1024
"""Archives that inflate to less than this are never refused for their ratio: a small file of repeated
boilerplate may deflate very well and costs nothing to read."""
MAX_MEMBERS = 10_000
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def open_archive(raw: bytes, name: str, what: str) -> zipfile.ZipFile:
    """The checked archive of ``raw``; ``what`` ("a Word document") names it in errors."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DocumentError(
            f"{name}: a damaged zip archive ({exc}), not {what} this service can read"
        ) from exc
    if len(members) > MAX_MEMBERS:
        raise DocumentError(f"{name}: {len(members)} files inside the archive; refused as a zip bomb")
    total = sum(m.file_size for m in members)
    if total > MAX_INFLATED_BYTES:
        raise DocumentError(
            f"{name}: inflates to {total // 2**20} MB (limit {MAX_INFLATED_BYTES // 2**20} MB); "
            "refused as a zip bomb"
        )
    if total > ARCHIVE_RATIO_FLOOR and total > MAX_ARCHIVE_RATIO * len(raw):
        raise DocumentError(
            f"{name}: a {len(raw) // 1024} KB archive that inflates {total // max(len(raw), 1)} times, to "
            f"{total // 2**20} MB (limit {MAX_ARCHIVE_RATIO} times); refused as a zip bomb"
        )
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise DocumentError(
                f"{name}: {m.filename} inflates {m.file_size // max(m.compress_size, 1)} times; "
                "refused as a zip bomb"
            )
    return archive


def member(archive: zipfile.ZipFile, path: str, name: str, what: str) -> bytes:
    """The bytes of ``path`` inside the archive, or ``DocumentError`` saying that it is missing."""
    try:
        return archive.read(path)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(f"{name}: {what} without a readable {path} ({exc})") from exc


def xml_member(archive: zipfile.ZipFile, path: str, name: str, what: str) -> etree._Element:
    """The member ``path`` parsed with ``XML_PARSER``, or ``DocumentError`` naming what is wrong."""
    raw = member(archive, path, name, what)
    try:
        return etree.fromstring(raw, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{name}: {what} whose {path} is not well-formed XML ({exc})") from exc
