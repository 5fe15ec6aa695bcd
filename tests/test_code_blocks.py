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
    block = introduced_code(text, sentence, end)
    if block is not None:
        assert not text[block.end - 1].isspace() and text[end : block.end].strip()
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
        # the block ends where prose starts again
        ("Use:\n\n```sh\nmake\n```\nthen this\n```\nmake install\n```\n", "Use:", ("make",)),
        ("Use:\n\n    one\nnot indented\n\n    two\n", "Use:", ("one",)),
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
        ("Use:\n\n```sh\nmake\n", "Use:"),  # a block that never closes
        ("Use:\n\n" + "".join(f"\tstep {i}\n" for i in range(MAX_LINES + 1)), "Use:"),  # too long to quote
        ("Use:\n\nNext sentence.", "Use:"),  # nothing between
    ],
)
def test_anything_else_in_the_gap_is_no_introduced_block(text: str, sentence: str) -> None:
    assert _code(text, sentence) is None


def test_a_line_holding_backticks_is_one_code_span() -> None:
    text = "Print it with:\n\n    echo `date`\n"
    block = introduced_code(text, "Print it with:", len("Print it with:"))
    assert block is not None and block.spans() == "`` echo `date` ``"


@pytest.fixture(scope="module")
def readmes(tmp_path_factory: pytest.TempPathFactory, embedder) -> Pipeline:
    return index_files(
        tmp_path_factory.mktemp("code"),
        embedder,
        DATA / "apt-readme.md",
        DATA / "nodejs-path.md",
        DATA / "git-persistent-https-readme.txt",
        DATA / "dash-readme-source.txt",
    )


@pytest.mark.parametrize(
    ("question", "command", "source"),
    [
        ("How do I start building APT?", "`cmake <path to source directory>`", "apt-readme.md"),
        ("How are the integration tests run?", "`$ ./test/integration/run-tests`", "apt-readme.md"),
        # A short introduction after the quoted sentence, "It can be accessed using:", and two blocks.
        ("How can the node:path module be accessed?", "`import path from 'node:path';`", "nodejs-path.md"),
        # "… ready to be used by dpkg-buildpackage, e.g." and an indented command; in plain text with no
        # indent, "… by using the "persistent-https" scheme, e.g." and the command on a line of its own.
        (
            "How do I build the dash package after cloning the repository?",
            "`$ dpkg-buildpackage -i -uc -us`",
            "dash-readme-source.txt",
        ),
        (
            "How do I delegate HTTPS requests to the persistent-https proxy?",
            "git clone persistent-https://kernel.googlesource.com/pub/scm/git/git",
            "git-persistent-https-readme.txt",
        ),
    ],
)
def test_an_answer_quotes_the_command_its_sentence_introduces(readmes, question, command, source) -> None:
    """Before, the answer stopped at "you need to run", at "which can be run via:", before "It can be
    accessed using:", and at "e.g."."""
    answer = readmes.ask(question)
    assert command in answer.text, answer.text
    cited = next(c for c in answer.citations if command.strip("`") in c.quote)
    assert cited.source == source
    text = readmes.index.documents[source].text
    assert text[cited.start : cited.end] == cited.quote  # the document's own characters, block included
    assert not cited.quote.endswith("\n")
    assert sum(command.strip("`") in c.quote for c in answer.citations) == 1  # quoted once, in its block
    assert answer.grounding is not None and answer.grounding.supported_share == 1.0


@pytest.mark.parametrize(
    ("text", "row"),
    [
        (
            "Run:\n\n```\n$ starcat update --all\n```\n\nTo remove it, run:\n\n```\n$ starcat purge\n```\n",
            "$ starcat update --all",
        ),
        (
            "Build it:\n\n    ./configure --prefix=/usr --enable-shared\n    make\n",
            "./configure --prefix=/usr --enable-shared",
        ),
    ],
)
def test_a_line_of_code_read_as_a_sentence_introduces_nothing(text: str, row: str) -> None:
    """The fence after a line of code closes its block; it does not open one (which would quote the next
    introduction as code)."""
    assert _code(text, row) is None
