"""Recognising an answer that declines ("The documents do not contain an answer to this question."), in
the extractive answerer's words or a model's, without importing either (the condenser needs it too)."""

from __future__ import annotations

import re

_SAYS_NOT_FOUND = re.compile(r"do(?:es)? not contain (?:an|the|any) answer", re.IGNORECASE)


def says_not_found(text: str) -> bool:
    """Whether a reply is the service (or its model) declining: our prompt asks for this sentence."""
    return bool(_SAYS_NOT_FOUND.search(text))
