"""Plain-dict views of value objects: one shape for the CLI's ``--json``, the HTTP API and evaluation;
and the one plain-text "Sources:" footer (CLI, OpenAI-compatible replies), with its inverse for history
that comes back with footers attached."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from rag_service.answer.markdown_safe import escape, unescape
from rag_service.models import Answer, Citation, Grounding, ScoredChunk


def citation_dict(citation: Citation) -> dict[str, Any]:
    # Flat fields: a plain comprehension, not ``asdict`` (which deep-copies every value, on every answer).
    return {name: getattr(citation, name) for name in _CITATION_FIELDS}


_CITATION_FIELDS = tuple(f.name for f in fields(Citation))


FOOTER_HEADING = "Sources:"
FOOTER_SEPARATOR = f"\n\n{FOOTER_HEADING}\n"


def hit_dict(hit: ScoredChunk) -> dict[str, Any]:
    chunk = hit.chunk
    return {
        "rank": hit.rank,
        "id": chunk.id,
        "source": chunk.source,
        "title": chunk.title,
        "section": chunk.section,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "header": chunk.header or None,
        "score": round(hit.score, 6),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 4),
        "lexical_score": None if hit.lexical_score is None else round(hit.lexical_score, 4),
    }


def grounding_dict(grounding: Grounding | None) -> dict[str, Any] | None:
    if grounding is None:
        return None
    return {
        "supported_share": grounding.supported_share,
        "mode": grounding.mode,
        "replaced": grounding.replaced,
        "sentences": [
            {"text": s.text, "citations": list(s.citations), "supported": s.supported, "score": s.score}
            for s in grounding.sentences
        ],
    }


def answer_dict(answer: Answer) -> dict[str, Any]:
    return {
        "answer": answer.text,
        "citations": [citation_dict(c) for c in answer.citations],
        "not_found": answer.not_found,
        "standalone_question": answer.standalone_question,
        "retrieved": [hit_dict(h) for h in answer.retrieved],
        "timings_ms": answer.timings_ms,
        "backend": answer.backend,
        "notes": list(answer.notes),
        "grounding": grounding_dict(answer.grounding),
        "index_version": answer.index_version,
        "answerability": None if answer.answerability is None else round(answer.answerability, 4),
    }


def sources_footer(answer: Answer) -> str:
    """A readable list of the cited passages, for plain-text clients."""
    return citations_footer([citation_dict(c) for c in answer.citations])


def citations_footer(citations: Sequence[Mapping[str, Any]], *, markdown: bool = False) -> str:
    """``sources_footer`` from citations as the API returns them (the CLI also prints a server's)."""
    if not citations:
        return ""
    lines = [FOOTER_HEADING]
    for c in citations:
        voice = " — reader comment" if c["voice"] != "author" else ""
        quote = " ".join(str(c["quote"]).split())
        # where a reader of the file finds the quote: its page (PDF) and section (any format with headings)
        where = "".join(
            f", {label}" for label in (c.get("page") and f"page {c['page']}", c.get("heading")) if label
        )
        text = (
            f"{c['title']} ({c['source']}, {c['section']}{voice}{where}, "
            f"chars {c['start']}–{c['end']}): \u201c{quote}\u201d"
        )
        lines.append(f"[{c['n']}] {escape(text) if markdown else text}")
    return "\n".join(lines)


def with_footer(answer: Answer) -> str:
    """The answer text followed by its sources, for clients that show plain text only."""
    footer = citations_footer([citation_dict(c) for c in answer.citations], markdown=True)
    return (
        answer.text + FOOTER_SEPARATOR + footer.removeprefix(FOOTER_HEADING + "\n") if footer else answer.text
    )


def strip_footer(text: str) -> str:
    """An earlier reply as it was before ``with_footer`` (clients send history back with footers)."""
    return unescape(text.split(FOOTER_SEPARATOR)[0])
