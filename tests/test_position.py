import pytest

from rag_service.answer.position import END, START, pick_document, position_asked
from rag_service.answer.terms import joined_names
from rag_service.models import Document, DocumentMeta, Section


def _document(name: str, title: str) -> Document:
    text = "One sentence. Another one."
    return Document(name, text, DocumentMeta(title), (Section("body", 0, len(text)),), "x")


@pytest.mark.parametrize(
    ("question", "where", "noun"),
    [
        ("how does the talk end", END, "talk"),
        ("How did his keynote speech conclude?", END, "speech"),
        ("What is the conclusion of the paper?", END, "paper"),
        ("How does the article begin?", START, "article"),
        ("what are the first sentences of the report", START, "report"),
    ],
)
def test_questions_about_a_documents_end_or_start(question: str, where: str, noun: str) -> None:
    asked = position_asked(question)
    assert asked is not None and (asked.where, asked.noun) == (where, noun)


@pytest.mark.parametrize(
    "question",
    [
        "how does the war end",  # a war is not a document
        "where does the delaware river start and end",
        "who does joey end up with in joey",
        "What did the talk say about Asia?",  # a document, but not its position
    ],
)
def test_other_questions_are_not_about_position(question: str) -> None:
    assert position_asked(question) is None


def test_the_noun_picks_the_document_its_title_fits() -> None:
    news = _document("a.txt", "Russia Aims to Develop New Cooperation")
    talk = _document("b.txt", "International Cooperation (conference abstract)")
    book = _document("c.txt", "The Mining Book")
    assert pick_document("talk", [news, talk, book]) is talk
    assert pick_document("article", [talk, news, book]) is news  # the abstract is not an article
    assert pick_document("book", [news, talk, book]) is book
    # No title names a letter: a plain title fits better than one naming another kind of document, and
    # between plain titles the first (retrieval's best) is meant.
    plain = _document("d.txt", "Notes on Cooperation")
    assert pick_document("letter", [book, talk, news, plain]) is news
    assert pick_document("letter", [book, plain, news]) is plain
    assert pick_document("talk", []) is None


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What do both Glavkosmos and Roscosmos say about cooperation?", ["Glavkosmos", "Roscosmos"]),
        ("How do NASA, ESA or Roscosmos fund launches?", ["NASA", "ESA", "Roscosmos"]),
        ("Who is more optimistic, Komarov compared with Loskutov?", ["Komarov", "Loskutov"]),
        ("What did Komarov say at the Space Symposium?", []),  # two names, not set side by side
        ("Does Russia cooperate with China?", []),
        ("what do glavkosmos and roscosmos say", []),  # lower case names nothing
    ],
)
def test_names_set_side_by_side(question: str, names: list[str]) -> None:
    assert joined_names(question) == names
