"""The words that answer inside the first quote (``answer.answer_span``): one piece of the asked kind
that the question does not name, or nothing."""

from __future__ import annotations

import pytest

from rag_service.answer.answer_span import find_span, with_answer_span
from rag_service.answer.answer_types import OTHER, PERSON, PLACE, QUANTITY, TIME
from rag_service.models import Citation


@pytest.mark.parametrize(
    ("kind", "text", "question", "expected"),
    [
        (TIME, "The last keeper left the station in 1998, after forty years.", "When did he leave?", "1998"),
        (TIME, "The bridge opened on 3 March 1932.", "When did the bridge open?", "3 March 1932"),
        (TIME, "It opened on March 3, 1932 and closed in 1990.", "When did it open?", None),  # two dates
        (QUANTITY, "The keeper left in 1998, after forty years.", "How many years did he serve?", "forty"),
        (
            QUANTITY,
            "Plans at Least 30 Space Launches in 2017",
            "How many launches are planned in 2017?",
            "30",
        ),
        (QUANTITY, "About 45 % of users chose it.", "What percentage of users chose it?", "45 %"),
        (QUANTITY, "It cost 1,250,000 dollars.", "How much did it cost?", "1,250,000"),
        (QUANTITY, "Version 2.5 ships 12 tools.", "How many tools does it ship?", None),
        (
            PERSON,
            "The agency's head Igor Komarov said that Russia agreed.",
            "Who heads the agency?",
            "Igor Komarov",
        ),
        (PERSON, "See Debian Policy for further details.", "Who heads Debian?", None),
        (PERSON, "They are set to the constant Z_NULL by Default.", "Who wrote zlib?", None),
        (PERSON, "Dr. Ann Smith and Prof. Bo Li wrote it.", "Who wrote it?", None),  # two people
        (
            PLACE,
            "The symposium is held in Colorado Springs every spring.",
            "Where is it held?",
            "Colorado Springs",
        ),
        (OTHER, "The shell of user sync is /bin/sync.", "What shell does user sync have?", None),
    ],
)
def test_one_piece_of_the_asked_kind_or_nothing(
    kind: str, text: str, question: str, expected: str | None
) -> None:
    span = find_span(kind, text, question)
    assert (text[span[0] : span[1]] if span else None) == expected


def test_the_span_is_set_on_the_first_citation_in_document_offsets() -> None:
    document = "Intro line.\nThe bridge opened on 3 March 1932. It is long."
    start = document.index("The bridge")
    end = document.index(" It is")

    def citation(n: int, a: int, b: int) -> Citation:
        return Citation(n, "b.txt", "Bridges", "body", a, b, document[a:b], 0.9)

    first, second = with_answer_span(
        [citation(1, start, end), citation(2, end + 1, len(document))], "When did the bridge open?"
    )
    assert first.answer_span is not None and document[slice(*first.answer_span)] == "3 March 1932"
    assert second.answer_span is None
    assert with_answer_span([citation(1, start, end)], "Why was the bridge built?")[0].answer_span is None
