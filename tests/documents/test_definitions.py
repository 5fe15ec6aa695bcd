"""A definition list's term is read with its definition (``formats.definitions``): on a real page of the
libffi manual (``data/libffi-primitive-types.html``, GNU Texinfo's HTML) and on small pages for the
cases where the term stays a line of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.documents.formats import extract
from rag_service.pipeline import Pipeline
from tests.documents.indexed import index_files

DATA = Path(__file__).parent / "data"
PAGE = DATA / "libffi-primitive-types.html"


def test_a_real_manuals_terms_open_their_definitions() -> None:
    text = extract(PAGE.read_bytes(), PAGE.name).text
    assert "\n\nffi_type_uint8 — An unsigned, 8-bit integer type.\n\n" in text
    assert "ffi_type_void — The type void. This cannot be used for argument types" in text
    assert "\n\nffi_type_uint8\n\n" not in text and "¶" not in text


def _text(body: str) -> str:
    return extract(f"<html><body>{body}</body></html>".encode(), "page.html").text


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<dl><dt>alpha()</dt><dd><p>Starts it.</p><p>More.</p></dd></dl>", "alpha() — Starts it.\n\nMore."),
        ("<dl><dt>alpha()</dt><dd>Starts it.</dd></dl>", "alpha() — Starts it."),
        # a question is no term: a FAQ written as a list keeps its question apart from the answer
        ("<dl><dt>Is it safe?</dt><dd>Yes.</dd></dl>", "Is it safe?\n\nYes."),
        # a definition opening with a list or code, or a term with no definition after it
        ("<dl><dt>modes</dt><dd><ul><li>fast</li></ul></dd></dl>", "modes\n\n- fast"),
        ("<dl><dt>run</dt><dd><pre>make\nmake install</pre></dd></dl>", "run\n\nmake\nmake install"),
        ("<dl><dt>first</dt><dt>second</dt><dd>Both.</dd></dl>", "first\n\nsecond — Both."),
        ("<dl><dt>lonely</dt></dl><p>After.</p>", "lonely\n\nAfter."),
    ],
)
def test_a_term_joins_the_first_sentence_of_its_definition_only(body: str, text: str) -> None:
    assert _text(body) == text


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory, embedder) -> Pipeline:
    basics = DATA / "libffi-the-basics.html"
    return index_files(tmp_path_factory.mktemp("definitions"), embedder, PAGE, basics)


def test_an_answer_from_a_definition_names_what_it_defines(manual: Pipeline) -> None:
    # Before, "An unsigned, 8-bit integer type." answered without saying which type.
    answer = manual.ask("Which libffi type is an unsigned 8-bit integer?")
    assert answer.text.startswith("ffi_type_uint8 — An unsigned, 8-bit integer type."), answer.text
    cited = answer.citations[0]
    assert cited.quote == "ffi_type_uint8 — An unsigned, 8-bit integer type."
    assert manual.index.documents[cited.source].text[cited.start : cited.end] == cited.quote
