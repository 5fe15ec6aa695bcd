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


def test_permalink_anchors_leave_headings_and_a_page_of_several_h1_is_titled_by_its_title_element() -> None:
    """Sphinx's markup as it writes it (Debian's Python Policy page, for one): every heading ends in a
    ``headerlink`` anchor "¶", and the page has an ``<h1>`` per part."""
    page = (
        "<html><head><title>Debian Python Policy documentation</title></head><body><main>"
        '<section id="abstract"><h1>Abstract<a class="headerlink" href="#abstract" '
        'title="Permalink to this heading">¶</a></h1><p>This document describes the packaging.</p></section>'
        '<section id="contents"><h1>Contents<a class="headerlink" href="#contents">¶</a></h1>'
        '<h2><span class="section-number">1. </span>Copyright<a class="headerlink" href="#copyright">¶</a>'
        '</h2><p>See <a href="#fn1">1</a> and <a href="#versions">the versions</a>.</p></section>'
        "</main></body></html>"
    )
    extracted = extract(page.encode(), "policy.html")
    assert "¶" not in extracted.text
    assert [h.label for h in extracted.structure.headings] == [
        "Abstract",
        "Contents",
        "Contents › 1. Copyright",
    ]
    assert extracted.title == "Debian Python Policy documentation"
    assert "See 1 and the versions." in extracted.text  # links into the page that say something stay


def test_a_page_without_a_declared_charset_is_read_as_utf8_and_a_declared_charset_is_honoured() -> None:
    undeclared = "<html><body><p>Un café crème coûte 2 €.</p></body></html>".encode()
    assert extract(undeclared, "cafe.html").text == "Un café crème coûte 2 €."  # libxml2 alone: "cafÃ©"
    declared = (
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
        b"<body><p>\x93Quoted\x94 caf\xe9 text.</p></body></html>"
    )
    assert extract(declared, "old.html").text == "\u201cQuoted\u201d café text."
    xhtml = '<?xml version="1.0" encoding="UTF-8"?><html><body><p>Crème brûlée.</p></body></html>'.encode()
    assert extract(xhtml, "page.xhtml.html").text == "Crème brûlée."


TEXINFO = Path(__file__).parent / "data" / "libffi-the-basics.html"


def test_a_gnu_manuals_pagers_are_not_text_and_its_heading_titles_the_page() -> None:
    extracted = extract(TEXINFO.read_bytes(), TEXINFO.name)
    lines = extracted.text.splitlines()
    assert not [line for line in lines if line.startswith(("Next:", "Up:"))]  # top (rel) and foot copies
    assert lines[0] == "2.1 The Basics" and extracted.title == "2.1 The Basics"
    assert "Function: ffi_status ffi_prep_cif (ffi_cif *cif, ffi_abi abi," in extracted.text


def test_a_next_link_in_running_text_or_beside_a_heading_stays() -> None:
    page = (
        "<html><body><p>Read on in <a rel='next' href='b.html'>the next part</a>, which explains the "
        "rest of the setup in detail for every platform we support today and tomorrow, at length, with "
        "examples of each step and what can go wrong and how to recover from it.</p>"
        "<div><h2>Contents</h2><a rel='next' href='c.html'>Chapter two</a></div></body></html>"
    )
    text = extract(page.encode(), "parts.html").text
    assert "Read on in the next part, which explains" in text
    assert "Contents" in text and "Chapter two" in text
