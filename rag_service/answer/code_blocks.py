"""The command a quoted sentence introduces: "To start building, you need to run" or "It can be accessed
using:", followed by an indented or fenced code block.

Code is no sentence (a line such as ``cmake .`` has too few words of prose to be one, and it is not
something to rank against a question), so an answer quoted the introduction and stopped where the
command the user asked for begins. When a quoted sentence ends with a colon, or does not end at all (no
full stop: the block continues it), and a short code block (or a few fenced ones in a row) starts on
the next line, the citation runs on to the block's end (the quote stays the document's own characters)
and the answer shows each line of it as a code span. A line of code that reads like prose may be a
sentence of the index (``const path = require('node:path');``): it then belongs to the block, is quoted
in it, and is never quoted again on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 6
MAX_CHARS = 400
"""A longer block is an example to read in the document, not a command to quote in an answer."""
LOOK_AHEAD = 2_000
"""Characters after the sentence searched for its block (more than any block short enough to quote)."""
_INTRODUCES = re.compile(r"(?::|\be\.g\.|[^.!?;\"'’”)\]*_`])\s*$")
"""Ends with a colon or "e.g." ("… by using the "persistent-https" scheme, e.g."), or with no closing
punctuation at all (a sentence the block completes)."""
INTRODUCES_LIST = re.compile(r"(?::|\be\.g\.)\s*$")
"""A sentence that introduces what follows on its own lines: a list, or the example after "e.g."."""
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_FENCES = re.compile(r"^[ \t]*(?:```|~~~)", re.MULTILINE)
INDENTED = ("\t", "    ")
"""How a line of an indented code block starts (Markdown's and reStructuredText's rule)."""


@dataclass(frozen=True)
class CodeBlock:
    end: int
    """Offset just past the block (its closing fence, if fenced)."""
    lines: tuple[str, ...]
    """Its lines of code, without indentation or fences."""

    def spans(self) -> str:
        """Each line as a Markdown code span, safe to render: inside a span nothing is markup, and the
        span's fence is longer than any run of backticks in the line."""
        return " ".join(_code_span(line) for line in self.lines)


def introduced_code(text: str, sentence: str, end: int) -> CodeBlock | None:
    """The code that ``sentence`` (ending at offset ``end`` of ``text``) introduces: the indented block,
    or the fenced blocks in a row, that start on the next non-blank line; None if it introduces none,
    or the block is too long to quote."""
    if not _INTRODUCES.search(sentence) or _in_code(text, end):
        return None
    gap = text[end : end + LOOK_AHEAD]
    if not gap.startswith(("\n", "\r\n")):
        return None  # on the same line: inline, not a block
    lines = gap.splitlines(keepends=True)
    first = next((line for line in lines if line.strip()), "")
    if _FENCE.match(first):
        taken = _fenced(lines)
    elif first.startswith(INDENTED):
        taken = _indented(lines)
    else:
        return None
    if taken is None:
        return None
    length, code = taken
    if not code or len(code) > MAX_LINES or sum(len(line) for line in code) > MAX_CHARS:
        return None
    return CodeBlock(end + len(gap[:length].rstrip()), tuple(code))


def _in_code(text: str, end: int) -> bool:
    """Whether offset ``end`` lies in code already (a line of code read as a sentence): on an indented
    line, or after an odd number of fences (the next fence closes its block; it opens none)."""
    line = text[text.rfind("\n", 0, end) + 1 : end]
    return line.startswith(INDENTED) or len(_FENCES.findall(text, 0, end)) % 2 == 1


def _indented(lines: list[str]) -> tuple[int, list[str]]:
    """Characters taken and code lines of the indented block the lines start with (after blank ones)."""
    taken, code = 0, []
    for line in lines:
        if line.strip() and not line.startswith(INDENTED):
            break
        taken += len(line)
        if line.strip():
            code.append(line.strip())
    return taken, code


def _fenced(lines: list[str]) -> tuple[int, list[str]] | None:
    """Characters taken and code lines of the fenced blocks in a row the lines start with ("```cjs …```
    ```mjs …```": one command in two dialects); None if a block does not close within the look-ahead."""
    taken, code = 0, []
    fence: str | None = None
    for line in lines:
        marker = _FENCE.match(line)
        if fence is None:
            if line.strip() and marker is None:
                break  # the prose after the blocks
            if marker is not None:
                fence = marker.group(1)
        elif marker is not None and line.strip().startswith(fence) and not line.strip().strip("`~"):
            fence = None
        else:
            code.append(line.strip())
        taken += len(line)
    return (taken, code) if fence is None else None


def _code_span(line: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"
