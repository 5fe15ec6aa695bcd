"""Changes to a collection's document files that a store applies together with an index version.

The files store keeps documents in its folder, where uploads land before the ingest that follows them;
the PostgreSQL store keeps them in the database and applies these changes in the transaction that makes
the new version current (``rag_service.store.postgres.files``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def file_hash(content_sha256: str, pdf: bool, sidecar_sha256: str | None, ocr_state: str) -> str:
    """The hash ingest compares with an indexed document's, for a file kept as bytes (a database row
    or an upload not yet stored): its bytes, its sidecar, and for a PDF the OCR state, so that turning
    OCR on re-reads the scans, as the files store's hash does."""
    parts = (content_sha256, ocr_state if pdf else "", sidecar_sha256 or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class NewFile:
    """A file to store under its name: its bytes and the sidecar that goes with them (None: none)."""

    content: bytes
    sidecar: bytes | None = None

    @property
    def pdf(self) -> bool:
        return b"%PDF-" in self.content[:1024]

    def source_hash(self, ocr_state: str) -> str:
        side = None if self.sidecar is None else sha256(self.sidecar)
        return file_hash(sha256(self.content), self.pdf, side, ocr_state)


@dataclass
class FileChanges:
    """Files to store or replace (``puts``) and names to delete, applied with an index version."""

    puts: dict[str, NewFile] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)
