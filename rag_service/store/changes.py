"""Changes to a collection's document files that a store applies together with an index version.

The files store keeps documents in its folder, where uploads land before the ingest that follows them;
the PostgreSQL store keeps them in the database and applies these changes in the transaction that makes
the new version current (``rag_service.store.postgres.files``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NewFile:
    """A file to store under its name: its bytes and the sidecar that goes with them (None: none)."""

    content: bytes
    sidecar: bytes | None = None

    @property
    def pdf(self) -> bool:
        return b"%PDF-" in self.content[:1024]


@dataclass
class FileChanges:
    """Files to store or replace (``puts``) and names to delete, applied with an index version."""

    puts: dict[str, NewFile] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.puts or self.deletes)
