"""Putting uploaded files into the documents folder, and taking them out, without ever leaving it.

An uploaded file's name comes from the client and is not trusted: only its last path component is kept,
characters outside letters, digits and ``._-()`` and space become ``_``, leading dots go (a hidden file
would be ignored by ingest, and ``..`` means nothing), and the suffix must be one the service reads. The
file is checked by extracting it *before* anything is written, so a file the service cannot read never
lands in the folder; it is written under a temporary hidden name and renamed into place, so ingest (and
a concurrent upload) sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag_service.documents.files import SIDECAR_SUFFIX, ReadOptions, SkippedFile, check_size
from rag_service.documents.formats import extract
from rag_service.documents.formats.sniff import SUFFIXES
from rag_service.errors import DocumentError, NotFoundError

MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\-() ]+")
_SPACES = re.compile(r"\s+")


def safe_name(raw_name: str) -> str:
    """The name an uploaded file is stored under, or ``DocumentError`` saying why there is none."""
    name = unicodedata.normalize("NFC", raw_name or "")
    name = re.split(r"[\\/]", name)[-1]  # a browser may send "C:\\Users\\me\\report.pdf"
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip().lstrip(".").strip()
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUFFIXES:
        accepted = ", ".join(sorted(SUFFIXES))
        raise DocumentError(f"{raw_name[:120]!r}: not a supported file type; accepted: {accepted}")
    suffix = suffix.lower()
    stem = stem.rstrip(". ")[: MAX_NAME_CHARS - len(suffix) - 1] or "document"
    return f"{stem}.{suffix}"


@dataclass(frozen=True)
class Accepted:
    """An upload that was read successfully and written into the folder."""

    name: str
    replaced: bool


def store_upload(folder: Path, raw_name: str, raw: bytes, options: ReadOptions) -> Accepted:
    """Check ``raw`` as ingest will read it (``options``) and write it into ``folder`` as the sanitised
    ``raw_name`` (replacing a file of that name). ``DocumentError`` for a file that must not be stored."""
    name = safe_name(raw_name)
    check_size(name, len(raw), options.max_bytes)
    extract(raw, name, ocr=options.ocr)  # raises DocumentError for anything the service cannot read
    target = _inside(folder, name)
    replaced = target.exists()
    temporary = folder / f".upload-{secrets.token_hex(8)}.part"
    try:
        with open(temporary, "xb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return Accepted(name, replaced)


def remove_document(folder: Path, name: str) -> None:
    """Delete the document file ``name`` (and its metadata sidecar) from ``folder``.

    The name must be exactly one of the folder's document files: it is never joined into a path first."""
    present = {p.name: p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.name[0] != "."}
    path = present.get(name)
    if path is None:
        raise NotFoundError(f"no document file is named {name[:200]!r}: GET /api/documents lists them")
    path.unlink()  # a link is removed itself, never what it points at
    sidecar = folder / (path.name + SIDECAR_SUFFIX)
    if sidecar.is_file() and not sidecar.is_symlink():
        sidecar.unlink()


def _inside(folder: Path, name: str) -> Path:
    target = folder / name
    if target.parent.resolve() != folder.resolve() or target.is_symlink() or target.is_dir():
        raise DocumentError(f"{name}: a folder or link of that name is in the way; rename the file")
    return target


def rejected(raw_name: str, error: DocumentError) -> SkippedFile:
    """A refused upload as an ingest report lists skipped files."""
    return SkippedFile(raw_name[:200], str(error))
