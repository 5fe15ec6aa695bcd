"""The command a quoted sentence introduces: "To start building, you need to run" or "It can be accessed
using:", followed by an indented or fenced code block.

Code is no sentence (a line such as ``cmake .`` has too few words of prose to be one, and it is not
something to rank against a question), so an answer quoted the introduction and stopped where the
command the user asked for begins. When a quoted sentence ends with a colon, or does not end at all (no
full stop: the block continues it), and what lies between it and the next sentence of its document is
one short code block (or a few fenced ones in a row) and nothing else, the citation runs on to the
block's end (the quote stays the document's own characters) and the answer shows each line of it as a
code span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 6
MAX_CHARS = 400
"""A longer block is an example to read in the document, not a command to quote in an answer."""
_INTRODUCES = re.compile(r"(?::|[^.!?;\"'’”)\]*_`])\s*$")
"""Ends with a colon, or with no closing punctuation at all (a sentence the block completes)."""
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_INDENTED = ("\t", "    ")


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


def introduced_code(text: str, sentence: str, end: int, limit: int) -> CodeBlock | None:
    """The code that ``sentence`` (ending at offset ``end`` of ``text``) introduces, if the gap up to
    ``limit`` (the next sentence's start, or the end of the document) holds code and nothing else."""
    if not _INTRODUCES.search(sentence):
        return None
    gap = text[end:limit]
    if not gap.startswith(("\n", "\r\n")):
        return None  # on the same line: inline, not a block
    body = [line for line in gap.splitlines() if line.strip()]
    if not body:
        return None
    if _FENCE.match(body[0]):
        code = _fenced(body)
        if code is None:
            return None
    elif all(line.startswith(_INDENTED) for line in body):
        code = [line.strip() for line in body]
    else:
        return None
    if not code or len(code) > MAX_LINES or sum(len(line) for line in code) > MAX_CHARS:
        return None
    return CodeBlock(end + len(gap.rstrip()), tuple(code))


def _fenced(lines: list[str]) -> list[str] | None:
    """The code lines of one or more fenced blocks in a row ("```cjs … ``` ```mjs … ```": the same
    command in two dialects); None if anything else stands between them or a block does not close."""
    code: list[str] = []
    fence: str | None = None
    for line in lines:
        marker = _FENCE.match(line)
        if fence is None:
            if marker is None:
                return None  # prose between or after the blocks
            fence = marker.group(1)
        elif marker is not None and line.strip().startswith(fence) and not line.strip().strip("`~"):
            fence = None
        else:
            code.append(line.strip())
    return code if fence is None else None


def _code_span(line: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"
