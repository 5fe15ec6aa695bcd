import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rag_service.conversation import (
    LLMCondenser,
    RuleCondenser,
    answer_entities,
    depends_on_history,
    is_courtesy,
)
from rag_service.models import Message
from rag_service.prompts import load_prompts
from tests.conftest import ROOT, eval_cases
from tests.contracts.condenser import CondenserContract
from tests.fakes import ScriptedChatModel


def history(question: str, answer: str = "An answer.") -> list[Message]:
    return [Message("user", question), Message("assistant", answer)]


@pytest.mark.parametrize(
    ("previous", "follow_up", "expected"),
    [
        (
            "What does the Glavkosmos abstract say about mining on asteroids?",
            "And about space junk?",
            "What does the Glavkosmos abstract say about space junk?",
        ),
        (
            "What did Komarov say about Asia?",
            "And what does Glavkosmos say about it?",
            "And what does Glavkosmos say about Asia?",
        ),
        (
            "What does the abstract say about space tourism?",
            "What could it bring to developing countries?",
            "What could space tourism bring to developing countries?",
        ),
        (
            "Who heads Roscosmos?",
            "Where did he say that?",
            "Where did he say that? (context: Who heads Roscosmos?)",
        ),
        (
            "Who heads Roscosmos?",
            "How many launches does Russia plan in 2017?",
            "How many launches does Russia plan in 2017?",
        ),
        (
            "Which countries did Komarov name as BRICS?",
            "And when did Gagarin fly?",
            "And when did Gagarin fly?",
        ),
        (  # a name alone asks what the previous question asked, of it
            "Where does the West Branch of the Delaware River begin?",
            "And the East Branch?",
            "the East Branch? (context: Where does the West Branch of the Delaware River begin?)",
        ),
        (
            "What does the GPL say about patents?",
            "And the Apache License?",
            "the Apache License? (context: What does the GPL say about patents?)",
        ),
        (  # a name for a topic that was none: the subject changes, not the topic
            "What does the GPL say about patents?",
            "What about the Apache License?",
            "the Apache License? (context: What does the GPL say about patents?)",
        ),
    ],
)
def test_rule_condenser(previous: str, follow_up: str, expected: str) -> None:
    assert RuleCondenser().condense(follow_up, history(previous)) == expected


def test_a_list_item_s_first_word_is_no_name() -> None:
    answer = "- Each value in Rust has an owner. [1] - When the owner goes out of scope, Rust drops it. [2]"
    assert answer_entities(answer, "Who owns a value?") == ["Rust"]


def test_no_history_means_no_change() -> None:
    assert RuleCondenser().condense("Where did he say that?", []) == "Where did he say that?"


def test_sources_footer_of_the_previous_answer_is_ignored() -> None:
    hist = [
        Message("user", "What did Komarov say about Asia?"),
        Message("assistant", "He said X. [1]\n\nSources:\n[1] about something else"),
    ]
    assert RuleCondenser().condense("And about BRICS?", hist) == "What did Komarov say about BRICS?"


@pytest.mark.parametrize(
    ("question", "depends"),
    [
        ("Where did he say that?", True),
        ("And about space junk?", True),
        ("Why?", True),
        ("What does Glavkosmos say about space debris?", False),
        ("Who heads Roscosmos?", False),
    ],
)
def test_depends_on_history(question: str, depends: bool) -> None:
    assert depends_on_history(question) is depends


def test_follow_ups_retrieve_from_the_right_document(seeds_pipeline) -> None:
    """Every multi-turn case of the evaluation set: each turn's answer cites its expected file."""
    for case in eval_cases():
        if "turns" not in case:
            continue
        turns: list[Message] = []
        for turn in case["turns"]:
            answer = seeds_pipeline.ask(turn["question"], turns)
            expected = set(turn["expected_sources"])
            if expected:
                assert {c.source for c in answer.citations} & expected, (
                    case["id"],
                    answer.standalone_question,
                )
            else:
                assert answer.not_found, (case["id"], answer.text)
            turns += [Message("user", turn["question"]), Message("assistant", answer.text)]


def test_standalone_question_is_returned(seeds_pipeline) -> None:
    answer = seeds_pipeline.ask(
        "And about space junk?", history("What does the Glavkosmos abstract say about mining on asteroids?")
    )
    assert answer.standalone_question == "What does the Glavkosmos abstract say about space junk?"
    assert "junk" in answer.text


def test_llm_condenser_uses_the_condense_prompt_and_falls_back() -> None:
    template = load_prompts(ROOT / "prompts").condense
    model = FakeListChatModel(responses=["Where did Igor Komarov say that Russia wants cooperation?", ""])
    condenser = LLMCondenser(model, template)
    hist = history("Who heads Roscosmos?", "Igor Komarov [1]\n\nSources:\n[1] x")
    assert condenser.condense("Where did he say that?", hist) == (
        "Where did Igor Komarov say that Russia wants cooperation?"
    )
    # An empty reply falls back to the deterministic rules.
    assert (
        condenser.condense("Where did he say that?", hist)
        == "Where did he say that? (context: Who heads Roscosmos?; Igor Komarov)"
    )
    assert condenser.condense("Anything?", []) == "Anything?"  # no history: no call


