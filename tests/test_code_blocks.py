"""The command a quoted sentence introduces (``answer.code_blocks``): the rule on its own, then answers
over real README files whose commands sit in code blocks that are no sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.answer.code_blocks import MAX_LINES, introduced_code
from rag_service.pipeline import Pipeline
from tests.documents.indexed import index_files

DATA = Path(__file__).parent / "documents" / "data"


def _code(text: str, sentence: str) -> tuple[str, ...] | None:
    end = text.index(sentence) + len(sentence)
    following = text.find("Next sentence.", end)
    block = introduced_code(text, sentence, end, following if following >= 0 else len(text))
    if block is not None:
        assert text[block.end - 1] != "\n" and block.end <= (following if following >= 0 else len(text))
    return None if block is None else block.lines


@pytest.mark.parametrize(
    ("text", "sentence", "lines"),
    [
        ("To build it, run\n\n\tcmake .\n\nNext sentence.", "To build it, run", ("cmake .",)),
        (
            "Install it with:\n\n    pip install x\n    pip check\n",
            "Install it with:",
            ("pip install x", "pip check"),
        ),
        (
            "Use:\n\n```sh\nmake\n```\n\n```\nmake install\n```\nNext sentence.",
            "Use:",
            ("make", "make install"),
        ),
        ("Run this::\n\n    tox -e py3\n\nNext sentence.", "Run this::", ("tox -e py3",)),
    ],
)
def test_a_block_a_sentence_introduces_is_found(text: str, sentence: str, lines: tuple[str, ...]) -> None:
    assert _code(text, sentence) == lines


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "It is built with CMake.\n\n\tcmake .\n\nNext sentence.",
            "It is built with CMake.",
        ),  # ends: an example
        ("Run: `cmake .` to build.\nNext sentence.", "Run:"),  # inline, on the same line
        ("Use:\n\n```sh\nmake\n```\nthen this\n```\nmake install\n```\n", "Use:"),  # prose between blocks
        ("Use:\n\n```sh\nmake\n", "Use:"),  # a block that never closes
        ("Use:\n\n    one\nnot indented\n\nNext sentence.", "Use:"),  # prose after the code
        ("Use:\n\n" + "".join(f"\tstep {i}\n" for i in range(MAX_LINES + 1)), "Use:"),  # too long to quote
        ("Use:\n\nNext sentence.", "Use:"),  # nothing between
    ],
)
def test_anything_else_in_the_gap_is_no_introduced_block(text: str, sentence: str) -> None:
    assert _code(text, sentence) is None


def test_a_line_holding_backticks_is_one_code_span() -> None:
    text = "Print it with:\n\n    echo `date`\n"
    block = introduced_code(text, "Print it with:", len("Print it with:"), len(text))
    assert block is not None and block.spans() == "`` echo `date` ``"


@pytest.fixture(scope="module")
def readmes(tmp_path_factory: pytest.TempPathFactory, embedder) -> Pipeline:
    return index_files(tmp_path_factory.mktemp("code"), embedder, DATA / "apt-readme.md")


@pytest.mark.parametrize(
    ("question", "command", "source"),
    [
        ("How do I start building APT?", "`cmake <path to source directory>`", "apt-readme.md"),
        ("How are the integration tests run?", "`$ ./test/integration/run-tests`", "apt-readme.md"),
    ],
)
def test_an_answer_quotes_the_command_its_sentence_introduces(readmes, question, command, source) -> None:
    """Before, the answer stopped at "you need to run" and at "which can be run via:"."""
    answer = readmes.ask(question)
    assert command in answer.text, answer.text
    cited = next(c for c in answer.citations if command.strip("`") in c.quote)
    assert cited.source == source
    text = readmes.index.documents[source].text
    assert text[cited.start : cited.end] == cited.quote  # the document's own characters, block included
    assert not cited.quote.endswith("\n")
    assert answer.grounding is not None and answer.grounding.supported_share == 1.0
