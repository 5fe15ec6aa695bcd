"""reStructuredText files: section titles are headings, directives and comments are markup, and a real
FAQ written in it is answered through the real ingest, index and answerer."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.answer import sections
from rag_service.answer.sections import heading_labels, heading_rows
from rag_service.documents.formats import extract
from rag_service.documents.formats.rst import rst_structure
from rag_service.documents.markup import guess_title, prose, prose_length
from rag_service.documents.wraps import soft_breaks
from rag_service.embedding.base import BaseEmbedder
from rag_service.pipeline import Pipeline
from tests.documents.indexed import index_files

FAQ = Path(__file__).parent / "data" / "activitywatch-faq.rst"


def test_the_sections_of_a_real_faq_are_its_questions() -> None:
    text = FAQ.read_text(encoding="utf-8")
    extracted = extract(FAQ.read_bytes(), FAQ.name)
    assert extracted.text == text and extracted.structure.kind == "rst"
    labels = [h.label for h in extracted.structure.headings]
    assert labels[0] == "FAQ" and len(labels) == 6
    assert "FAQ › What happens if it is down or crashes?" in labels
    assert all(label.startswith("FAQ › ") for label in labels[1:])
    at = extracted.structure.heading_at
    assert at(text.index("heartbeat queue")) == "FAQ › What happens if it is down or crashes?"
    assert at(text.index("aw-client repository")) == "FAQ › How do I programmatically use ActivityWatch?"
    assert guess_title(text) == "FAQ"


def test_levels_follow_the_order_styles_are_met_and_a_transition_is_no_title() -> None:
    text = (
        "=======\nManual\n=======\n\nIntro text here.\n\nSetup\n-----\n\nInstall it.\n\n"
        "Linux\n~~~~~\n\nUse apt.\n\n----------\n\nMore text after a transition.\n\n"
        "   Indented\n   --------\n\nShort underline\n---\n\nUsage\n-----\n\nRun it.\n"
    )
    labels = [h.label for h in rst_structure(text).headings]
    assert labels == ["Manual", "Manual › Setup", "Manual › Setup › Linux", "Manual › Usage"]
    structure = rst_structure(text)
    assert structure.heading_at(text.index("Use apt")) == "Manual › Setup › Linux"
    assert structure.heading_at(text.index("Run it")) == "Manual › Usage"
    assert structure.opens_heading(text.index("Setup"))


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (".. code-block:: python", ""),
        (".. note::", ""),
        (".. _install-guide:", ""),
        ("..", ""),
        ("~~~~~~~~~~", ""),
        ("^^^^^^", ""),
        (":param timeout: how long to wait", "how long to wait"),
        ("The :code:`status` key holds :doc:`afk` or not.", "The `status` key holds `afk` or not."),
    ],
)
def test_directives_comments_underlines_and_role_names_are_markup(line: str, kept: str) -> None:
    assert " ".join(prose(line).split()) == kept


def test_an_underline_keeps_the_line_break_above_it() -> None:
    text = "\n".join(["A long title that ends on a lower case word", "-" * 44, "and text in lower case"])
    assert soft_breaks(text) == text
    assert prose_length(".. code-block:: py\n   :linenos:") == 0


@pytest.fixture(scope="module")
def faq_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    return index_files(tmp_path_factory.mktemp("rst"), embedder, FAQ)


def test_a_real_faq_is_answered_from_its_section_with_the_section_named(faq_pipeline: Pipeline) -> None:
    answer = faq_pipeline.ask("What happens if the server crashes?")
    assert not answer.not_found
    quotes = [c.quote for c in answer.citations]
    cited = next((c for c in answer.citations if "queue heartbeats until the server" in c.quote), None)
    assert cited is not None, quotes
    assert cited.heading == "FAQ › What happens if it is down or crashes?" and cited.title == "FAQ"
    document = faq_pipeline.index.documents[FAQ.name]
    for citation in answer.citations:
        assert document.text[citation.start : citation.end] == citation.quote


def test_no_sentence_of_the_index_is_a_directive_or_an_underline(faq_pipeline: Pipeline) -> None:
    texts = [s.text for s in faq_pipeline.index.content.sentences]
    assert texts and not any(t.lstrip().startswith((".. ", "---", "===")) for t in texts)
    assert any("heartbeat queue" in t for t in texts)


def test_a_faq_answer_that_does_not_repeat_its_question_is_found_through_its_heading(
    faq_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer under "How do I programmatically use ActivityWatch?" never says "program"; ranked by
    its own words alone it loses to sentences that share the question's, ranked with its heading it
    wins."""
    question = "How can I use ActivityWatch from a program?"
    answer = faq_pipeline.ask(question)
    quotes = [c.quote for c in answer.citations]
    assert any("checkout the aw-client repository" in q for q in quotes), quotes
    cited = next(c for c in answer.citations if "aw-client" in c.quote)
    assert cited.heading == "FAQ › How do I programmatically use ActivityWatch?"
    monkeypatch.setattr(sections, "HEADING_SHARE", 0.0)
    without = [c.quote for c in faq_pipeline.ask(question).citations]
    assert not any("aw-client" in q for q in without), without


