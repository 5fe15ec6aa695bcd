"""What a question must be, checked once at each edge (API schemas, CLI, evaluation sets) by one function.

A question is non-empty text once stripped, and real Unicode: JSON and command-line arguments can carry
lone surrogates (``\\udc00``) that the tokenizer and the JSON encoder would fail on later.
"""

from __future__ import annotations

from rag_service.errors import InvalidRequestError


def require_question(text: str, label: str = "question") -> str:
    """``text`` stripped; ``InvalidRequestError`` with a message that says what to send otherwise."""
    require_unicode(text, label)
    stripped = text.strip()
    if not stripped:
        raise InvalidRequestError(f"{label} is empty: ask something about the documents")
    return stripped


def require_unicode(text: str, label: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{label} contains invalid Unicode at character {exc.start} (a lone surrogate): send UTF-8 text"
        ) from None
    return text
