"""Which line breaks inside a paragraph are only where a line ran out of room.

Plain text is often hard-wrapped at 70–80 characters (licences, RFCs, e-mail, READMEs), Markdown writers
break lines wherever they like inside a paragraph, and a PDF's text layer ends a line wherever the page
did. A line break there is a space, not a sentence boundary; treated as one, "This report traces how the
ferries" and "gave way to a bridge." become two sentences, and the answerer quotes fragments. Documents
that put one paragraph on a line (the seeds, ClapNQ's passages) are not touched: their line breaks end
lines that are headings, bylines, list items or whole paragraphs.

``soft_breaks`` replaces each such break by a space, one character for one, so the offset map of the
normalised text stays valid and citations still point at the file as stored. A break is *soft* when the
next line does not start a block (a list item, a heading or its underline, a table row, a quote, a code
fence, a reStructuredText directive), the line is not a heading, rule or table row itself (a list item may
wrap), and either

- the next line starts in lower case ("… how the ferries / gave way …"; past a Markdown link's bracket:
  "… see / [this MSDN page][…]."), or
- the line ends on a comma or a word that cannot end a sentence ("of", "the", "and" …), or
- the section is hard-wrapped and the line is full (within ``FULL`` of the section's usual width) and
  ends on a lower-case word: a writer broke it because the next word did not fit. (A heading or a title
  ends on a capital, a number or a bracket.)

A line that ends a sentence keeps its break (after it, a line in lower case is a user name or code, not
prose; a full stop followed by a capital ends the sentence anyway), and so does one ending in ``:``: it
introduces a list, which the answerer quotes item by item; but a line ending on "e.g." or "Dr." ends no
sentence and wraps. A line of closing brackets only ("}") ends a block of code and keeps its break.
Code fences are left alone; a fence line that nothing closes is no fence (a plain-text FAQ underlines
its title with "~~~~", and taking it for one kept every later break in the file).
"""

from __future__ import annotations

import itertools
import re

FULL = 0.7
"""A line at least this share of the section's usual width is full (proportional PDF fonts vary)."""
MAX_WRAP_WIDTH = 160
"""A section whose lines run longer than this is not hard-wrapped: it puts a paragraph on a line."""
MIN_WRAP_WIDTH = 50
MIN_WRAPPED_LINES = 5
FULL_SHARE = 0.5
"""A hard-wrapped section has at least ``MIN_WRAPPED_LINES`` lines ended by a single break, at least
``FULL_SHARE`` of them full: a few short lines in a row (a byline, an address, a poem) are not a wrap."""
_ADORNMENT = r"([^\w\s])\1{2,}\s*$"
"""A line of one punctuation character repeated: a rule, or a setext or reStructuredText underline."""
_BLOCK_START = re.compile(
    r"(?:[-*+•▪◦–—]\s|\d{1,3}[.)]\s|\(?[A-Za-z0-9]{1,3}\)\s|#|\||>|```|~~~|\.\.(?:\s|$)|" + _ADORNMENT + ")"
)
"""A line that starts a block: a list item, heading, table row, quote, fence, reStructuredText directive or
comment (``.. note::``), or an underline."""
_FENCE = re.compile(r"(?:```|~~~)")
_WHOLE_LINE = re.compile(r"(?:#|\||```|~~~|" + _ADORNMENT + ")")
"""A heading, table row, fence or rule is a line of its own: nothing continues it."""
_CLOSED = re.compile(r"""(?:[.!?]["'”’)\]]*|:)$""")
"""A line ending a sentence keeps its break (what follows in lower case is a user name or code, not
prose), and so does one introducing a list."""
_NEVER_ENDS = re.compile(r"""(?:^|[\s(\["'“‘])(?:e\.g|i\.e|cf|viz|vs|Mr|Mrs|Ms|Dr|Prof)\.$""")
"""An abbreviation that never ends a sentence ("hardening (e.g." / "`-D_FORTIFY_SOURCE=2`"): its full stop
closes nothing, and the line wraps on."""
_CLOSING_BRACKETS = re.compile(r"^[\]})]+[;,]?$")
"""A line of closing brackets only: the end of a block of code (``}`` in a PDF's text layer, where code
is not marked as such), which nothing continues: the prose after it starts a sentence."""
_LINK_OPENER = re.compile(r"^\[(?=[^\]\n]+\][\[(])")
"""The bracket of a Markdown link ("[this MSDN page][ref]", "[text](url)") opening a line; a bare bracket
is not one ("[profile.release]" in a TOML block is code)."""
_OPEN_ENDING = re.compile(
    r"(?:,|\b(?:the|a|an|of|to|and|or|nor|in|on|at|for|with|by|from|into|onto|that|which|who|whom|whose|"
    r"as|is|are|was|were|be|been|being|not|but|than|its|their|his|her|our|your|this|these|those|such))$",
    re.IGNORECASE,
)


def soft_breaks(text: str) -> str:
    """``text`` (normalised: single line breaks are ``\\n``, paragraphs ``\\n\\n``) with every soft line
    break replaced by a space; same length, so offsets are unchanged."""
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    width = _wrap_width(lines)
    parts: list[str] = []  # lines and the one character after each (not a list of every character)
    fences = [i for i, line in enumerate(lines) if _FENCE.match(line)]
    if len(fences) % 2:  # one that nothing closes is an underline ("~~~~" under a title), not a fence
        fences.pop()
    fence_lines = set(fences)
    in_fence = False
    for i, (line, following) in enumerate(itertools.pairwise(lines)):
        fence = i in fence_lines
        in_fence ^= fence
        soft = not in_fence and not fence and _soft(line, following, width)
        parts += (line, " " if soft else "\n")
    parts.append(lines[-1])
    return "".join(parts)


def _wrap_width(lines: list[str]) -> int | None:
    """The usual length of a line that a single break ends (the 90th percentile), when the section is
    hard-wrapped; None when it is not (too few such lines, too few of them full, or lines shorter or
    longer than any wrap width)."""
    wrapped = sorted(len(a) for a, b in itertools.pairwise(lines) if a and b)
    if len(wrapped) < MIN_WRAPPED_LINES:
        return None
    width = wrapped[int(0.9 * (len(wrapped) - 1))]
    full = sum(length >= FULL * width for length in wrapped)
    if not MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH or full < FULL_SHARE * len(wrapped):
        return None
    return width


def _opening(line: str) -> str:
    """The first character of ``line`` past a Markdown link's bracket: a line starting with the link
    "[this MSDN page][…]" starts in lower case."""
    return _LINK_OPENER.sub("", line, count=1)[:1]


def _soft(line: str, following: str, width: int | None) -> bool:
    if not line or not following or _BLOCK_START.match(following) or _WHOLE_LINE.match(line):
        return False  # a paragraph break, a new block, or a line nothing continues
    if _CLOSING_BRACKETS.match(line.strip()):
        return False
    if _NEVER_ENDS.search(line):
        return True
    if _CLOSED.search(line):
        return False
    if _opening(following).islower() or _OPEN_ENDING.search(line):
        return True
    return width is not None and len(line) >= FULL * width and line[-1].islower()
