"""Every format, read from files written by real writers: exact offsets, structure, metadata, OCR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag_service.documents.chunking import make_splitter, split_document
from rag_service.documents.files import ReadOptions, load_document, scan_sources
from rag_service.documents.formats import extract, markdown_structure
from rag_service.documents.formats.ocr import tesseract_path
from rag_service.models import Document
from tests.conftest import MissingTool
from tests.documents import writers

MARKDOWN = """# Rivers of the valley

The valley has two rivers.

## Marrow

The Marrow floods in spring.

```
# a comment in code, not a heading
```

## Tolls

| Year | Tolls |
|------|-------|
""" + "".join(f"| {1900 + i} | {100 + i * 7} |\n" for i in range(60))

FIXTURES = {
    "crossings.pdf": writers.multipage_pdf,
    "inspection.pdf": writers.scanned_pdf,
    "lighthouses.html": writers.article_html,
    "orchard.docx": writers.report_docx,
    "rivers.md": lambda: MARKDOWN.encode(),
}


DEFAULT_OPTIONS = ReadOptions()


def _load(folder: Path, name: str, raw: bytes, options: ReadOptions = DEFAULT_OPTIONS) -> Document:
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(raw)
    sources, skipped = scan_sources(folder, options)
    assert not skipped, skipped
    return load_document(next(s for s in sources if s.name == name), options)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    if not tesseract_path():
        raise MissingTool("Tesseract OCR is not installed: apt-get install -y tesseract-ocr (make test does)")
    folder = tmp_path_factory.mktemp("formats")
    return {name: _load(folder, name, make()) for name, make in FIXTURES.items()}


@pytest.mark.parametrize("name", list(FIXTURES))
def test_every_chunk_and_sentence_is_an_exact_slice_of_the_extracted_text(documents, name) -> None:
    document = documents[name]
    chunks, sentences = split_document(document, make_splitter(200, 40))
    assert len(chunks) >= 2
    for piece in (*chunks, *sentences):
        assert piece.start < piece.end
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
    for sentence in sentences:
        assert " ".join(document.text[sentence.start : sentence.end].split()) == sentence.text


def test_pdf_pages_title_and_author(documents) -> None:
    document = documents["crossings.pdf"]
    structure = document.structure
    assert structure.kind == "pdf" and len(structure.pages) >= 3
    assert [p.label for p in structure.pages] == [str(n) for n in range(1, len(structure.pages) + 1)]
    fact = document.text.index("Ilse Varnholt")
    assert structure.page_at(fact) == 2
    assert structure.page_at(document.text.index("For two centuries")) == 1
    assert structure.page_at(document.text.index("The last ferry")) == len(structure.pages)
    assert document.meta.title == "The Marrow River crossings"
    assert document.meta.author == "Port Authority Historical Office"
    for earlier, later in zip(structure.pages, structure.pages[1:], strict=False):
        assert earlier.end <= later.start


def test_pdf_table_rows_stay_whole_lines(documents) -> None:
    text = documents["crossings.pdf"].text
    for year, passengers, tolls in writers.TABLE_ROWS:
        assert f"{year} {passengers} {tolls}" in text.splitlines()


def test_scanned_page_is_read_by_ocr(documents) -> None:
    document = documents["inspection.pdf"]
    words = document.text.lower().split()
    for word in ("harbour", "inspection", "north", "pier", "timber"):
        assert word in " ".join(words), document.text
    assert document.structure.page_at(document.text.lower().index("pier")) == 1
    assert any("OCR" in note and "page 1" in note for note in document.structure.notes)


def test_scanned_page_without_ocr_is_refused_with_the_reason(tmp_path: Path) -> None:
    from rag_service.errors import DocumentError

    with pytest.raises(DocumentError, match="no text could be read"):
        extract(writers.scanned_pdf(), "scan.pdf", ocr=False)


def test_pdf_with_a_scanned_page_and_ocr_off_names_the_page_left_out(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    merged = pdfium.PdfDocument(writers.multipage_pdf())
    merged.import_pages(pdfium.PdfDocument(writers.scanned_pdf()))
    out = tmp_path / "merged.pdf"
    merged.save(str(out))
    pages = len(merged)
    extracted = extract(out.read_bytes(), "merged.pdf", ocr=False)
    assert "north pier" not in extracted.text
    assert extracted.structure.notes == (
        f"no text layer on page {pages}, left out: OCR is off (RAG_OCR=false)",
    )


@pytest.mark.parametrize(
    ("body", "title"),
    [
        # a documentation site's name in its menu bar is an <h1> too (mdBook, as the Rust book is built)
        (
            '<div class="menu-bar"><h1 class="menu-title">The Book</h1></div>'
            "<main><h1>Release profiles</h1><p>Cargo has two main profiles.</p></main>",
            "Release profiles",
        ),
        ("<main><h2>Release profiles</h2><p>Cargo has two main profiles.</p></main>", "Release profiles"),
        (
            "<main><p>Cargo has two main profiles.</p><h2>Dev</h2><p>For development.</p></main>",
            "Profiles - The Book",
        ),
    ],
    ids=["content-h1", "opening-h2", "no-opening-heading"],
)
def test_an_html_page_is_titled_by_its_content_heading(body: str, title: str) -> None:
    from rag_service.documents.formats import extract

    page = f"<html><head><title>Profiles - The Book</title></head><body>{body}</body></html>"
    assert extract(page.encode(), "page.html").title == title


def test_html_keeps_the_article_and_drops_chrome_and_scripts(documents) -> None:
    document = documents["lighthouses.html"]
    text = document.text
    assert writers.HTML_FACT in text
    for chrome in ("Subscribe", "Sport", "cookies", "TRACKER", "SCRIPT-IN-ARTICLE", "Most read", "Copyright"):
        assert chrome not in text
    assert document.meta.title == "Lighthouses of the coast" and document.meta.author == "Rhea Tamsin"
    structure = document.structure
    assert structure.heading_at(text.index("Fresnel")) == "Lighthouses of the coast › Vellmar"
    assert structure.heading_at(text.index("resident keeper")) == "Lighthouses of the coast › Keepers"
    table = structure.table_at(text.index("Skarn Point"))
    assert table is not None and table.label == "Lighthouse | Built"
    assert text[table.start : table.end].splitlines()[-1] == "Skarn Point | 1902"


def test_docx_headings_lists_tables_and_properties(documents) -> None:
    document = documents["orchard.docx"]
    text, structure = document.text, document.structure
    assert document.meta.title == "Orchard survey 2025" and document.meta.author == "Tomas Brell"
    assert "- Codling moth damaged a tenth of the harvest." in text
    assert structure.heading_at(text.index("Codling")) == "Orchard survey 2025 › Findings › Pests"
    assert structure.heading_at(text.index("1,240 apple trees")) == "Orchard survey 2025 › Findings"
    table = structure.table_at(text.index("Bramley"))
    assert table is not None and table.label == "Variety | Tonnes"
    assert "Bramley | 30" in text.splitlines()


def test_markdown_is_cited_as_stored_with_headings_outside_code_fences() -> None:
    structure = markdown_structure(MARKDOWN)
    labels = [h.label for h in structure.headings]
    assert labels == ["Rivers of the valley", "Rivers of the valley › Marrow", "Rivers of the valley › Tolls"]
    assert structure.heading_at(MARKDOWN.index("floods")) == "Rivers of the valley › Marrow"
    assert structure.heading_at(MARKDOWN.index("a comment in code")) == "Rivers of the valley › Marrow"
    (table,) = structure.tables
    assert table.label == "| Year | Tolls |" and MARKDOWN[table.start : table.end].endswith("| 1959 | 513 |")


def test_setext_headings_are_headings_and_front_matter_is_not() -> None:
    text = (
        "---\ntitle: Rivers\n---\n\nRivers of the valley\n====================\n\nTwo rivers cross it.\n\n"
        "Marrow\n------\n\nThe Marrow floods in spring.\nIt is wide.\n---\n\nThe end.\n"
    )
    structure = markdown_structure(text)
    assert [h.label for h in structure.headings] == ["Rivers of the valley", "Rivers of the valley › Marrow"]
    assert structure.heading_at(text.index("floods")) == "Rivers of the valley › Marrow"
    assert structure.heading_at(text.index("The end")) == "Rivers of the valley › Marrow"


@pytest.mark.parametrize(
    ("name", "header"),
    [("rivers.md", "| Year | Tolls |"), ("crossings.pdf", "Year Ferry passengers Bridge tolls")],
)
def test_long_tables_are_cut_between_rows_and_each_part_carries_the_header(documents, name, header) -> None:
    document = documents[name]
    table = document.structure.tables[0]
    assert table.label == header
    chunks, _ = split_document(document, make_splitter(200, 40))
    in_tables = [c for c in chunks if document.structure.table_at(c.start) is not None]
    assert len(in_tables) >= 3
    for chunk in in_tables:
        region = document.structure.table_at(chunk.start)
        rows = set(document.text[region.start : region.end].splitlines())
        assert all(line in rows for line in chunk.text.splitlines()), chunk.text
        assert chunk.header == ("" if chunk.start == region.start else header)
    assert all(c.header == "" for c in chunks if c not in in_tables)


def test_a_numeric_table_cut_by_a_page_break_keeps_its_header() -> None:
    from rag_service.documents.formats.line_tables import line_tables

    text = (
        "Results\nYear Count Share\n1990 12 4%\n1991 14 5%\n1992 15 5%\n\n1993 17 6%\n1994 18 6%\n1995 21 7%"
    )
    first, second = line_tables(text)
    assert text[first.start : first.end].startswith("Year Count Share") and first.label == "Year Count Share"
    assert text[second.start : second.end] == "1993 17 6%\n1994 18 6%\n1995 21 7%"
    assert second.label == "Year Count Share"
    assert line_tables("In 1990 there were 12 boats.\nBy 1991 there were 14.\nIt rained.") == []


def test_citations_carry_page_and_heading(documents) -> None:
    from rag_service.answer.citations import span_citation
    from rag_service.store.model import IndexContent

    for name, expect_page, expect_heading in (
        ("crossings.pdf", 2, None),
        ("lighthouses.html", None, "Lighthouses of the coast › Vellmar"),
    ):
        document = documents[name]
        _, sentences = split_document(document, make_splitter(400, 40))
        row = next(i for i, s in enumerate(sentences) if "Varnholt" in s.text or "Fresnel" in s.text)
        empty = np.zeros((0, 384), dtype=np.float32)
        content = IndexContent((document,), (), tuple(sentences), empty, empty, empty)
        citation = span_citation(1, [row], 0.5, content, {name: document})
        assert citation.page == expect_page and citation.heading == expect_heading
        assert document.text[citation.start : citation.end] == citation.quote


def test_pdfium_is_never_entered_by_two_threads_at_once() -> None:
    """Page images, highlights and extraction running together in one process (as in the server, where
    this once killed the process): run in a child process, so a crash fails this test, not the suite."""
    import subprocess
    import sys

    script = """
