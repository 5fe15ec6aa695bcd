"""What a file is, told by its bytes rather than its name.

A name can lie (a PDF renamed ``.txt``, an HTML page saved as ``.docx``); the parser chosen must be the
one for the content, and a binary the service cannot read must be refused with a reason rather than
decoded into garbage. Only the name's suffix decides between readings of the same text: Markdown
(``.md``) and reStructuredText (``.rst``) keep their headings, anything else textual is plain text unless
it is plainly an HTML page.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from rag_service.errors import DocumentError

PDF, DOCX, HTML, MARKDOWN, RST, TEXT = "pdf", "docx", "html", "markdown", "rst", "text"
ODT, EPUB = "odt", "epub"
SUFFIXES = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".odt": ODT,
    ".epub": EPUB,
    ".html": HTML,
    ".htm": HTML,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".rst": RST,
    ".rest": RST,
    ".txt": TEXT,
}
"""Suffixes the documents folder accepts, and what each claims to be."""
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html\b)", re.I | re.S
)
_BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old binary Office file (.doc/.xls); save it as .docx",
    b"\x7fELF": "a program (ELF binary)",
    b"MZ": "a Windows program",
}


def detect(raw: bytes, name: str) -> str:
    """The kind of ``raw``: one of PDF, DOCX, ODT, EPUB, HTML, MARKDOWN, RST, TEXT; ``DocumentError`` for
    other binaries."""
    head = raw[:1024]
    if b"%PDF-" in head:
        return PDF
    if raw.startswith(b"PK\x03\x04"):
        return _zip_kind(raw, name)
    for signature, what in _BINARY_SIGNATURES.items():
        if raw.startswith(signature):
            raise DocumentError(f"{name}: {what}, not a document this service reads")
    body = head.lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(body) or (_claims(name) == HTML and b"<" in body):
        return HTML
    claimed = _claims(name)
    return claimed if claimed in (MARKDOWN, RST) else TEXT


def _claims(name: str) -> str | None:
    dot = name.rfind(".")
    return SUFFIXES.get(name[dot:].lower()) if dot >= 0 else None


_ZIP_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": ODT,
    "application/vnd.oasis.opendocument.text-template": ODT,
    "application/epub+zip": EPUB,
}
_OTHER_OPENDOCUMENT = {
    "spreadsheet": "an OpenDocument spreadsheet (.ods)",
    "presentation": "an OpenDocument presentation (.odp)",
    "graphics": "an OpenDocument drawing (.odg)",
}


def _zip_kind(raw: bytes, name: str) -> str:
    """A zip archive's kind by what it holds: Word's ``word/document.xml``, or the ``mimetype`` member that
    OpenDocument files and EPUB books start with."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = set(archive.namelist())
        declared = ""
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= 200:
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, ValueError, OSError, zlib.error) as exc:
        raise DocumentError(
            f"{name}: a binary file (a damaged zip archive: {exc}), not a readable document"
        ) from exc
    if "word/document.xml" in names:
        return DOCX
    if declared in _ZIP_MIMETYPES:
        return _ZIP_MIMETYPES[declared]
    other = declared.rsplit(".", 1)[-1] if declared.startswith("application/vnd.oasis.opendocument.") else ""
    if other in _OTHER_OPENDOCUMENT:
        raise DocumentError(f"{name}: {_OTHER_OPENDOCUMENT[other]}, not a text document this service reads")
    raise DocumentError(
        f"{name}: a binary file (a zip archive that is not a Word document, an OpenDocument text or an "
        "EPUB book), not a document this service reads"
    )
