"""Defects a new user met on real files (issue #31), each checked on the file it was met on
(``tests/documents/data``, provenance in its README): a FAQ's question quoted as its answer and cut at a
line end, raw Markdown link syntax in an answer, a PDF reference list's glued labels, a heading glued to
the sentence after it, and a follow-up about something new answered with the previous answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.documents.chunking import make_splitter, split_document
from rag_service.documents.files import SourceFile, load_document
from rag_service.models import Message
from rag_service.pipeline import Pipeline
from tests.documents.indexed import index_files

DATA = Path(__file__).parent / "documents" / "data"
SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="module")
def manuals(tmp_path_factory: pytest.TempPathFactory, embedder) -> Pipeline:
    return index_files(
        tmp_path_factory.mktemp("defects"),
        embedder,
        DATA / "valgrind-faq.txt",
        DATA / "users-and-groups.html",
        DATA / "systemd-uids-gids.md",
    )


def _sentences(path: Path) -> list[str]:
    document = load_document(SourceFile(path.name, path, "test"))
    return [s.text for s in split_document(document, make_splitter(800, 120))[1]]


def test_a_faq_question_wrapped_over_two_lines_is_one_sentence_and_never_the_answer(manuals) -> None:
    # The FAQ underlines its title with "~~~~", which once passed for a code fence that never closed.
    assert "Is it possible to attach Valgrind to a program that is already running?" in _sentences(
        DATA / "valgrind-faq.txt"
    )
    answer = manuals.ask("Is it possible to attach Valgrind to a program that is already running?")
    assert answer.citations, answer.text
    assert not any(c.quote.rstrip().endswith("?") for c in answer.citations), answer.text
    assert not any(c.quote.rstrip().endswith("already") for c in answer.citations), answer.text


def test_a_markdown_link_reads_as_its_text_while_the_citation_keeps_the_stored_bytes(manuals) -> None:
    answer = manuals.ask("Which UID range is used for home directories managed by systemd-homed?")
    assert "60001" in answer.text, answer.text
    assert "](http" not in answer.text and "systemd-homed.service(8)" in answer.text
    cited = next(c for c in answer.citations if "60001" in c.quote)
    assert "](https://www.freedesktop.org" in cited.quote  # the quote is the file's own characters


def test_a_follow_up_about_another_user_is_not_answered_about_the_first(manuals) -> None:
    first = manuals.ask("What shell does user sync have?")
    assert "/bin/sync" in first.text, first.text
    history = [Message("user", "What shell does user sync have?"), Message("assistant", first.text)]
    follow = manuals.ask("And of user games?", history=history)
    assert follow.not_found or "games" in follow.citations[0].quote.lower(), follow.text
    assert "/bin/sync" not in follow.text, follow.text


def test_a_pdf_reference_list_keeps_a_space_between_label_and_text() -> None:
    path = DATA / "shared-mime-info-spec.pdf"
    text = load_document(SourceFile(path.name, path, "test")).text
    assert "SharedMIME Shared MIME-info Database" in text and "SharedMIMEShared" not in text
    assert "GNOME The GNOME desktop" in text and "GNOMEThe" not in text


def test_a_heading_glued_to_the_next_sentence_is_not_quoted_with_it() -> None:
    sentences = _sentences(SEEDS / "000_47ffcb0c647e5e31.txt")
    assert any(s.startswith("Development of commercial space traveling") for s in sentences)
    assert not any("traveling Development" in s for s in sentences)


@pytest.fixture(scope="module")
def aws_example(tmp_path_factory: pytest.TempPathFactory, embedder) -> Pipeline:
    example = DATA / "awscli-update-image-set-metadata.rst"
    return index_files(tmp_path_factory.mktemp("rst"), embedder, example)


def test_a_restructuredtext_literal_block_is_quoted_as_code_after_its_introduction(aws_example) -> None:
    # "… inserts or updates an attribute in image set metadata. ::" then a blank line and the indented
    # command: its lines once came as the items of a list, in plain text, cut after the fifth.
    answer = aws_example.ask("How do I insert or update an attribute in image set metadata?")
    assert "inserts or updates an attribute in image set metadata. `aws medical-imaging" in answer.text
    assert "`--update-image-set-metadata-updates file://metadata-updates.json`" in answer.text
    assert "::" not in answer.text and "``" not in answer.text, answer.text
    cited = answer.citations[0]
    assert "metadata. ::\n\n    aws medical-imaging" in cited.quote  # the file's own characters
    assert cited.quote.endswith("file://metadata-updates.json")


def test_a_restructuredtext_link_reads_as_its_text_while_the_citation_keeps_it(aws_example) -> None:
    answer = aws_example.ask("Where can I read more about updating image set metadata?")
    assert "see Updating image set metadata in the" in answer.text, answer.text
    assert "<https://" not in answer.text and "`__" not in answer.text
    assert any("<https://docs.aws.amazon.com/" in c.quote for c in answer.citations)


def test_a_block_too_long_to_quote_leaves_its_introduction_alone(aws_example) -> None:
    # Example 6's command runs to seven lines: an example to read in the file, not lines of a list.
    state = aws_example._state
    sentences = state.index.content.sentences
    intro = next(
        row
        for row, s in enumerate(sentences)
        if s.text.startswith("The following") and "update the value of a private data element" in s.text
    )
    extract = state.answerer._writer.compose([(intro, 1.0)], 1.0, frozenset(range(len(sentences))))
    assert len(extract.citations) == 1 and extract.citations[0].quote.endswith("image set. ::")
    assert "--datastore-id" not in extract.text, extract.text


def test_a_document_named_by_its_file_name_is_not_unknown(tmp_path, embedder) -> None:
    # man-db's FAQ never writes "FAQ": "The documents never mention FAQ." declined this question.
    pipeline = index_files(tmp_path, embedder, DATA / "man-db-faq.txt")
    answer = pipeline.ask("What does the man-db FAQ say about security?")
    assert not any("never mention" in note for note in answer.notes), answer.notes
    assert answer.citations and all(c.source == "man-db-faq.txt" for c in answer.citations)
    unknown = pipeline.ask("What does the Kubernetes handbook say about security?")
    assert any("never mention Kubernetes" in note for note in unknown.notes), unknown.notes


def test_a_follow_up_finds_what_an_answer_escaped_for_markdown_quoted(aws_example) -> None:
    # The answer escapes "`" (it is shown as Markdown); reading it back, the sentences it quoted were
    # never found, so a follow-up could lead with them again.
    first = aws_example.ask("How do I insert or update an attribute in image set metadata?")
    assert "\\`update-image-set-metadata\\`" in first.text
    quoted = aws_example._state.quotes.rows(first.text)
    sentences = aws_example.index.content.sentences
    assert quoted, first.text
    assert sentences[quoted[0]].text.startswith("The following ``update-image-set-metadata`` example inserts")


@pytest.fixture(scope="module")
def readme(tmp_path_factory: pytest.TempPathFactory, embedder) -> Pipeline:
    return index_files(tmp_path_factory.mktemp("list-items"), embedder, DATA / "apt-readme.md")


def test_a_list_item_without_a_full_stop_answers(readme) -> None:
    """A README's list items often end without a full stop; one that says something ("is a
    Packages/Sources file normalizer") is no heading or byline and may answer."""
    answer = readme.ask("What does apt-sortpkgs do?")
    assert answer.citations, answer.notes
    assert "file normalizer" in answer.citations[0].quote, answer.text
