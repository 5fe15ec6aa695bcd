"""OpenDocument text and EPUB books: real files written by pandoc and docutils (``data/README.md``),
read into text with headings and tables, indexed and answered from with citations that name their
section; and the hostile or foreign zip archives of those formats refused with a reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag_service.documents.formats import extract
from rag_service.embedding.base import BaseEmbedder
from rag_service.errors import DocumentError
from rag_service.pipeline import Pipeline
from tests.documents.indexed import index_files
from tests.documents.writers import zip_archive

DATA = Path(__file__).parent / "data"
BUILDING = DATA / "nodejs-building.odt"  # pandoc
FAQ = DATA / "activitywatch-faq.odt"  # docutils
BOOK = DATA / "nodejs-path-timers.epub"  # pandoc, EPUB 3
PLATFORM_ROW = (
    "GNU/Linux | x64 | kernel >= 4.18, glibc >= 2.28 | Tier 1 | e.g. Ubuntu 20.04, Debian 10, RHEL 8"
)
FOOTNOTE = "Older kernel versions may work. However, official Node.js release binaries are built on RHEL 8"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    return index_files(tmp_path_factory.mktemp("odt-epub"), embedder, BUILDING, FAQ, BOOK)


def test_pandocs_odt_has_its_headings_tables_and_lists() -> None:
    extracted = extract(BUILDING.read_bytes(), BUILDING.name)
    text, structure = extracted.text, extracted.structure
    assert structure.kind == "odt"
    labels = [h.label for h in structure.headings]
    assert labels[0] == "Building Node.js"
    assert "Building Node.js › Supported platforms › Platform list" in labels
    table = structure.tables[0]
    assert table.label == "Operating System | Architectures | Versions | Support Type | Notes"
    assert PLATFORM_ROW in text[table.start : table.end].splitlines()
    assert "\n- Supported platforms\n" in text  # the document's own contents list, as list items


def test_a_footnote_is_read_once_after_its_table_never_inside_a_cell() -> None:
    """pandoc writes the footnote "[^1]" into every cell that cites it; the cell keeps only its own text,
    and the note's text follows the table once."""
    extracted = extract(BUILDING.read_bytes(), BUILDING.name)
    text, table = extracted.text, extracted.structure.tables[0]
    assert text.count(FOOTNOTE) == 1
    assert text.index(FOOTNOTE) > table.end
    assert FOOTNOTE not in text[table.start : table.end]


def test_docutils_odt_has_its_title_sections_and_code_lines_but_not_its_comment() -> None:
    extracted = extract(FAQ.read_bytes(), FAQ.name)
    text = extracted.text
    assert extracted.title == "FAQ"
    labels = [h.label for h in extracted.structure.headings]
    assert labels[0] == "FAQ"  # the paragraph styled "rststyle-title", through its automatic style
    assert "FAQ › How do I programmatically use ActivityWatch?" in labels  # a heading inside a section
    assert "buckets = ac.get_buckets()" in text.splitlines()  # text:s runs and line breaks
    assert "should probably be moved to a development FAQ" not in text  # a reviewer's annotation


def test_an_epub_reads_its_chapters_in_order_without_its_contents_page() -> None:
    extracted = extract(BOOK.read_bytes(), BOOK.name)
    text = extracted.text
    assert (extracted.title, extracted.author) == ("Node.js API: path and timers", "Node.js contributors")
    assert extracted.structure.kind == "epub"
    tops = [h.label for h in extracted.structure.headings if "›" not in h.label]
    assert tops == ["Node.js API: path and timers", "Path", "Timers"]  # title page, chapter 1, chapter 2
    assert text.count("Windows vs. POSIX") == 1  # the navigation document lists it too, and is left out
    assert "The node:path module provides utilities for working with file and directory paths." in text