def test_each_sentence_knows_the_heading_sentence_above_it(faq_pipeline: Pipeline) -> None:
    index = faq_pipeline.index
    rows = heading_rows(index)
    sentences = index.content.sentences
    by_text = {s.text: row for row, s in enumerate(sentences)}
    heading = by_text["How do I programmatically use ActivityWatch?"]
    answer = next(row for row, s in enumerate(sentences) if "aw-client repository" in s.text)
    assert rows[answer] == heading and rows[heading] == -1
    crash = next(row for row, s in enumerate(sentences) if "heartbeat queue" in s.text)
    assert sentences[rows[crash]].text == "What happens if it is down or crashes?"


README_TXT = Path(__file__).parent / "data" / "freetype-readme.txt"


def test_a_plain_text_readme_has_its_underlined_titles_as_headings() -> None:
    text = README_TXT.read_text(encoding="utf-8")
    extracted = extract(README_TXT.read_bytes(), README_TXT.name)
    assert extracted.text == text and extracted.structure.kind == "text"  # cited as stored
    labels = [h.label for h in extracted.structure.headings]
    assert labels[:3] == ["FreeType 2.12.1", "FreeType 2.12.1 › Mailing Lists", "FreeType 2.12.1 › Bugs"]
    at = extracted.structure.heading_at
    assert at(text.index("The lists are moderated")) == "FreeType 2.12.1 › Mailing Lists"
    # dashed rules between a text's entries (a blank line on both sides) are not titles
    entries = "what: column\nwhy: renamed\n\n--------------------------\n\nwhat: hwclock\nwhy: renamed\n"
    assert extract(entries.encode(), "deprecated.txt").structure.headings == ()


@pytest.fixture(scope="module")
def readme_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    return index_files(tmp_path_factory.mktemp("readme"), embedder, README_TXT)


def test_the_words_of_a_short_heading_count_for_the_sentences_under_it(
    readme_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under "Mailing Lists" (two words: no vector of its own) the lists themselves never say "mailing
    list"; with the heading's words lent to them they are quoted, without they are not."""
    question = "What are the FreeType mailing lists?"
    quotes = " ".join(c.quote for c in readme_pipeline.ask(question).citations)
    assert "freetype-announce@nongnu.org" in quotes, quotes
    cited = next(c for c in readme_pipeline.ask(question).citations if "freetype-announce" in c.quote)
    assert cited.heading == "FreeType 2.12.1 › Mailing Lists"
    monkeypatch.setattr(sections, "HEADING_SHARE", 0.0)
    without = " ".join(c.quote for c in readme_pipeline.ask(question).citations)
    assert "freetype-announce@nongnu.org" not in without, without


def test_each_sentence_knows_its_innermost_heading_label(readme_pipeline: Pipeline) -> None:
    index = readme_pipeline.index
    labels = heading_labels(index)
    sentences = index.content.sentences
    moderated = next(row for row, s in enumerate(sentences) if s.text.startswith("The lists are moderated"))
    assert labels[moderated] == "Mailing Lists"  # the innermost heading, not its path
    assert len(labels) == len(sentences) and all(isinstance(label, str) for label in labels)
