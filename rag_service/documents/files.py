"""Source documents: finding the files of the documents folder, reading them safely, and their metadata.

A document is any regular file directly inside the documents folder (``RAG_SEEDS_DIR``) with one of the
accepted suffixes (``.pdf .docx .odt .epub .html .htm .md .markdown .rst .rest .txt``) whose real path lies
inside that folder (any other file, and a subfolder, is reported as not read, with the suffixes it would
need): a symbolic link out of it (to ``/proc/self/environ``, say) would publish whatever it points at
through ``/api/sources``, so links out, devices, FIFOs and folders are skipped with a reason, and so is a
file over the size limit (``RAG_MAX_DOCUMENT_MB``), checked before it is read. A link that loops or
leads nowhere is one skipped entry, and so is a hard link (a file with several names may be a file from
anywhere on the disk) unless ``RAG_ALLOW_HARDLINKS`` allows it. What the file holds is told
by its content, not its suffix (``formats.sniff``); ``formats.extract`` turns it into the text that
citations index into (``document.text[start:end]`` gives back the cited characters) and its structure map.

A file that cannot be used (binary, undecodable, empty, encrypted, a zip bomb, a broken sidecar) raises
``DocumentError`` with a one-line reason naming the file but never the server's absolute paths: ingest
skips that file, reports the reason and indexes the rest.

Metadata lives beside the file in ``<file name>.meta.json`` (``documents.sidecar``).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from rag_service.documents.formats import extract
from rag_service.documents.formats.ocr import tesseract_path
from rag_service.documents.formats.sniff import SUFFIXES
from rag_service.documents.markup import guess_title
from rag_service.documents.sidecar import SIDECAR_SUFFIX, fit_sidecar, parse_sidecar, sections_of
from rag_service.errors import DocumentError
from rag_service.models import Document, DocumentMeta

SEED_SUFFIXES = tuple(SUFFIXES)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
EXTRACTION_VERSION = "extract-v2"
"""Folded into the hash of every PDF with the OCR state, so that installing Tesseract (or turning OCR
on) re-reads the scans on the next ingest instead of keeping their empty pages. v2: a definition list's
label glued to its text gets its space back (``formats.labels``)."""
log = logging.getLogger("rag_service.documents")


@dataclass(frozen=True)
class SourceFile:
    """A seed file found on disk, hashed but not parsed: what incremental ingest compares."""

    name: str
    path: Path
    sha256: str = field(compare=True)


@dataclass(frozen=True)
class SkippedFile:
    """A file in the documents folder that was not indexed, and why (one line, no server paths)."""

    name: str
    reason: str


@dataclass(frozen=True)
class ReadOptions:
    """How documents are read: the size limit (checked before reading) and whether scans get OCR."""

    max_bytes: int = DEFAULT_MAX_BYTES
    ocr: bool = True
    max_chars: int = 5_000_000
    """The longest text one document may extract to (``RAG_MAX_DOCUMENT_CHARS``): a small archive or a
    compressed PDF stream can hold far more text than its size says, and ingest time follows the text."""
    hardlinks: bool = False
    """Whether a file with more than one name (a hard link, possibly to a file outside the folder) is read."""

    def ocr_state(self) -> str:
        return f"{EXTRACTION_VERSION} ocr={'on' if self.ocr and tesseract_path() else 'off'}"


def scan_sources(
    seeds_dir: Path, options: ReadOptions = ReadOptions()
) -> tuple[list[SourceFile], list[SkippedFile]]:
    """Document files in name order with the hash that decides whether they must be re-processed, and the
    candidates (right suffix, not hidden) that cannot be read safely, each with its reason."""
    if not seeds_dir.is_dir():
        raise DocumentError(
            f"documents folder {seeds_dir.name!r} (RAG_SEEDS_DIR) does not exist: create it and put "
            f"documents ({' '.join(SEED_SUFFIXES)}) in it"
        )
    root = seeds_dir.resolve()
    sources: list[SourceFile] = []
    skipped: list[SkippedFile] = []
    for path in sorted(seeds_dir.iterdir()):
        if path.name.startswith(".") or path.name.endswith(SIDECAR_SUFFIX):
            continue
        if path.suffix.lower() not in SEED_SUFFIXES:
            skipped.append(SkippedFile(path.name, _not_read(path)))
            continue
        try:
            sources.append(SourceFile(path.name, path, _hash_with_sidecar(path, root, options)))
        except DocumentError as exc:
            log.warning("skipped %s", exc)
            skipped.append(SkippedFile(path.name, str(exc)))
        except OSError as exc:  # one entry that vanished or cannot be opened: that entry only
            log.warning("skipped %s: %s", path.name, exc.strerror)
            skipped.append(SkippedFile(path.name, f"{path.name}: cannot be read ({exc.strerror})"))
    return sources, skipped


def _not_read(path: Path) -> str:
    """Why a file or folder the user put in the documents folder is not indexed: said, not passed over in
    silence, so that a folder of ``.rst`` or ``.adoc`` files does not ingest as "0 added" and no reason."""
    if path.is_dir():
        return f"{path.name}: a folder; documents in subfolders are not read (put them in the folder itself)"
    what = f"{path.suffix} files are" if path.suffix else "a file without a suffix is"
    return f"{path.name}: {what} not a format this service reads (it reads {' '.join(SEED_SUFFIXES)})"


def list_sources(seeds_dir: Path) -> list[SourceFile]:
    """The readable seed files only (see ``scan_sources`` for the skipped ones)."""
    return scan_sources(seeds_dir)[0]


def real_path(path: Path) -> Path:
    """``path`` with every link followed, or ``DocumentError`` for a link that loops or leads nowhere
    (Python raises ``RuntimeError`` naming the absolute path for a loop: never shown to anyone)."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except RuntimeError:
        raise DocumentError(f"{path.name}: a symbolic link that loops, not read") from None
    except OSError as exc:
        reason = (
            "a symbolic link that loops" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        )
        raise DocumentError(f"{path.name}: {reason}, not read") from None


