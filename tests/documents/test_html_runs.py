"""Prose written straight into a container between blocks, as old HTML pages do, stays whole: the text
and inline elements between two blocks are one paragraph, so a sentence with ``<tt>`` words in it is one
sentence. Checked on a real page (zlib's usage example, kept in ``data/``) and on small pages."""

from __future__ import annotations

from pathlib import Path

from rag_service.documents.chunking import make_splitter, split_document
from rag_service.documents.files import load_document, scan_sources
from rag_service.documents.formats import extract

PAGE = Path(__file__).parent / "data" / "zlib-how.html"


def test_a_real_pages_sentences_keep_their_inline_code_words() -> None:
    extracted = extract(PAGE.read_bytes(), PAGE.name)
    text = extracted.text
    assert "We often get questions about how the deflate() and inflate() functions should be used." in text
    assert "\n\ndeflate()\n\n" not in text  # an inline <tt> is no paragraph of its own
    assert (
        "From stdio.h we use fopen(), fread(), fwrite(), feof(), ferror(), and fclose() for file i/o" in text
    )
    assert "#define CHUNK 16384" in text  # a <pre> block stays a block of its own lines
    assert extracted.title == "zlib Usage Example"


def test_the_real_pages_sentences_are_whole(tmp_path: Path) -> None:
    (tmp_path / PAGE.name).write_bytes(PAGE.read_bytes())
    sources, _ = scan_sources(tmp_path)
    _, sentences = split_document(load_document(sources[0]), make_splitter(800, 120))
    texts = [s.text for s in sentences]
    assert (
        "Users wonder when they should provide more input, when they should use more output, what to do "
        "with a Z_BUF_ERROR, how to make sure the process terminates properly, and so on." in texts
    )
    assert not any(t in ("deflate()", "and", "inflate()") for t in texts)


def test_inline_runs_between_blocks_and_line_breaks() -> None:
    page = (
        "<html><body><h1>Notes</h1>Run <code>make</code> first, then <b>test</b>.<br>Second line here."
        "<p>A paragraph.</p>Tail text with <a href='x'>a link</a> in it.<div>Block</div></body></html>"
    )
    text = extract(page.encode(), "notes.html").text
    assert text.split("\n\n") == [
        "Notes",
        "Run make first, then test.\nSecond line here.",
        "A paragraph.",
        "Tail text with a link in it.",
        "Block",
    ]


def test_a_line_break_inside_a_paragraph_or_an_inline_element_is_a_line_break() -> None:
    page = (
        "<html><body><p>First line<br>Second <span>line<br/>third</span> line</p>"
        "<li>a<br>b</li></body></html>"
    )
    assert extract(page.encode(), "breaks.html").text.split("\n\n") == [
        "First line\nSecond line\nthird line",
        "- a\nb",
    ]
