"""A definition list's term read with its definition: "Function: void sha256_init (struct sha256_ctx
*ctx) — Initialize the SHA256 state."

API references put what is defined in a ``<dt>`` and what it does in the ``<dd>`` after it (GNU
Texinfo's "Function:", "Constant:" and "Macro:" entries, Sphinx's ``py function`` signatures, glossaries).
Read as two paragraphs, the description is a sentence that never names its subject ("Initialize the
SHA256 state.", "The size of a SHA256 digest, i.e. 32."), and the term a short line that may not answer
on its own: "Which function initializes a sha256 context?" found the description and could not say
which function. So a short term (no sentence of its own: no final punctuation, at most ``TERM_WORDS``
words) opens the first paragraph of its definition, joined by ``JOIN``; the text is extracted, so
citations index it as read. A term before a definition that opens with a list, code, a heading or a
table, or before none, stays a line of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lxml import html as lxml_html

TERM_WORDS = 24
JOIN = " \u2014 "


class Blocks(Protocol):
    """What the HTML walk writes to: a ``TextBuilder``, or a ``Defined`` in front of one."""

    def paragraph(self, text: str, separator: str = "\n\n") -> None: ...

    def heading(self, level: int, text: str) -> None: ...

    def table(self, rows: Sequence[Sequence[str]], header_rows: int = 1) -> None: ...


def term_of(dt: lxml_html.HtmlElement) -> str | None:
    """The text of ``dt`` when it is a term to join to the ``<dd>`` right after it; else None."""
    following = dt.getnext()
    if following is None or not isinstance(following.tag, str) or following.tag.lower() != "dd":
        return None
    text = " ".join(dt.text_content().split())
    if not text or len(text.split()) > TERM_WORDS or text[-1] in ".?!:;":
        return None  # a question or a sentence is no term ("How do I …?" in a FAQ written as a list)
    return text


class Defined:
    """``builder``, for one ``<dd>``: its first paragraph opens with ``term``."""

    def __init__(self, builder: Blocks, term: str) -> None:
        self._builder = builder
        self._term: str | None = term

    def paragraph(self, text: str, separator: str = "\n\n") -> None:
        if self._term is not None and text.strip():
            first = text.lstrip()
            if "\n" in first.strip() or first.startswith("- "):  # code or a list item: not a sentence
                self.release()
            else:
                text, self._term = f"{self._term}{JOIN}{first}", None
        self._builder.paragraph(text, separator)

    def heading(self, level: int, text: str) -> None:
        self.release()
        self._builder.heading(level, text)

    def table(self, rows: Sequence[Sequence[str]], header_rows: int = 1) -> None:
        self.release()
        self._builder.table(rows, header_rows)

    def release(self) -> None:
        """The term as a line of its own, if nothing took it."""
        if self._term is not None:
            self._builder.paragraph(self._term)
            self._term = None
