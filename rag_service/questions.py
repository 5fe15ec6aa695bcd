"""What a question must be, checked once at each edge (API schemas, CLI, evaluation sets) by one function.

A question is non-empty text once stripped, and real Unicode: JSON and command-line arguments can carry
lone surrogates (``\\udc00``) that the tokenizer and the JSON encoder would fail on later. Invisible
characters alone (control and format characters, such as a zero-width space) are as empty as spaces:
answering them would quote whatever scored best.

NUL characters: PostgreSQL's text type cannot hold them. In what a conversation says (a question, a
turn of its history, whose quotes a follow-up looks up in the database) they are dropped, as spaces
around a question are, so every store answers what it would answer without them. In any other text (a
collection's name, a key's label) they are refused with a 422: silently renaming is worse than asking.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from rag_service.errors import InvalidRequestError
from rag_service.models import Message


def require_question(text: str, label: str = "question") -> str:
    """``text`` stripped; ``InvalidRequestError`` with a message that says what to send otherwise."""
    stripped = conversation_text(text, label).strip()
    if all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in stripped):
        raise InvalidRequestError(f"{label} is empty: ask something about the documents")
    return stripped


def require_unicode(text: str, label: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{label} contains invalid Unicode at character {exc.start} (a lone surrogate): send UTF-8 text"
        ) from None
    if "\x00" in text:
        at = text.index("\x00")
        raise InvalidRequestError(
            f"{label} contains a NUL character (U+0000) at character {at}: send text without it"
        )
    return text


def conversation_text(text: str, label: str) -> str:
    """A question's or a conversation turn's text, checked as ``require_unicode`` checks it, NULs dropped."""
    return require_unicode(text.replace("\x00", ""), label)


def require_history(history: Sequence[Message]) -> list[Message]:
    """Each turn's text as ``conversation_text`` makes it, named by its place (``history[2]``)."""
    return [replace(m, content=conversation_text(m.content, f"history[{i}]")) for i, m in enumerate(history)]
