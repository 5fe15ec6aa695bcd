"""The print layout of real PDFs: running heads, running feet and page numbers are dropped, numbered
sections become headings, and contents lines are never quoted. Two manuals typeset by TeX (kept with
their provenance in ``data/README.md``) go through the real extractor, ingest, index and answerer."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rag_service.documents.formats import extract
from rag_service.documents.formats.furniture import strip_furniture
from rag_service.documents.formats.numbered import Heading, NumberedHeadings, follows
from rag_service.documents.markup import prose
from rag_service.embedding.base import BaseEmbedder
from rag_service.pipeline import Pipeline
from rag_service.serialize import sources_footer
from tests.documents.indexed import index_files

DATA = Path(__file__).parent / "data"
MANUAL = DATA / "libtasn1-manual.pdf"
SPEC = DATA / "shared-mime-info-spec.pdf"


def _page_texts(path: Path) -> list[str]:
    extracted = extract(path.read_bytes(), path.name, ocr=False)
    return [extracted.text[p.start : p.end] for p in extracted.structure.pages]


def test_running_heads_with_page_numbers_and_bare_page_numbers_are_dropped() -> None:
    pages = _page_texts(MANUAL)
    assert len(pages) == 36
    text = "\n".join(pages)
    assert not re.search(r"Chapter \d: [A-Za-z.1 ]+ \d+", text)  # "Chapter 4: Function reference 12"
    assert "Appendix A: Copying Information 25" not in text
    for page in pages:
        lines = page.split("\n")
        assert not re.fullmatch(r"\d{1,3}|[ivx]+", lines[0]) and not re.fullmatch(
            r"\d{1,3}|[ivx]+", lines[-1]
        )
    assert "The header file of this library is libtasn1.h." in text  # the body is untouched


def test_a_title_printed_on_every_page_stays_once_as_the_first_line() -> None:
    pages = _page_texts(SPEC)
    assert len(pages) == 17 and pages[0].startswith("Shared MIME-info Database\n")
    assert sum(page.count("Shared MIME-info Database\n") for page in pages) == 1
    assert not any(page.rstrip().split("\n")[-1].isdigit() for page in pages)
    assert "4 CARD32 N_MATCHLETS" in "\n".join(pages)  # a body line starting with a number stays


def test_numbered_sections_become_headings_across_pages() -> None:
    for path, expected, inside in [
        (MANUAL, "3 Utilities › 3.2 Invoking asn1Coding", "asn1Coding generates a DER encoding"),
        (
            SPEC,
            "2. Unified system › 2.10. Storing the MIME type using Extended Attributes",
            "extended attribute",
        ),
    ]:
        extracted = extract(path.read_bytes(), path.name, ocr=False)
        labels = [h.label for h in extracted.structure.headings]
        assert expected in labels
        assert extracted.structure.heading_at(extracted.text.index(inside)) == expected
    manual = extract(MANUAL.read_bytes(), MANUAL.name, ocr=False)
    labels = [h.label for h in manual.structure.headings]
    # the contents page lists the same numbers with dot leaders: none of its lines is taken for a heading
    assert labels[:3] == [
        "1 Introduction",
        "2 ASN.1 structure handling",
        "2 ASN.1 structure handling › 2.1 ASN.1 syntax",
    ]
    assert not any(". . ." in label for label in labels)


def _pages(*pages: list[str]) -> list[str]:
    return ["\n".join(lines) for lines in pages]


def test_a_line_repeated_in_the_body_of_pages_is_never_taken_for_furniture() -> None:
    body = "Warning: keep the lid closed"
    words = ["apples", "pears", "plums", "grapes", "figs", "limes"]
    pages = _pages(*[[f"On {w}", f"{w} grow", body, f"{w} are sold", f"{w} keep"] for w in words])
    assert strip_furniture(pages) == pages


def test_page_numbers_count_from_where_the_numbering_starts() -> None:
    front = ["Cover page of the report", "i"]
    words = ["apples", "pears", "plums", "grapes", "figs", "limes"]
    body = [[f"On {w}", f"{w} keep", str(n - 2)] for n, w in enumerate(words, start=3)]
    out = strip_furniture(_pages(front, *body))
    assert out[0] == "Cover page of the report"
    assert [page.split("\n")[-1] for page in out[1:]] == [f"{w} keep" for w in words]
    # a number at the foot that does not follow the page numbering is content (a table's last cell)
    odd = _pages(*[[f"On {w}", f"{w} sold", str(100 + 7 * n)] for n, w in enumerate(words, start=1)])
    assert strip_furniture(odd) == odd


def test_a_short_running_head_goes_from_a_third_of_the_pages_and_one_page_is_left_alone() -> None:
    pages = _pages(*[["Annual Report 2024", f"Section text {n}", "body"] for n in range(1, 7)])
    out = strip_furniture(pages)
    assert out[0].startswith("Annual Report 2024")  # the title on the first page
    assert not any("Annual Report" in page for page in out[1:])
    single = _pages(["Annual Report 2024", "1"])
    assert strip_furniture(single) == single


@pytest.mark.parametrize(
    ("last", "number", "ok"),
    [
        ((), (1,), True),
        ((), (1, 1), True),
        ((), (2, 3), False),
        ((2, 3), (2, 4), True),
        ((2, 3), (2, 3, 1), True),
        ((2, 3), (3,), True),
        ((2, 3, 1), (2, 4), True),
        ((2, 3), (1,), False),
        ((2, 3), (2, 5), False),
        ((2, 3), (2, 3, 2), False),
        ((2,), (2, 1, 1), False),
    ],
)
def test_a_section_number_must_follow_the_last_one(
    last: tuple[int, ...], number: tuple[int, ...], ok: bool
) -> None:
    assert follows(last, number) is ok


def test_numbered_lists_and_sentences_are_not_headings() -> None:
    finder = NumberedHeadings()
    blocks = finder.blocks(
        [
            "1 Introduction\nThis manual explains it.\n2 Installing\nSteps:\n1. Download the archive\n"
            "2. Run the installer\n2.1 Checking the result\n"
            "2.2 the lower case start\n3 Use it. Then stop.\n3 Running"
        ]
    )
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    assert headings == ["1 Introduction", "2 Installing", "2.1 Checking the result", "3 Running"]
    assert [b.level for b in blocks if isinstance(b, Heading)] == [1, 1, 2, 1]
    assert "1. Download the archive\n2. Run the installer" in [b for b in blocks if isinstance(b, str)][1]


def test_a_contents_list_without_leaders_leaves_the_numbers_to_the_headings_below_it() -> None:
    contents = "Contents\n1 Introduction 1\n1.1 Scope 2\n2 Installing 3\n2.1 Checking 4\n3 Running 5"
    body = "1 Introduction\nThis manual explains it.\n1.1 Scope\n2 Installing\nSteps follow.\n3 Running"
    blocks = NumberedHeadings().blocks([contents + "\n" + body])
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    assert headings == ["1 Introduction", "1.1 Scope", "2 Installing", "3 Running"]
    assert contents in next(b for b in blocks if isinstance(b, str))


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("2.1 ASN.1 syntax. . . . . . . . . . . . . . . . 3", ""),
        ("asn1_strerror . . . . . . . . . . 22", ""),
        ("Preface . . . . . . . . iv", ""),
        ("Contents ........ 3", ""),
        ("He waited.....", "He waited....."),
        ("Version 1.2.3.4 is out.", "Version 1.2.3.4 is out."),
    ],
)
def test_contents_lines_with_dot_leaders_are_markup(line: str, kept: str) -> None:
    assert prose(line).strip() == kept


@pytest.fixture(scope="module")
def manuals(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    return index_files(tmp_path_factory.mktemp("pdf-layout"), embedder, MANUAL, SPEC)


def test_no_sentence_is_a_contents_line_or_a_running_head(manuals: Pipeline) -> None:
    texts = [s.text for s in manuals.index.content.sentences]
    assert len(texts) > 500
    assert not any(". . . ." in t for t in texts)
    assert not any(t.startswith("Chapter 4: Function reference") for t in texts)
    assert sum(t.startswith("Shared MIME-info Database") for t in texts) == 1


@pytest.mark.parametrize(
    ("question", "quoted", "heading", "page"),
    [
        (
            "What does asn1Coding generate?",
            "asn1Coding generates a DER encoding",
            "3 Utilities › 3.2 Invoking asn1Coding",
            8,
        ),
        (
            "What is the default glob weight?",
            "The default weight value is 50",
            "2. Unified system › 2.2. The source XML files",
            4,
        ),
    ],
)
def test_a_manual_is_answered_with_its_section_and_page_named(
    manuals: Pipeline, question: str, quoted: str, heading: str, page: int
) -> None:
    answer = manuals.ask(question)
    cited = next((c for c in answer.citations if quoted in " ".join(c.quote.split())), None)
    assert cited is not None, [c.quote for c in answer.citations]
    assert " ".join(cited.quote.split()).startswith(quoted)  # the heading line above is not glued to it
    assert cited.heading == heading and cited.page == page
    for citation in answer.citations:
        text = manuals.index.documents[citation.source].text
        assert text[citation.start : citation.end] == citation.quote


def test_a_sentence_cut_by_a_page_break_is_read_whole(manuals: Pipeline) -> None:
    """Page 2 of the specification ends "… Information found in a" and page 3 starts "directory is added
    to …": one sentence, cited on the page it starts on, while page 3 still starts at its own first line."""
    document = manuals.index.documents[SPEC.name]
    sentence = next(s for s in manuals.index.content.sentences if s.text.startswith("Information found in a"))
    assert " ".join(sentence.text.split()).startswith(
        "Information found in a directory is added to the information"
    )
    assert document.structure.page_at(sentence.start) == 2
    third = document.structure.pages[2]
    assert (
        document.text[third.start :].startswith("directory is added")
        and document.text[third.start - 1] == "\n"
    )
    # a page that opens a new paragraph (the page before ends its sentence) stays a paragraph apart
    fourth = document.structure.pages[3]
    assert document.text[fourth.start - 2 : fourth.start] == "\n\n"


