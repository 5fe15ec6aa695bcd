"""Answer text that is safe to render as Markdown, with the document's words unchanged.

Most OpenAI-compatible chat clients render an assistant's reply as Markdown, and Markdown passes HTML
through. A document's ``<script>``, a ``[click](javascript:…)`` link or an ``<javascript:…>`` autolink
quoted verbatim into the reply would become live markup there, and a literal ``[1]`` in a document would
look like one of the service's citation markers. So the text meant for display (``answer`` and the
``/v1`` message content) escapes, with a backslash, the characters that open links, images, HTML and
code: ``\\ [ ] < > ` ``. Every Markdown renderer shows them as the plain characters; nothing else is
touched (emphasis and headings cannot carry script). The exact quotes, with their offsets, stay in the
JSON ``citations``; ``unescape`` gives back the plain text for terminals and for history sent back.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\\[\]<>`])")
_ESCAPED = re.compile(r"\\([\\\[\]<>`])")


def escape(text: str) -> str:
    """``text`` with every character that could start a link, image, tag or code span escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def unescape(text: str) -> str:
    """What ``escape`` was given (also the plain reading of an escaped answer with its markers)."""
    return _ESCAPED.sub(r"\1", text)


_INLINE_LINK = re.compile(r"!?\[([^\[\]\n]+)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
_REFERENCE_LINK = re.compile(r"!?\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")
_ROLE = re.compile(r"(?::[\w.+-]+:|\{[\w.+-]+\})`([^`\n]+)`")
"""A reStructuredText role (``:ref:`Installing <install>```, ``:code:`x```) or a MyST one
(``{ref}`Hash-checking mode```): it reads as its text."""
_RST_LINK = re.compile(r"`([^`\n]+)`__?(?![\w`])")
"""A reStructuredText hyperlink reference, ```Text <https://…>`__`` or ```Text`_``."""
_TARGET = re.compile(r"^(.*?\S)\s*<[^<>\n]*>$")
"""The ``<target>`` after a reference's or role's text."""
_RST_LITERAL = re.compile(r"``([^`\n]+?)``(?!`)")
_LITERAL_BLOCK = re.compile(r"\s+::\s*$|(?<=[^\s:]:):\s*$")
"""A paragraph ending in ``::`` introduces a literal block: a lone "::" is not shown, "Output::" reads
"Output:"."""


def link_text(text: str) -> str:
    """A Markdown or reStructuredText sentence as it reads rendered. Markdown: each link ``[text](url)``,
    ``[text][ref]`` or image ``![alt](url)`` as its text. reStructuredText (and MyST): a hyperlink
    reference ```Text <url>`__`` and a role ``:ref:`Text <target>``` as their text, an inline literal
    ````x```` as the code span ```x```, and the ``::`` that introduces a literal block as docutils shows
    it. Answers show this; citations still point at the stored bytes."""
    text = _REFERENCE_LINK.sub(r"\1", _INLINE_LINK.sub(r"\1", text))
    if "`" in text:
        text = _ROLE.sub(_shown_target, text)
        text = _RST_LINK.sub(_shown_target, _RST_LITERAL.sub(r"`\1`", text))
    return _LITERAL_BLOCK.sub("", text) if text.endswith("::") else text


def _shown_target(match: re.Match[str]) -> str:
    inner = match.group(1)
    target = _TARGET.match(inner)
    return (target.group(1) if target else inner).lstrip("~!")
