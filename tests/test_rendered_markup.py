"""How a sentence of a Markdown or reStructuredText file reads in an answer (``markdown_safe.link_text``):
as rendered, never as its markup. The citation keeps the stored bytes (tested on real files in
``tests/test_answer_defects.py``)."""

from __future__ import annotations

import pytest

from rag_service.answer.markdown_safe import escape, link_text, unescape


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("See [the guide](https://example.org/guide) first.", "See the guide first."),
        ("Badges: ![build](https://ci/x.svg) and [docs][ref].", "Badges: build and docs."),
        (
            "For more, see `Updating image set metadata <https://docs.aws.com/x.html>`__ in the *Guide*.",
            "For more, see Updating image set metadata in the *Guide*.",
        ),
        ("Install it with `pip`_ or `the installer`__ today.", "Install it with pip or the installer today."),
        ("Read :ref:`Installing <install>` and :func:`~os.path.join`.", "Read Installing and os.path.join."),
        ("Use pip in {ref}`Hash-checking mode` here.", "Use pip in Hash-checking mode here."),
        ("The ``update`` example inserts an attribute. ::", "The `update` example inserts an attribute."),
        ("Output::", "Output:"),
        ("Contents of ``metadata.json`` ::", "Contents of `metadata.json`"),
    ],
)
def test_markup_reads_as_rendered(stored: str, shown: str) -> None:
    assert link_text(stored) == shown


@pytest.mark.parametrize(
    "text",
    [
        "Markdown `code` stays a code span.",
        "Paths such as std::vec::Vec and a C++ scope A::b stay as written.",
        "A sentence without markup.",
        "A lone backtick ` and a sentence ending in a colon:",
    ],
)
def test_text_that_is_not_link_or_literal_markup_is_unchanged(text: str) -> None:
    assert link_text(text) == text


def test_what_is_shown_is_escaped_for_markdown_and_unescapes_to_itself() -> None:
    shown = link_text("See `Guide <https://e.org>`__ and run ``ls [dir]``.")
    assert unescape(escape(shown)) == shown == "See Guide and run `ls [dir]`."
