"""What in a line of a document is markup rather than prose.

Text, Markdown and reStructuredText files are cited as stored, markup included, so the index keeps every
character. But a line that is only markup says nothing a reader asked for: a README's logo (``<p
align="center"><img …>``), its build badges (``[![Build Status][badge]][link]``), link definitions
(``[link]: https://…``), a Sphinx label (``(ssl-certificates)=``), a directive (``.. code-block::
python``), and in any format a table-of-contents line (``Naming . . . . . 3``). Such a line must not be
a document's title, and it is not a sentence the answerer may quote. ``prose_length`` counts the words
left once markup is set aside; ``guess_title`` finds the title a file gives itself. Two things in a
Markdown file are never rendered and may span lines: a front matter block opening the file (``---``,
``title: …``, ``author: …``, ``---``: static site generators' metadata, read by ``front_matter``) and an
HTML comment (``<!-- YAML added: v0.1.25 -->``, Node.js's API docs write one above every function).
``unrendered_spans`` finds both, comments outside code fences only, so that no sentence inside them is
quoted.
"""

from __future__ import annotations

import re

TITLE_CHARS = 120
_TAG = re.compile(r"<[^>\n]*>")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
_LINK_TARGET = re.compile(r"\]\([^)\n]*\)|\]\[[^\]\n]*\]")
"""The ``(target)`` or ``[reference]`` after a link's text: the text is prose, the target is not."""
_IMAGE = re.compile(r"!\[[^\]\n]*\](?:\([^)\n]*\)|\[[^\]\n]*\])?")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*\S*")
_LABEL = re.compile(r"^\s*\(\s*[^()\n]+\)=\s*$")
"""A MyST/Sphinx target label such as ``(ssl-certificate-verification)=``."""
_RULE = re.compile(r"^\s*(?:(?:[-*_=~`]\s*){3,}\S*|([^\w\s])\1{2,})\s*$")
"""A horizontal rule, a setext or reStructuredText underline or a code fence (with its language)."""
_ALT = re.compile(r"""<img\b[^>]*\balt\s*=\s*["']([^"']+)["']|^\s*!\[([^\]\n]+)\]""", re.IGNORECASE)
"""The alternative text of an HTML image or of a Markdown image opening its line (a logo; an image inside
a link is a badge)."""
_RST_EXPLICIT = re.compile(r"^\s*\.\.(?:\s|$)")
"""A reStructuredText directive, comment, target or substitution (``.. code-block:: python``,
``.. _install:``): markup for the renderer, never shown as written."""
_RST_FIELD = re.compile(r"^\s*:[\w .-]+:(?=\s|$)|:[\w.-]+:(?=`)")
"""A reStructuredText field name (``:widths: 30 70``) or the name of a role (``:code:`x```): its text is
prose, the name is not."""
_LEADERS = re.compile(
    r"(?:\. ?){3}(?:\. ){2,}\.?\s*(?:\d{1,4}|[ivxlc]{1,7})?\s*$|\.{6,}\s*(?:\d{1,4}|[ivxlc]{1,7})\s*$"
)
"""Dot leaders running to a page number: a line of a table of contents or an index ("2.3 Simple parsing
. . . . . 4"), which points at the text rather than saying anything."""
_WORD = re.compile(r"[^\W\d_]{2,}")
_EMPHASIS = re.compile(r"[*_`\[\]]+")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A\ufeff?(---|\+\+\+)[ \t]*\n(.*?\n)?(?:---|\.\.\.|\+\+\+)[ \t]*(?:\n|\Z)", re.S)
"""YAML (``---`` … ``---``) or TOML (``+++`` … ``+++``) front matter, opening the file."""
_FIELD = re.compile(r"^([A-Za-z][\w-]*)\s*[:=]\s*(.*?)\s*$", re.MULTILINE)


def front_matter(text: str) -> tuple[int, dict[str, str]]:
    """Where the front matter opening ``text`` ends (0 when there is none) and its one-line fields, keys
    lower-cased, quotes and list brackets dropped (``authors: [Ann, Bo]`` is "Ann, Bo")."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return 0, {}
    fields: dict[str, str] = {}
    for key, value in _FIELD.findall(match.group(2) or ""):
        value = value.strip().strip("[]").replace('"', "").replace("'", "").strip()
        if value:
            fields.setdefault(key.lower(), value)
    return match.end(), fields


def unrendered_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets, in order, of what a Markdown renderer never shows in ``text``: its front
    matter, and the HTML comments that do not start inside a fenced code block (where ``<!--`` is code
    being shown)."""
    end, _ = front_matter(text)
    spans = [(0, end)] if end else []
    fences = [m.start() for m in _FENCE.finditer(text, end)]
    for match in _COMMENT.finditer(text, end):
        inside = sum(1 for f in fences if f < match.start()) % 2 == 1  # an odd count of fences before it
        if not inside:
            spans.append(match.span())
    return spans


def prose(line: str) -> str:
    """``line`` without tags, URLs, link targets and definitions, labels and rules."""
    if _LINK_DEFINITION.match(line) or _LABEL.match(line) or _RULE.match(line) or _RST_EXPLICIT.match(line):
        return ""
    if _LEADERS.search(line):
        return ""
    line = _RST_FIELD.sub(" ", line)
    return _URL.sub(" ", _LINK_TARGET.sub("]", _IMAGE.sub(" ", _TAG.sub(" ", line))))


def prose_length(text: str) -> int:
    """How many words (numbers included) ``text`` has once markup is set aside."""
    return sum(len(prose(line).split()) for line in text.splitlines())


def guess_title(text: str) -> str | None:
    """The title a text or Markdown file gives itself: a front matter ``title:``, else its first line with
    prose (``#`` marks and emphasis dropped), or the alternative text of a logo standing before it."""
    end, fields = front_matter(text)
    if fields.get("title"):
        return fields["title"][:TITLE_CHARS]
    text = _COMMENT.sub("", text[end:])
    for line in text.splitlines():
        words = prose(line)
        if _WORD.search(words):
            title = " ".join(_EMPHASIS.sub("", words.strip().lstrip("#")).split())
            return title[:TITLE_CHARS]
        if alt := _ALT.search(line):  # a logo or banner image before any prose
            return (alt.group(1) or alt.group(2)).strip()[:TITLE_CHARS]
    return None