def test_answers_cite_the_odt_and_epub_sections_verbatim(pipeline: Pipeline) -> None:
    documents = pipeline.index.documents
    for question, source, heading, words in (
        (
            "What does path.basename return?",
            BOOK.name,
            "Path › path.basename(path[, suffix])",
            "returns the last portion of a path",
        ),
        (
            "Which support tier is GNU/Linux on x64?",
            BUILDING.name,
            "Building Node.js › Supported platforms › Platform list",
            PLATFORM_ROW,
        ),
        (
            "How can I use ActivityWatch from a program?",
            FAQ.name,
            "FAQ › How do I programmatically use ActivityWatch?",
            "checkout the aw-client repository",
        ),
    ):
        answer = pipeline.ask(question)
        cited = next((c for c in answer.citations if words in c.quote), None)
        assert cited is not None, (question, [c.quote for c in answer.citations])
        assert (cited.source, cited.heading) == (source, heading)
        assert documents[source].text[cited.start : cited.end] == cited.quote


@pytest.mark.parametrize(
    ("mimetype", "reason"),
    [
        ("application/vnd.oasis.opendocument.spreadsheet", "an OpenDocument spreadsheet (.ods)"),
        ("application/vnd.oasis.opendocument.presentation", "an OpenDocument presentation (.odp)"),
        ("application/zip", "not a Word document, an OpenDocument text or an EPUB book"),
    ],
)
def test_other_zip_documents_are_refused_with_what_they_are(mimetype: str, reason: str) -> None:
    raw = zip_archive({"mimetype": mimetype.encode(), "content.xml": b"<x/>"})
    with pytest.raises(DocumentError, match=re.escape(reason)):
        extract(raw, "sheet.odt")


def test_a_broken_epub_says_what_is_missing_and_a_missing_chapter_is_a_note() -> None:
    with pytest.raises(DocumentError, match=re.escape("without a readable META-INF/container.xml")):
        extract(zip_archive({"mimetype": b"application/epub+zip"}), "empty.epub")
    container = (
        b'<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        b'<rootfile full-path="OEBPS/book.opf"/></rootfiles></container>'
    )
    package = (
        b'<package xmlns="http://www.idpf.org/2007/opf"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:title>Two chapters</dc:title></metadata><manifest>"
        b'<item id="a" href="one.xhtml" media-type="application/xhtml+xml"/>'
        b'<item id="b" href="two%20gone.xhtml" media-type="application/xhtml+xml"/></manifest>'
        b'<spine><itemref idref="b"/><itemref idref="a"/></spine></package>'
    )
    chapter = (
        b"<html xmlns='http://www.w3.org/1999/xhtml'><body><h1>One</h1>"
        b"<p>Only this is here.</p></body></html>"
    )
    extracted = extract(
        zip_archive(
            {
                "mimetype": b"application/epub+zip",
                "META-INF/container.xml": container,
                "OEBPS/book.opf": package,
                "OEBPS/one.xhtml": chapter,
            }
        ),
        "partial.epub",
    )
    assert extracted.text == "One\n\nOnly this is here."
    assert extracted.title == "Two chapters"
    assert extracted.structure.notes == (
        "OEBPS/two gone.xhtml is in the book's reading order but not in the archive; left out",
    )


def test_an_odt_whose_xml_declares_an_entity_does_not_expand_it() -> None:
    """The billion-laughs shape: a DTD entity that would expand to gigabytes is not expanded."""
    content = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        b"<text:p>Plain words. &b;</text:p></office:text></office:body></office:document-content>"
    )
    raw = zip_archive({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": content})
    text = extract(raw, "entity.odt").text
    assert text.startswith("Plain words.")
    assert "aaaaaaaaaa" not in text


def test_an_odt_with_malformed_numbers_is_read_not_refused() -> None:
    """A hand-edited file's heading level or space count that is not a number reads as 1, not a crash."""
    content = (
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        b'<text:h text:outline-level="two">Setup</text:h><text:p>Run it<text:s text:c="x"/>now.</text:p>'
        b"</office:text></office:body></office:document-content>"
    )
    raw = zip_archive({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": content})
    extracted = extract(raw, "edited.odt")
    assert extracted.text == "Setup\n\nRun it now."
    assert [h.label for h in extracted.structure.headings] == ["Setup"]
