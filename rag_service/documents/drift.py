"""Whether the documents folder and the index agree: what ``/api/health`` reports, and what a starting
server checks to finish work a crash interrupted.

A kill between writing uploaded files and indexing them, or in the middle of an ingest, leaves files in
the folder that the index does not hold (or holds in an older version), while the server answers as if
all were well. ``folder_drift`` compares the folder with the index the way ingest would (the same hash of
file, sidecar and OCR state), but only re-hashes a file whose size, time or inode changed since it last
looked, so a health probe costs one ``stat`` per file.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from rag_service.documents.files import ReadOptions, source_hash
from rag_service.documents.formats.sniff import SUFFIXES
from rag_service.documents.sidecar import SIDECAR_SUFFIX
from rag_service.errors import DocumentError
from rag_service.store.model import LoadedIndex

SHOWN = 20
"""Names listed per kind; the counts are always whole."""


@dataclass(frozen=True)
class Drift:
    not_indexed: list[str] = field(default_factory=list)
    """Readable document files the index does not hold."""
    changed: list[str] = field(default_factory=list)
    """Files whose content (or sidecar) differs from the version indexed, or that can no longer be read."""
    missing: list[str] = field(default_factory=list)
    """Indexed documents whose file is gone."""

    @property
    def in_sync(self) -> bool:
        return not (self.not_indexed or self.changed or self.missing)

    def as_dict(self) -> dict[str, object]:
        return {
            "in_sync": self.in_sync,
            **{
                kind: {"count": len(names), "names": sorted(names)[:SHOWN]}
                for kind, names in (
                    ("not_indexed", self.not_indexed),
                    ("changed", self.changed),
                    ("missing", self.missing),
                )
            },
        }


_HASHES: dict[tuple[str, str], tuple[tuple[int, ...], str | None]] = {}
_LOCK = threading.Lock()


def _signature(path: Path) -> tuple[int, ...]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    parts: list[int] = []
    for p in (path, sidecar):
        try:
            st = os.stat(p)
            parts += [st.st_size, st.st_mtime_ns, st.st_ino, st.st_nlink]
        except OSError:
            parts += [-1]
    return tuple(parts)


def _hash(path: Path, root: Path, options: ReadOptions) -> str | None:
    """The file's ingest hash, or None when ingest would skip it; cached by its ``stat``."""
    key = (str(root), path.name)
    signature = _signature(path)
    with _LOCK:
        cached = _HASHES.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    try:
        digest: str | None = source_hash(path, root, options)
    except (DocumentError, OSError):
        digest = None
    with _LOCK:
        _HASHES[key] = (signature, digest)
    return digest


def folder_drift(folder: Path, index: LoadedIndex, options: ReadOptions) -> Drift | None:
    """How ``folder`` differs from ``index``; None when there is no folder here to compare (a replica
    that serves a shared database without the documents)."""
    if not folder.is_dir():
        return None
    root = folder.resolve()
    documents = index.documents
    skipped = {s["name"] for s in index.manifest.skipped}
    drift = Drift()
    present = set()
    for path in folder.iterdir():
        name = path.name
        if name.startswith(".") or name.endswith(SIDECAR_SUFFIX) or path.suffix.lower() not in SUFFIXES:
            continue
        present.add(name)
        digest = _hash(path, root, options)
        indexed = documents.get(name)
        if indexed is None:
            if digest is not None or name not in skipped:  # readable, or unreadable and never reported
                drift.not_indexed.append(name)
        elif digest != indexed.sha256:
            drift.changed.append(name)
    drift.missing.extend(name for name in documents if name not in present)
    return drift