@pytest.mark.parametrize(
    ("previous", "answer", "follow_up", "expected"),
    [
        (  # the names the previous answer brought, not those already asked about
            "Who was New York City named after?",
            "In June 1665, New Amsterdam was reincorporated under English law as New York City, named after "
            "the Duke of York (later King James II). [1]",
            "Whose brother was he?",
            "Whose brother was he? (context: Who was New York City named after?; June, New Amsterdam, "
            "English, Duke of York, King James II)",
        ),
        (  # markers end a quote: names on both sides of one are not run together
            "Who heads Roscosmos?",
            "Roscosmos head Igor Komarov said so. [1] COLORADO SPRINGS (Sputnik) reports it. [2]",
            "Where did he say that?",
            "Where did he say that? (context: Who heads Roscosmos?; Igor Komarov, COLORADO SPRINGS, Sputnik)",
        ),
        (  # a declined answer brings nothing; a title-case headline is no name
            "Who heads Roscosmos?",
            "The documents do not contain an answer to this question.",
            "Where did he say that?",
            "Where did he say that? (context: Who heads Roscosmos?)",
        ),
    ],
)
def test_follow_ups_carry_what_the_previous_answer_named(previous, answer, follow_up, expected) -> None:
    assert RuleCondenser().condense(follow_up, history(previous, answer)) == expected


def test_a_follow_up_of_a_follow_up_keeps_the_first_topic() -> None:
    turns = [
        Message("user", "Who developed No Man's Sky?"),
        Message("assistant", "It was developed by the indie studio Hello Games. [1]"),
        Message("user", "When was it released for Xbox One?"),
        Message("assistant", "It was released for Xbox One in July 2018. [1]"),
    ]
    condensed = RuleCondenser().condense("How many planets does its universe include?", turns)
    assert "No Man's Sky" in condensed and "Xbox One" in condensed


def test_long_runs_of_capitals_are_headline_words_not_names() -> None:
    from rag_service.conversation import answer_entities

    headline = "Russia Plans at Least Thirty Space Launches This Year - Roscosmos [1]"
    assert answer_entities(headline, "") == ["Russia Plans", "Roscosmos"]  # 6 capitalised words: dropped


class TestRuleCondenser(CondenserContract):
    @pytest.fixture
    def implementation(self) -> RuleCondenser:
        return RuleCondenser()


class TestLLMCondenser(CondenserContract):
    """Through a scripted chat model: the prompt, the reply handling and the fallback are the
    condenser's; what a real model writes is checked against llama.cpp in ``tests/llm/``."""

    @pytest.fixture
    def implementation(self) -> LLMCondenser:
        model = ScriptedChatModel(outcomes=["Where did Roscosmos head Igor Komarov say that?"] * 10)
        return LLMCondenser(model, load_prompts(ROOT / "prompts").condense)


def test_a_follow_up_is_answered_from_what_the_previous_answer_quoted(seeds_pipeline) -> None:
    """The previous answer's quotes are found in the index again: their passages are searched, and the
    sentence that answered the previous question is not simply said again."""
    from rag_service.followups import QuotedSentences

    first = seeds_pipeline.ask("How many space launches does Russia plan in 2017?")
    quotes = QuotedSentences(seeds_pipeline.index.content)
    rows = quotes.rows(first.text)
    sentences = seeds_pipeline.index.content.sentences
    assert [sentences[r].text for r in quotes.rows(first.text, first_only=True)] == [first.citations[0].quote]
    assert len(rows) == len(first.citations)
    follow = seeds_pipeline.ask(
        "Who said that, and where?",
        [Message("user", "How many space launches…"), Message("assistant", first.text)],
    )
    assert "Symposium" in follow.text and "Komarov" in follow.text
    assert not follow.text.startswith(first.citations[0].quote)
    assert quotes.rows("Nothing the documents say. [1]") == []


def test_a_follow_up_is_ranked_by_its_own_words_before_its_context(seeds_pipeline) -> None:
    """The previous answer's names join the follow-up as context; they must not outrank what the user
    asks now ("military use"), or every byline line that repeats the name wins."""
    first = seeds_pipeline.ask("Who is the Director General of Glavkosmos?")
    follow = seeds_pipeline.ask(
        "What does his abstract say about military use of space?",
        [Message("user", "Who is the Director General of Glavkosmos?"), Message("assistant", first.text)],
    )
    assert "(context:" in follow.standalone_question
    assert "military" in follow.text, follow.text
    assert all("Loskutov" not in c.quote and "LOSKUTOV" not in c.quote for c in follow.citations)


@pytest.mark.parametrize("closing", ["Thanks!", "OK, got it", "Hello", "Great, thanks!"])
def test_a_turn_of_courtesy_is_not_condensed_with_its_context(closing: str) -> None:
    history = [
        Message(role="user", content="Who heads Roscosmos?"),
        Message(role="assistant", content="Komarov."),
    ]
    assert RuleCondenser().condense(closing, history) == closing


@pytest.mark.parametrize(
    "question", ["Is it good?", "Who got the contract?", "So?", "Thanks, and who heads it?"]
)
def test_questions_with_a_word_beyond_courtesy_are_not_courtesy(question: str) -> None:
    assert not is_courtesy(question)
