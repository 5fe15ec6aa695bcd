"""Putting uploaded files into the documents folder, and taking them out, without ever leaving it.

An uploaded file's name comes from the client and is not trusted: only its last path component is kept,
characters outside letters, digits and ``._-()`` and space become ``_``, leading dots go (a hidden file
would be ignored by ingest, and ``..`` means nothing), the suffix must be one the service reads, and the
name is cut to ``MAX_NAME_BYTES`` bytes of UTF-8 (file systems refuse names over 255 bytes, and a name
of 120 Chinese characters is 360). A name that differs from a document already in the folder only by
case or by look-alike characters (a Cyrillic "а" for a Latin "a") is refused: two such files beside
each other are a trap for whoever picks one by name.

Each file is checked by extracting it *before* anything is written (``stage_upload``), against the same
limits as ingest and against the metadata sidecar already in the folder for that name, so a file the
service cannot read never lands in the folder. It is then written under a temporary hidden name
(``.upload-<pid>-<token>.part``). ``UploadBatch`` puts a request's files in place together: a replaced
file is first renamed aside (``.upload-<pid>-<token>.old-<name>``), so that ``rollback`` can restore every
file as it was when a later file fails to land or the ingest that follows is refused. At start-up
``clean_leftovers`` removes what a killed process left: temporary files are deleted, and a set-aside
file comes back if its document is missing (a kill between the two renames), else it is deleted.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

from rag_service.documents.files import (
    ReadOptions,
    SkippedFile,
    check_sidecar,
    check_size,
    check_text,
)
from rag_service.documents.formats import extract
from rag_service.documents.formats.sniff import SUFFIXES
from rag_service.documents.sidecar import SIDECAR_SUFFIX
from rag_service.errors import DocumentError, NotFoundError, StoreUnavailableError
from rag_service.store.files import fsync_path

MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 200
"""Leaves room under the file system's 255 bytes for the prefix of the set-aside copy."""
PREFIX = ".upload-"
_UNSAFE = re.compile(r"[^\w.\-() ]+")
_SPACES = re.compile(r"\s+")
_LEFTOVER = re.compile(r"\.upload-(\d+)-[0-9a-f]+\.(part|old-(.+))$", re.DOTALL)
log = logging.getLogger("rag_service.documents")


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
    stem = stem[: MAX_NAME_CHARS - len(suffix) - 1]
    while len(f"{stem}.{suffix}".encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem.rstrip('. ') or 'document'}.{suffix}"


