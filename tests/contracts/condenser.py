"""The ``Condenser`` contract, written once and run for the rule and the LLM condensers
(``tests/test_conversation.py``). A subclass provides ``implementation``."""

from __future__ import annotations

from rag_service.models import Message

HISTORY = [
    Message("user", "Who heads Roscosmos?"),
    Message("assistant", "Roscosmos head Igor Komarov [1]\n\nSources:\n[1] Article (a.txt): “...”"),
]


class CondenserContract:
    def test_without_history_the_question_is_unchanged(self, implementation) -> None:
        assert implementation.condense("Who heads Roscosmos?", []) == "Who heads Roscosmos?"

    def test_a_follow_up_becomes_a_non_empty_question(self, implementation) -> None:
        standalone = implementation.condense("Where did he say that?", HISTORY)
        assert standalone.strip() and len(standalone) < 500

    def test_a_follow_up_carries_what_it_points_at(self, implementation) -> None:
        standalone = implementation.condense("Where did he say that?", HISTORY)
        assert "Komarov" in standalone or "Roscosmos" in standalone

    def test_the_sources_footer_of_an_answer_never_leaks_into_the_question(self, implementation) -> None:
        assert "Sources:" not in implementation.condense("And what did he say about that?", HISTORY)
