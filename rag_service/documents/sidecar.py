"""Document metadata files ("sidecars"): parsing them and placing their sections in a document's text.

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
The sidecar's fields win over what the file declares itself (a PDF's title field, a page's ``<h1>``, a
Word document's author); without either, the title is the file's own (a front matter ``title:``, else its
first line with prose, ``documents.markup``), and the file name when it has none.

These helpers take bytes and text only, so a sidecar read from the documents folder and one stored in
the database (``store.postgres.files``) are checked alike.
"""

from __future__ import annotations

import json

from rag_service.errors import DocumentError
from rag_service.models import Section

SIDECAR_SUFFIX = ".meta.json"
BODY = "body"


def parse_sidecar(name: str, raw: bytes) -> dict:
    """The metadata object of document ``name``'s sidecar bytes, or ``DocumentError`` saying why not."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise DocumentError(
            f"{name}: its metadata file {name}{SIDECAR_SUFFIX} is not valid JSON ({exc}); fix or remove it"
        ) from exc
    if not isinstance(data, dict):
        raise DocumentError(f"{name}: its metadata file {name}{SIDECAR_SUFFIX} must hold a JSON object")
    return data


def sections_of(text: str, declared: object, name: str) -> tuple[Section, ...]:
    if not isinstance(declared, list):
        raise DocumentError(f"{name}: 'sections' in its metadata file must be a list")
    starts: list[tuple[int, str, str]] = [(0, BODY, "author")]
    search_from = 0
    for entry in declared:
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("starts_at"):
            raise DocumentError(
                f"{name}: each section in its metadata file needs a 'name' and a 'starts_at' text"
            )
        found = text.find(str(entry["starts_at"]), search_from)
        if found < 0:
            raise DocumentError(
                f"{name}: metadata section {entry['name']!r} starts at "
                f"{str(entry['starts_at'])[:80]!r}, "
                "which is not in the text after the previous section; fix the metadata file"
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


def fit_sidecar(name: str, text: str, sidecar: dict) -> None:
    """``DocumentError`` when ``sidecar``'s sections do not fit ``text`` (a section whose ``starts_at``
    the text does not hold): an upload replacing a document is refused with that reason rather than stored
    and then skipped by ingest.."""
    sections_of(text, sidecar.get("sections") or [], name)
