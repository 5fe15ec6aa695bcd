"""Source documents: reading seed files, their metadata sidecars and their sections.

A seed is any ``.txt`` or ``.md`` file directly inside the seeds folder. Its text is decoded as UTF-8
exactly as stored (no newline translation, no BOM stripping) because every citation offset is an index
into that string: ``document.text[start:end]`` must give back the cited characters.

Metadata lives beside the file in ``<file name>.meta.json`` so that no code needs to know any particular
document::

    {
      "title": "...", "author": "...", "publisher": "...", "date": "...", "url": "...",
      "sections": [{"name": "comments", "starts_at": "cast235", "voice": "reader"}]
    }

Every document starts in a ``body`` section. Each declared section begins at the start of the line that
holds the first occurrence of its ``starts_at`` text (searched after the previous section's start) and
runs to the next section or the end. ``voice`` says whose words a section holds: ``author`` (the
default) or anything else (``reader``), which the answerer never presents as the document's position.
Without a sidecar, the title is the first Markdown heading or first non-empty line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from rag_service.errors import DocumentError

SEED_SUFFIXES = (".txt", ".md")
SIDECAR_SUFFIX = ".meta.json"
BODY = "body"


@dataclass(frozen=True)
class Section:
    name: str
    start: int
    end: int
    voice: str = "author"


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
        }


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    meta: DocumentMeta
    sections: tuple[Section, ...]
    sha256: str
    """Hash of the file's bytes and of its sidecar: a change to either re-processes the document."""

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]


@dataclass(frozen=True)
class SourceFile:
    """A seed file found on disk, hashed but not parsed: what incremental ingest compares."""

    name: str
    path: Path
    sha256: str = field(compare=True)


def list_sources(seeds_dir: Path) -> list[SourceFile]:
    """Seed files in name order with the hash that decides whether they must be re-processed."""
    if not seeds_dir.is_dir():
        raise DocumentError(
            f"seeds folder {seeds_dir} does not exist: create it and put .txt or .md files in it"
        )
    sources = []
    for path in sorted(seeds_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in SEED_SUFFIXES and not path.name.startswith("."):
            sources.append(SourceFile(path.name, path, _hash_with_sidecar(path)))
    return sources


def load_document(source: SourceFile) -> Document:
    path = source.path
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read seed file {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"seed file {path} is not valid UTF-8 (byte {exc.start}): convert it to UTF-8 and re-run ingest"
        ) from exc
    sidecar = _read_sidecar(path)
    meta = DocumentMeta(
        title=str(sidecar.get("title") or _guess_title(text, path)),
        author=_optional_str(sidecar.get("author")),
        publisher=_optional_str(sidecar.get("publisher")),
        date=_optional_str(sidecar.get("date")),
        url=_optional_str(sidecar.get("url")),
    )
    sections = _sections(text, sidecar.get("sections") or [], path)
    return Document(source.name, text, meta, sections, source.sha256)


def _hash_with_sidecar(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.is_file():
        digest.update(b"\0sidecar\0" + sidecar.read_bytes())
    return digest.hexdigest()


def _read_sidecar(path: Path) -> dict:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DocumentError(f"metadata file {sidecar} is not valid JSON ({exc}): fix or remove it") from exc
    if not isinstance(data, dict):
        raise DocumentError(f"metadata file {sidecar} must hold a JSON object")
    return data


def _sections(text: str, declared: list, path: Path) -> tuple[Section, ...]:
    starts: list[tuple[int, str, str]] = [(0, BODY, "author")]
    search_from = 0
    for entry in declared:
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("starts_at"):
            raise DocumentError(
                f"metadata for {path.name}: each section needs a 'name' and a 'starts_at' text"
            )
        found = text.find(str(entry["starts_at"]), search_from)
        if found < 0:
            raise DocumentError(
                f"metadata for {path.name}: section {entry['name']!r} starts at {entry['starts_at']!r}, "
                "which is not in the text after the previous section; fix the sidecar"
            )
        line_start = text.rfind("\n", 0, found) + 1
        starts.append((max(line_start, search_from), str(entry["name"]), str(entry.get("voice", "reader"))))
        search_from = found + 1
    sections = []
    for i, (start, name, voice) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        if end > start:
            sections.append(Section(name, start, end, voice))
    return tuple(sections) or (Section(BODY, 0, len(text)),)


def _guess_title(text: str, path: Path) -> str:
    for line in text.splitlines():
        stripped = line.strip().lstrip("#").strip()
        if stripped:
            return stripped[:120]
    return path.stem


def _optional_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
