"""Years and releases a question names that the passages able to answer never name.

"What was the budget for 2017?" over passages about other years, "When was PyYAML 7.0 released?" over a
README naming no release: an answer from them would be about another year or release, so the question is
declined with a note that says why, and says it truthfully.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag_service.answer.answer_types import named_in, versions, years
from rag_service.models import ScoredChunk
from rag_service.store.model import LoadedIndex


def missing_numbers(index: LoadedIndex, own: str, rows: np.ndarray) -> list[str]:
    """The years and dotted numbers (a release "7.0", a section "4.2") the user's own words name that
    neither the sentences ``rows`` that may answer nor their documents' titles nor the headings they
    stand under name."""
    asked_years, asked_versions = years(own), versions(own)
    if not asked_years and not asked_versions:
        return []
    named_years: set[str] = set()
    named_versions: set[str] = set()
    for row in rows:
        text = _with_heading(index, int(row), title=True)
        named_years |= years(text)
        named_versions |= versions(text)
    missing = sorted(asked_years - named_years)
    missing += sorted(v for v in asked_versions if not named_in(v, named_versions))
    return missing


def naming_release(index: LoadedIndex, own: str, rows: np.ndarray) -> np.ndarray | None:
    """Which of the candidate ``rows`` name every release (dotted number) the user's own words ``own``
    name, in their text or their heading; None when ``own`` names none, or no row names them (then
    ``missing_numbers`` judges, titles included). A changelog's entries all read alike: "What
    security fix was made in man-db 2.11.1?" must be answered under "man-db 2.11.1", not under the
    release its words happen to match better. The tokenizer cannot tell "2.11.1" from "2.11.2", so
    ranking alone does not."""
    asked = versions(own)
    if not asked:
        return None
    named = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        found = versions(_with_heading(index, int(row), title=False))  # a changelog's title is its latest
        named[i] = all(named_in(v, found) for v in asked)
    return named if named.any() else None


def _with_heading(index: LoadedIndex, row: int, *, title: bool) -> str:
    """Sentence ``row``'s text with the heading path it stands under ("Budget › 2017") and, with
    ``title``, its document's title: where a sentence's year or release may be named."""
    s = index.content.sentences[row]
    heading = index.documents[s.source].structure.heading_at(s.start) or ""
    return f"{s.text} {s.title} {heading}" if title else f"{s.text} {heading}"


def missing_note(missing: list[str], hits: Sequence[ScoredChunk]) -> str:
    """Why the question is declined. A passage found may name the year in a headline that cannot answer
    ("… Launches in 2017" for "the budget for 2017"): then the note must not say "never"."""
    named = ", ".join(missing)
    if any(m in hit.chunk.text or m in hit.chunk.title for m in missing for hit in hits):
        return f"No sentence found that could answer mentions {named}."
    return f"The passages found never mention {named}."
