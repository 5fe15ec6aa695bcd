"""A PDF definition list's label glued to its text: "GNOMEThe GNOME desktop", "SharedMIMEShared MIME-info".

A reference list or glossary sets its labels in a column of their own; the text layer then runs the
label straight into the first word of the definition, with no space, and the answerer quoted that line as
if it were prose. The label is recognisable because it abbreviates the words that follow it: split at a
change of case ("SharedMIME" | "Shared"), each capitalised part of the label ("Shared", "MIME") starts
one of the next words in order (articles may come between: "GNOME" | "The GNOME desktop"), comparing
the first ``PREFIX`` letters so that "DesktopEntries" still matches "Desktop Entry". Only the first word
of a line is looked at, and only a split that passes is made: a word such as "JavaScript" or "McDonald"
followed by anything else stays whole.
"""

from __future__ import annotations

import re

PREFIX = 4
_CASE_CHANGE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")
_SKIPPED = frozenset({"the", "a", "an"})


def _abbreviates(label: str, words: list[str]) -> bool:
    parts = _PARTS.findall(label)
    queue = [w for w in (re.sub(r"[^A-Za-z0-9]", "", w) for w in words) if w]
    for part in parts:
        while queue and queue[0].lower() in _SKIPPED and queue[0].lower() != part.lower():
            queue.pop(0)
        if not queue:
            return False
        size = min(PREFIX, len(part))
        if queue[0][:size].lower() != part[:size].lower():
            return False
        queue.pop(0)
    return True


def unglue_line(line: str) -> str:
    """``line`` with a space between a glued label and its definition, when the first word is one."""
    first, _, rest = line.partition(" ")
    if not first[:1].isupper():
        return line
    for match in _CASE_CHANGE.finditer(first):
        label, head = first[: match.start()], first[match.start() :]
        if len(label) >= 2 and _abbreviates(label, [head, *rest.split()]):
            return f"{label} {head}{' ' + rest if rest else ''}"
    return line


def unglue_labels(text: str) -> str:
    return "\n".join(unglue_line(line) for line in text.split("\n"))
