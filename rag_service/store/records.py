"""Index records as JSON-ready dicts, and back: the one serialisation every store uses.

The file store writes them as JSON lines, the PostgreSQL store as ``jsonb``; keeping the mapping in one
place means both stores hand readers identical ``Document``, ``Chunk`` and ``Sentence`` values.
"""

from __future__ import annotations

from typing import Any

from rag_service.models import Chunk, Document, DocumentMeta, Region, Section, Sentence, Structure


def document_record(d: Document) -> dict[str, Any]:
    return {
        "name": d.name,
        "sha256": d.sha256,
        "meta": d.meta.as_dict(),
        "sections": [[s.name, s.start, s.end, s.voice] for s in d.sections],
        "structure": _structure_record(d.structure),
        "text": d.text,
    }


def document_from(r: dict[str, Any]) -> Document:
    sections = tuple(Section(name, start, end, voice) for name, start, end, voice in r["sections"])
    structure = _structure_from(r.get("structure") or {})
    return Document(r["name"], r["text"], DocumentMeta(**r["meta"]), sections, r["sha256"], structure)


def _structure_record(s: Structure) -> dict[str, Any]:
    regions = {kind: [[g.start, g.end, g.label] for g in getattr(s, kind)] for kind in _REGION_KINDS}
    return {"kind": s.kind, **regions, "notes": list(s.notes)}


def _structure_from(r: dict[str, Any]) -> Structure:
    regions = {kind: tuple(Region(*g) for g in r.get(kind, ())) for kind in _REGION_KINDS}
    return Structure(kind=r.get("kind", "text"), **regions, notes=tuple(r.get("notes", ())))


_REGION_KINDS = ("pages", "headings", "tables")


def chunk_record(c: Chunk) -> dict[str, Any]:
    record = {**_span_record(c), "id": c.id, "sentences": list(c.sentence_ids)}
    if c.header:
        record["header"] = c.header
    return record


def chunk_from(r: dict[str, Any]) -> Chunk:
    fields = _span_fields(r)
    return Chunk(**fields, id=r["id"], sentence_ids=tuple(r["sentences"]), header=r.get("header", ""))


def sentence_record(s: Sentence) -> dict[str, Any]:
    return _span_record(s)


def sentence_from(r: dict[str, Any]) -> Sentence:
    return Sentence(**_span_fields(r))


_SPAN_FIELDS = ("source", "section", "voice", "title", "start", "end", "text")


def _span_record(span: Chunk | Sentence) -> dict[str, Any]:
    return {name: getattr(span, name) for name in _SPAN_FIELDS}


def _span_fields(r: dict[str, Any]) -> dict[str, Any]:
    return {name: r[name] for name in _SPAN_FIELDS}
