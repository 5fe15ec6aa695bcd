"""What the previous answer quoted, found again in the index: the passages a follow-up points at.

The API is stateless, so a follow-up's only record of the previous turn is the history the client sends.
An extractive answer is made of whole sentences of the documents, each followed by its ``[n]`` marker,
so the sentences it quoted can be found again by their exact text. A follow-up ("Who said that?",
"Where is it?") is then answered from the passages that hold them, which retrieval of the follow-up's
own few words may miss, and the answer does not simply repeat them: the user has just read those.
An LLM's paraphrase matches no sentence; its names and numbers still reach retrieval through the
condenser's context (``rag_service.conversation``).
"""

from __future__ import annotations

import re
from functools import cached_property

from rag_service.answer.layout import SentenceLayout
from rag_service.answer.markdown_safe import link_text, unescape
from rag_service.documents.chunking import embedding_text
from rag_service.models import ScoredChunk
from rag_service.store.model import IndexContent

_MARKER = re.compile(r"\s*\[\d+\]\s*")
_QUOTED = re.compile(r"\u201c(.+?)\u201d", re.DOTALL)


class QuotedSentences:
    """Sentence rows and chunks of one index by exact sentence text (maps built on first use)."""

    def __init__(self, content: IndexContent, layout: SentenceLayout | None = None) -> None:
        """``layout``: the version's (``answer.layout``), whose first chunk of each sentence spares a
        walk over every chunk."""
        self._content = content
        self._layout = layout

    @cached_property
    def _rows_by_text(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for row, sentence in enumerate(self._content.sentences):
            rows.setdefault(sentence.text, []).append(row)
            shown = link_text(sentence.text)  # how an answer shows a Markdown or reStructuredText sentence
            if shown != sentence.text:
                rows.setdefault(shown, []).append(row)
        return rows

    def _chunk_of(self, row: int) -> int | None:
        """The row of the first chunk holding sentence ``row``, if any."""
        if self._layout is not None:
            chunk = int(self._layout.chunk[row]) if 0 <= row < len(self._layout.chunk) else -1
            return chunk if chunk >= 0 else None
        return self._chunk_of_row.get(row)

    @cached_property
    def _chunk_of_row(self) -> dict[int, int]:
        chunk_of: dict[int, int] = {}
        for position, chunk in enumerate(self._content.chunks):
            for row in chunk.sentence_ids:
                chunk_of.setdefault(row, position)
        return chunk_of

    def rows(self, answer: str, first_only: bool = False) -> list[int]:
        """Rows of the sentences ``answer`` quoted (between its ``[n]`` markers), in answer order; with
        ``first_only``, those of its first citation only (the answer proper; later ones add context)."""
        segments = _MARKER.split(unescape(answer))  # the answer as shown: escaped for Markdown
        texts = [
            embedding_text(text)
            for segment in (segments[:1] if first_only else segments)
            for text in _QUOTED.findall(segment) or [segment]  # "A reader ... says: “…”" quotes inside
        ]
        # A segment may hold several sentences (a list and its introduction): tried one by one.
        parts = {text: re.split(r"(?<=[.!?:])\s+", text) for text in texts if text}
        by_text = self._rows_with_text({key for text, split in parts.items() for key in (text, *split)})
        found: list[int] = []
        for text in filter(None, texts):
            exact = by_text.get(text)
            found += exact if exact else [row for part in parts[text] for row in by_text.get(part, [])]
        return list(dict.fromkeys(found))

    def _rows_with_text(self, texts: set[str]) -> dict[str, list[int]]:
        """Each of ``texts`` that some sentence is -> those sentences' rows: asked of the database when
        sentences are read on demand (``RowSentences``), else from a map over every sentence."""
        ask = getattr(self._content.sentences, "rows_with_text", None)
        if ask is not None:
            return dict(ask(texts))
        return {text: self._rows_by_text[text] for text in texts if text in self._rows_by_text}

    def extra_hits(self, rows: list[int], hits: tuple[ScoredChunk, ...]) -> tuple[ScoredChunk, ...]:
        """``hits`` plus the chunks holding ``rows`` that retrieval did not bring, ranked after them."""
        have = {hit.chunk.id for hit in hits}
        extra: list[ScoredChunk] = []
        for row in rows:
            position = self._chunk_of(row)
            if position is None:
                continue
            chunk = self._content.chunks[position]
            if chunk.id not in have:
                have.add(chunk.id)
                extra.append(ScoredChunk(chunk, 0.0, None, None, len(hits) + len(extra) + 1))
        return hits + tuple(extra)
