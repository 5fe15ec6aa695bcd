"""What the extractive answerer hands on (``Extract``), and how its text is written from the chosen
sentences: each quote, or a list it introduces, with its citation marker; a non-author voice introduced
as such ("A reader in the comments of … says: …"); the document's own characters made safe to render
as Markdown (``answer.markdown_safe``), a Markdown document's links shown as their text; or the standard
"not in the documents" reply.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from rag_service.answer.citations import span_citation
from rag_service.answer.code_blocks import CodeBlock, introduced_code
from rag_service.answer.companions import Companions
from rag_service.answer.markdown_safe import escape, link_text
from rag_service.models import Citation
from rag_service.store.model import LoadedIndex

MARKUP_KINDS = ("markdown", "rst")
"""Formats whose sentences are shown as they read rendered (``markdown_safe.link_text``)."""
NOT_FOUND_TEXT = "The documents do not contain an answer to this question."
NO_WORDS_NOTE = "The question has no word to look up in the documents: ask about something they might say."


@dataclass(frozen=True)
class Extract:
    text: str
    citations: tuple[Citation, ...]
    not_found: bool
    answerability: float | None
    """The model's probability that the passages answer (None when nothing was retrieved)."""
    notes: tuple[str, ...] = ()
    parts: tuple[tuple[int, ...], ...] = ()
    """Sentence rows behind each citation, in citation order (for the grounding check)."""


class ExtractWriter:
    def __init__(self, index: LoadedIndex, companions: Companions) -> None:
        self._index = index
        self._content = index.content
        self._companions = companions

    def compose(
        self,
        chosen: list[tuple[int, float]],
        probability: float | None,
        retrieved: frozenset[int] = frozenset(),
    ) -> Extract:
        texts, citations, parts = [], [], []
        documents = self._index.documents
        codes = {row: self._part(row, retrieved) for row, _ in chosen}
        lists = {row: part + inside for row, (part, _, inside) in codes.items()}
        brought = {item for part in lists.values() for item in part[1:]}
        chosen = [
            pair for pair in chosen if pair[0] not in brought
        ]  # a list item is quoted once, in its list
        for n, (row, score) in enumerate(chosen, start=1):
            part, code, _ = codes[row]
            sentence = self._content.sentences[row]
            texts_of = [self._content.sentences[r].text for r in part]
            if documents[sentence.source].structure.kind in MARKUP_KINDS:  # the citation keeps the bytes
                texts_of = [link_text(t) for t in texts_of]  # a link reads as its text
            body = escape(" ".join(texts_of))
            if code is not None:  # "To start building, you need to run" and the command itself
                body = f"{body} {code.spans()}"
            if sentence.voice != "author":
                # The first quote says whose words these are; the next ones of that section say "also".
                previous = self._content.sentences[chosen[n - 2][0]] if n > 1 else None
                same = previous is not None and (previous.source, previous.section) == (
                    sentence.source,
                    sentence.section,
                )
                where = escape(
                    f"A {sentence.voice} in the {sentence.section} of \u201c{sentence.title}\u201d says"
                )
                body = f"{'Also in the ' + sentence.section if same else where}: \u201c{body}\u201d"
            texts.append(f"{body} [{n}]")
            end = None if code is None else code.end
            citations.append(span_citation(n, lists[row], score, self._content, documents, end=end))
            parts.append(lists[row])
        if not texts:
            return self.not_found(probability, False)
        return Extract(" ".join(texts), tuple(citations), False, probability, parts=tuple(parts))

    def _part(
        self, row: int, retrieved: frozenset[int]
    ) -> tuple[tuple[int, ...], CodeBlock | None, tuple[int, ...]]:
        """What quoting ``row`` quotes (``_with_code``): the code block it introduces; else the list items
        that follow it (``Companions.with_list``) and the code the last of them introduces. Code is tried
        first: the lines of an indented block after "Output::" would pass for the items of a list."""
        found = self._with_code((row,))
        return found if found[1] is not None else self._with_code(self._companions.with_list(row, retrieved))

    def _with_code(self, part: tuple[int, ...]) -> tuple[tuple[int, ...], CodeBlock | None, tuple[int, ...]]:
        """``part``, the code its last sentence introduces, and the sentence rows inside that code (a line
        of code that reads like prose is one: it is quoted in the block, never again on its own). When a
        short introduction follows the part in its paragraph, no blank line between ("… file and
        directory paths. It can be accessed using:"), which never answers on its own, it joins the part
        and its code is taken."""
        sentences = self._content.sentences
        last = sentences[part[-1]]
        if last.voice != "author":
            return part, None, ()
        text = self._index.documents[last.source].text
        code = introduced_code(text, last.text, last.end)
        following = part[-1] + 1
        if code is None and following < len(sentences):
            after = sentences[following]
            between = text[last.end : after.start]
            adjacent = after.source == last.source and not between.strip() and between.count("\n") < 2
            if adjacent and after.text.rstrip().endswith(":"):
                code = introduced_code(text, after.text, after.end)
                part = (*part, following) if code is not None else part
        if code is None:
            return part, None, ()
        inside = itertools.takewhile(
            lambda r: sentences[r].source == last.source and sentences[r].start < code.end,
            range(part[-1] + 1, len(sentences)),
        )
        return part, code, tuple(inside)

    def not_found(self, probability: float | None, readers_only: bool, note: str | None = None) -> Extract:
        """The standard reply; ``readers_only`` adds a note that only reader comments speak to it."""
        notes = (
            (
                "Only reader comments under an article touch on this; they are not the documents' "
                "position and are not used as an answer.",
            )
            if readers_only
            else ()
        )
        return Extract(NOT_FOUND_TEXT, (), True, probability, notes + ((note,) if note else ()))