def read_inside(path: Path, root: Path, max_bytes: int | None = None, *, hardlinks: bool = False) -> bytes:
    """The bytes of ``path`` if it is a regular file whose real path lies inside ``root`` (resolved) and
    holds at most ``max_bytes``.

    Checked before opening (so a FIFO never blocks and a device is never read) and again on the open
    descriptor (so a swap between the check and the open is caught); the size is checked before reading
    and the read stops one byte past the limit, so a file growing meanwhile cannot exhaust memory. A file
    with more than one name is refused unless ``hardlinks``: a hard link made inside the folder to a file
    elsewhere would publish that file, and no path check can tell it from a file of the folder."""
    real = real_path(path)
    if real != root and root not in real.parents:
        raise DocumentError(f"{path.name}: a link to a file outside the documents folder, not read")
    try:
        before = os.stat(real)
        if not stat.S_ISREG(before.st_mode):
            kind = "a folder" if stat.S_ISDIR(before.st_mode) else "a device, FIFO or socket"
            raise DocumentError(f"{path.name}: {kind}, not a regular file")
        if before.st_nlink > 1 and not hardlinks:
            raise DocumentError(
                f"{path.name}: a hard link (the file has {before.st_nlink} names, and may live outside the "
                "documents folder), not read; copy the file in, or set RAG_ALLOW_HARDLINKS=true"
            )
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise DocumentError(f"{path.name}: changed into something other than a regular file while read")
        if max_bytes is None:
            return fh.read()
        size = os.fstat(fh.fileno()).st_size
        check_size(path.name, size, max_bytes)
        raw = fh.read(max_bytes + 1)
        check_size(path.name, len(raw), max_bytes)
        return raw


MB = 1024 * 1024
"""The unit of every size setting (``RAG_MAX_DOCUMENT_MB``, ``RAG_MAX_UPLOAD_MB``) and of every message."""


def check_size(name: str, size: int, max_bytes: int) -> None:
    """``DocumentError`` for a document of ``size`` bytes over the limit (reads and uploads alike); sizes
    are said in the unit of the setting, so a 50 MB limit reads "50 MB", not "52.4 MB"."""
    if size > max_bytes:
        raise DocumentError(
            f"{name}: {size / MB:.1f} MB, over the {max_bytes / MB:g} MB limit (RAG_MAX_DOCUMENT_MB)"
        )


def check_text(name: str, text: str, max_chars: int) -> None:
    """``DocumentError`` for a document whose extracted text is over the limit."""
    if len(text) > max_chars:
        raise DocumentError(
            f"{name}: {len(text):,} characters of text, over the {max_chars:,} limit "
            "(RAG_MAX_DOCUMENT_CHARS); split it into several documents"
        )


def load_document(source: SourceFile, options: ReadOptions = ReadOptions()) -> Document:
    path = source.path
    root = path.parent.resolve()
    raw = read_inside(path, root, options.max_bytes, hardlinks=options.hardlinks)
    extracted = extract(raw, path.name, ocr=options.ocr)
    text = extracted.text
    check_text(path.name, text, options.max_chars)
    sidecar = _read_sidecar(path, root, options)
    meta = DocumentMeta(
        title=str(sidecar.get("title") or extracted.title or guess_title(text) or path.stem),
        author=_optional_str(sidecar.get("author") or extracted.author),
        publisher=_optional_str(sidecar.get("publisher")),
        date=_optional_str(sidecar.get("date")),
        url=_optional_str(sidecar.get("url")),
    )
    sections = sections_of(text, sidecar.get("sections") or [], path.name)
    return Document(source.name, text, meta, sections, source.sha256, extracted.structure)


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def source_hash(path: Path, root: Path, options: ReadOptions = ReadOptions()) -> str:
    """The hash ingest gives the document file ``path`` (with its sidecar and OCR state), or
    ``DocumentError`` when ingest would skip it."""
    return _hash_with_sidecar(path, root, options)


def _hash_with_sidecar(path: Path, root: Path, options: ReadOptions) -> str:
    raw = read_inside(path, root, options.max_bytes, hardlinks=options.hardlinks)
    digest = hashlib.sha256(raw)
    if b"%PDF-" in raw[:1024]:
        digest.update(b"\0" + options.ocr_state().encode())
    sidecar = _sidecar_path(path)
    if sidecar.exists() or sidecar.is_symlink():
        digest.update(b"\0sidecar\0" + read_inside(sidecar, root, hardlinks=options.hardlinks))
    return digest.hexdigest()


def _read_sidecar(path: Path, root: Path, options: ReadOptions) -> dict:
    sidecar = _sidecar_path(path)
    if not (sidecar.exists() or sidecar.is_symlink()):
        return {}
    return parse_sidecar(path.name, read_inside(sidecar, root, hardlinks=options.hardlinks))


def check_sidecar(folder: Path, name: str, text: str, options: ReadOptions) -> None:
    """``DocumentError`` when the metadata file already in ``folder`` for ``name`` does not fit ``text``
    (a section's ``starts_at`` that the new text no longer holds): an upload that replaces a document is
    refused with that reason rather than stored and then skipped by ingest."""
    fit_sidecar(name, text, _read_sidecar(folder / name, folder.resolve(), options))


def _optional_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