import threading
from rag_service.documents.formats.pdf import extract_pdf
from rag_service.documents.formats.pdf_view import locate, render_page
from tests.documents import writers
raw = writers.multipage_pdf()
def work(kind):
    for _ in range(15):
        if kind == 0: render_page(raw, "a.pdf", 2, 600)
        elif kind == 1: locate(raw, "a.pdf", 2, writers.PAGE_TWO_FACT)
        else: extract_pdf(raw, "a.pdf", ocr=False)
threads = [threading.Thread(target=work, args=(i % 3,)) for i in range(6)]
for t in threads: t.start()
for t in threads: t.join()
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


NODE_PATH = Path(__file__).parent / "data" / "nodejs-path.md"


def test_a_markdown_comment_is_never_a_sentence_but_stays_in_the_cited_text(tmp_path: Path) -> None:
    """Node.js's API docs write ``<!-- YAML added: v0.1.25 changes: … -->`` above every function: never
    rendered, it was quoted as sentences ("<!-- YAML added: v0.9.3")."""
    (tmp_path / NODE_PATH.name).write_bytes(NODE_PATH.read_bytes())
    sources, _ = scan_sources(tmp_path)
    document = load_document(sources[0])
    _, sentences = split_document(document, make_splitter(800, 120))
    texts = [s.text for s in sentences]
    assert "<!-- YAML" in document.text  # cited as stored
    assert not [t for t in texts if "<!--" in t or "-->" in t or t.startswith(("added:", "- version:"))]
    assert "The `path.basename()` method returns the last portion of a `path`, similar to the Unix " in (
        " ".join(texts)
    )
    assert "For more information, see [this MSDN page][MSDN-Rel-Path]." in texts  # a link opening a line