@cache
def _plain(ch: str) -> str:
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(ch, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for glyph in entry["homoglyphs"]:
            if glyph["c"].isascii():
                return str(glyph["c"]).lower()
    return ch


def skeleton(name: str) -> str:
    """What ``name`` looks like: case folded, compatibility forms unified, and every non-ASCII letter
    that has an ASCII look-alike (Unicode's confusables table) replaced by it."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch if ch.isascii() else _plain(ch) for ch in folded)


def check_look_alike(name: str, names: Iterable[str]) -> None:
    """``DocumentError`` when ``name`` differs from one of ``names`` only by case or look-alikes."""
    wanted = skeleton(name)
    for other in names:
        if other != name and skeleton(other) == wanted:
            raise DocumentError(
                f"{name}: looks the same as the document {other!r} already in the folder (it differs "
                "only by case or look-alike characters); upload it under that exact name to replace it, "
                "or choose a clearly different name"
            )


def _documents(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name[0] != "." and p.suffix.lower() in SUFFIXES]


@dataclass(frozen=True)
class Staged:
    """An upload that was read successfully and written under a temporary name, not yet in place."""

    name: str
    temporary: Path
    characters: int


@dataclass(frozen=True)
class Accepted:
    """An upload that is in the folder."""

    name: str
    replaced: bool


def read_upload(raw_name: str, source: BinaryIO, size: int, options: ReadOptions) -> tuple[str, bytes, str]:
    """The stored name, bytes and extracted text of an upload checked as ingest will read it (size,
    readability, length); ``DocumentError`` for a file that must not be stored."""
    name = safe_name(raw_name)
    check_size(name, size, options.max_bytes)
    raw = source.read(options.max_bytes + 1)
    check_size(name, max(size, len(raw)), options.max_bytes)
    extracted = extract(raw, name, ocr=options.ocr)  # DocumentError for anything the service cannot read
    check_text(name, extracted.text, options.max_chars)
    return name, raw, extracted.text


def stage_upload(folder: Path, raw_name: str, source: BinaryIO, size: int, options: ReadOptions) -> Staged:
    """Check the upload (``size`` bytes readable from ``source``) as ingest will read it and write it
    under a temporary name in ``folder``. ``DocumentError`` for a file that must not be stored."""
    name, raw, text = read_upload(raw_name, source, size, options)
    _inside(folder, name)
    check_look_alike(name, _documents(folder))
    check_sidecar(folder, name, text, options)
    temporary = folder / f"{PREFIX}{os.getpid()}-{secrets.token_hex(8)}.part"
    try:
        with open(temporary, "xb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _unwritable(exc) from None
    return Staged(name, temporary, len(text))


@dataclass
class UploadBatch:
    """The files of one upload request, put in place together and undone together."""

    folder: Path
    staged: list[Staged] = field(default_factory=list)
    _placed: list[tuple[Path, Path | None]] = field(default_factory=list)
    """(document, its set-aside earlier version or None) for every file put in place."""

    def add(self, staged: Staged) -> None:
        """Add a checked file; a later file of the same name replaces an earlier one of the request."""
        for earlier in [s for s in self.staged if s.name == staged.name]:
            earlier.temporary.unlink(missing_ok=True)
            self.staged.remove(earlier)
        self.staged.append(staged)

    def commit(self) -> list[Accepted]:
        """Put every file in place, or none: on a failure the ones already placed are undone."""
        accepted = []
        try:
            for staged in self.staged:
                target = _inside(self.folder, staged.name)
                aside = None
                if target.exists():
                    aside = self.folder / f"{PREFIX}{os.getpid()}-{secrets.token_hex(8)}.old-{staged.name}"
                    os.rename(target, aside)
                self._placed.append((target, aside))
                os.replace(staged.temporary, target)
                accepted.append(Accepted(staged.name, aside is not None))
            fsync_path(self.folder)
        except OSError as exc:
            self.rollback()
            raise _unwritable(exc) from None
        except DocumentError:
            self.rollback()
            raise
        return accepted

    def rollback(self) -> None:
        """Every document of the request as it was before; temporary files removed."""
        for target, aside in reversed(self._placed):
            if aside is not None and aside.exists():
                os.replace(aside, target)
            elif aside is None:
                target.unlink(missing_ok=True)
        self._placed.clear()
        self.discard()
        fsync_path(self.folder)

    def finish(self) -> None:
        """The request succeeded: the set-aside earlier versions go."""
        for _, aside in self._placed:
            if aside is not None:
                aside.unlink(missing_ok=True)
        self._placed.clear()

    def discard(self) -> None:
        """Temporary files of a request that will not be committed."""
        for staged in self.staged:
            staged.temporary.unlink(missing_ok=True)


def clean_leftovers(folder: Path) -> list[str]:
    """Remove what killed uploads left in ``folder`` (files of processes no longer running, or of this
    one's pid from before a restart); returns one line for each thing done, for the log."""
    done: list[str] = []
    if not folder.is_dir():
        return done
    for path in folder.iterdir():
        match = _LEFTOVER.match(path.name)
        if match is None or _running(int(match.group(1))):
            continue
        original = match.group(3)
        if original is not None and not (folder / original).exists():
            os.replace(path, folder / original)
            done.append(f"restored {original}, which a killed upload had set aside")
        else:
            path.unlink(missing_ok=True)
            done.append(f"removed {path.name}, left by a killed upload")
    return done


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a file of this pid is from an earlier process that had the same number
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def _unwritable(exc: OSError) -> StoreUnavailableError:
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    why = "the disk is full" if full else exc.strerror or "a write failed"
    return StoreUnavailableError(f"the documents folder could not be written ({why}); nothing was changed")


def rejected(raw_name: str, error: DocumentError) -> SkippedFile:
    """A refused upload as an ingest report lists skipped files."""
    return SkippedFile(raw_name[:200], str(error))
