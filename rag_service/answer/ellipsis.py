"""A follow-up that asks the same about something else: "What shell does user sync have?" → "And of user
games?".

Its own words name a new subject ("games") and no question word; the context adds the previous question.
Ranking by the whole condensed question favours the previous answer's sentences (they match the context
best), so the answer repeated "The shell of user sync is /bin/sync". Here the sentences that may answer
must hold a word of the new subject; when none does, the question is declined with a note naming it,
rather than answered about the old subject.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rag_service.answer.answer_types import OTHER, question_type
from rag_service.answer.terms import TermStats
from rag_service.conversation import CONTEXT_MARK

NEW_SUBJECT_NOTE = "The passages found say nothing about {}."


def new_subject(question: str, terms: Callable[[str], list[str]]) -> tuple[set[str], str]:
    """The content terms of a follow-up's own words that its context does not hold, and those words;
    empty unless ``question`` is an elliptical follow-up (no question word of its own)."""
    own, marked, context = question.partition(CONTEXT_MARK)
    if not marked or question_type(own) != OTHER:
        return set(), ""
    return set(terms(own)) - set(terms(context)), own.strip(" ?")


def about_new_subject(new: set[str], rows: np.ndarray, stats: TermStats) -> np.ndarray:
    """Per row: does the sentence hold a term of the new subject."""
    return np.array([bool(new & stats.sentence_terms[int(r)]) for r in rows], dtype=bool)