def test_a_comment_shown_inside_a_code_fence_is_code_not_markup(tmp_path: Path) -> None:
    text = "# HTML\n\nWrite a comment like this:\n\n```html\n<!--\nA note for other writers here.\n-->\n```\n"
    (tmp_path / "comments.md").write_text(text)
    sources, _ = scan_sources(tmp_path)
    _, sentences = split_document(load_document(sources[0]), make_splitter(800, 120))
    assert "A note for other writers here." in [s.text for s in sentences]


@pytest.mark.parametrize(
    "front",
    [
        '---\ntitle: "Release notes for the 2.0 series"\ndate: 2026-01-01\nauthors: [Jane Writer]\n---\n',
        '+++\ntitle = "Release notes for the 2.0 series"\nauthor = "Jane Writer"\n+++\n',
    ],
    ids=["yaml", "toml"],
)
def test_front_matter_gives_title_and_author_and_is_never_a_sentence(tmp_path: Path, front: str) -> None:
    body = "\n# Release notes\n\nVersion 2.0 removes the legacy configuration loader and adds uploads.\n"
    (tmp_path / "notes.md").write_text(front + body)
    sources, _ = scan_sources(tmp_path)
    document = load_document(sources[0])
    assert (document.meta.title, document.meta.author) == ("Release notes for the 2.0 series", "Jane Writer")
    assert document.text.startswith(front)  # cited as stored
    _, sentences = split_document(document, make_splitter(800, 120))
    assert [s.text for s in sentences] == [
        "# Release notes",
        "Version 2.0 removes the legacy configuration loader and adds uploads.",
    ]