SECTIONS = [
    ("1. Overview", "The relay station watches the northern valley and reports the river level every hour."),
    (
        "1.1. Scope",
        "This guide covers the station's sensors, its radio link and the yearly maintenance visit.",
    ),
    ("2. Installing the sensors", "Each sensor is bolted to the concrete pier and wired to the logger box."),
    (
        "2.1. Calibration",
        "A new sensor is calibrated against the staff gauge before its first reading is sent.",
    ),
    ("3. Radio link", "The station sends its readings to the valley office over a licensed VHF channel."),
]


@pytest.fixture(scope="module")
def printed_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A page printed to PDF by Chromium (Skia's PDF writer) with its default running head (date and
    page title) and running foot (the page's address and "n/N"), as a user saving a web page makes it."""
    tmp = tmp_path_factory.mktemp("printed")
    contents = "".join(f"<p>{title}</p>" for title, _ in SECTIONS)  # a contents list without leaders
    filler = " ".join(["The logger keeps a copy of every reading for ninety days."] * 40)
    body = "".join(f"<h2>{title}</h2><p>{text} {filler}</p><p>{filler}</p>" for title, text in SECTIONS)
    page = tmp / "station.html"
    page.write_text(
        f"<html><head><meta charset='utf-8'><title>Relay station guide</title></head><body>"
        f"<h1>Relay station guide</h1><h2>Contents</h2>{contents}{body}</body></html>",
        encoding="utf-8",
    )
    out = tmp / "station.pdf"
    subprocess.run(
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp / 'profile'}",  # its own profile, not the user's or another test's
            f"--print-to-pdf={out}",
            str(page),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def test_a_page_printed_by_chromium_loses_its_print_header_and_footer_and_keeps_its_sections(
    printed_pdf: bytes,
) -> None:
    extracted = extract(printed_pdf, "station.pdf", ocr=False)
    assert len(extracted.structure.pages) >= 3
    assert "file://" not in extracted.text and "Relay station guide" in extracted.text
    assert not re.search(r"\d+/\d+/\d+, \d+:\d+", extracted.text)  # the print date and time
    labels = [h.label for h in extracted.structure.headings]
    assert labels == [
        "1. Overview",
        "1. Overview › 1.1. Scope",
        "2. Installing the sensors",
        "2. Installing the sensors › 2.1. Calibration",
        "3. Radio link",
    ]
    at = extracted.structure.heading_at
    assert at(extracted.text.index("licensed VHF channel")) == "3. Radio link"


def test_a_single_page_printed_by_a_browser_loses_its_print_head_and_foot() -> None:
    page = "\n".join(
        [
            "Relay station guide",
            "The station reports the river level every hour.",
            "11/25/26, 3:28 AM Relay station guide",
            "file:///home/ana/station.html 1/1",
        ]
    )
    assert strip_furniture([page]) == ["Relay station guide\nThe station reports the river level every hour."]
    kept = "Notes\nSee the guide at\nhttps://example.org/guide"  # an address without a page count is text
    assert strip_furniture([kept]) == [kept]


def test_the_plain_text_sources_name_the_page_and_section_of_a_pdf_quote(manuals: Pipeline) -> None:
    """The footer the CLI and the OpenAI-compatible replies print: a reader of the PDF finds the quote by
    its page and section, not by character offsets into extracted text."""
    answer = manuals.ask("What does asn1Coding generate?")
    footer = sources_footer(answer)
    cited = next(c for c in answer.citations if "asn1Coding generates" in c.quote)
    line = next(line for line in footer.splitlines() if line.startswith(f"[{cited.n}]"))
    assert (
        f"(libtasn1-manual.pdf, body, page {cited.page}, 3 Utilities › 3.2 Invoking asn1Coding, chars "
        in line
    )
