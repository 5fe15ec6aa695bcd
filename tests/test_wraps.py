"""Soft line wraps and markup-only lines, unit by unit and through the real ingest.

The documents under ``eval/other-docs`` were written by others and are wrapped the way real files are:
the Apache License 2.0 and the GNU GPL 3 (Debian's ``/usr/share/common-licenses``), hard-wrapped plain
text; pip's "HTTPS Certificates" page (``python3-pip``'s ``html/topics/https-certificates.md``, MIT
licence), a MyST Markdown file with a Sphinx label before its heading; two chapters of The Rust
Programming Language as rustup installs them (mdBook HTML, MIT/Apache-2.0), with a menu bar and a
sidebar around the content.
"""

from pathlib import Path

import pytest

from rag_service.config import Settings
from rag_service.documents.chunking import make_splitter, normalise, split_document
from rag_service.documents.markup import guess_title, prose_length
from rag_service.documents.wraps import soft_breaks
from rag_service.embedding.base import BaseEmbedder
from rag_service.ingest import ingest_seeds
from rag_service.models import Document, DocumentMeta, Section
from rag_service.pipeline import Pipeline

FIXTURES = Path(__file__).resolve().parents[1] / "eval" / "other-docs"

WRAPPED = (
    "The new bridge\n"
    "For two centuries the town crossed the Marrow River by ferry. This report traces how the\n"
    "ferries gave way to a bridge, and how the valley paid for it over the following thirty\n"
    "Years of tolls collected by the Kestrel Bridge Company, which the county bought in 1962.\n"
    "The ferrymen had petitioned against the bridge for a decade before it was built, and a\n"
    "few of them found work on the bridge itself as toll keepers once it opened to traffic\n"
    "in the spring of 1935, when the first cars crossed without waiting for the tide to turn.\n"
    "The county then:\n"
    "- lowered the tolls for residents of the valley and for farmers taking produce to the\n"
    "  market in town;\n"
    "- closed the ferry landing.\n"
    "1930 41,000 1,200\n"
    "1931 40,100 1,510\n"
)


def sentences_of(text: str) -> list[str]:
    document = Document("x.txt", text, DocumentMeta("x"), (Section("body", 0, len(text)),), "h")
    return [s.text for s in split_document(document, make_splitter(800, 120))[1]]


def test_a_hard_wrapped_paragraph_reads_as_whole_sentences() -> None:
    got = sentences_of(WRAPPED)
    assert (
        "This report traces how the ferries gave way to a bridge, and how the valley paid for it "
        "over the following thirty Years of tolls collected by the Kestrel Bridge Company, which the "
        "county bought in 1962." in got
    )
    assert got[0] == "The new bridge"  # a heading keeps its own line
    assert "The county then:" in got  # a line introducing a list keeps its break
    assert (
        "- lowered the tolls for residents of the valley and for farmers taking produce to the market "
        "in town;" in got
    )  # a list item wraps, the next item starts anew
    assert "- closed the ferry landing." in got
    assert "1930 41,000 1,200" in got and "1931 40,100 1,510" in got  # rows of numbers stay rows


def test_soft_breaks_keep_length_and_offsets() -> None:
    norm = normalise(WRAPPED)
    assert len(soft_breaks(norm.text)) == len(norm.text)
    start = norm.text.index("ferries gave")
    begin, end = norm.to_original(start, start + len("ferries gave"))
    assert WRAPPED[begin:end] == "ferries gave"


@pytest.mark.parametrize(
    "text",
    [
        "International Cooperation for Space Exploration (1)\nInternational Cooperation (3)\n"
        "Author: Mr. Dmitry Loskutov\nJSC Glavkosmos, Russian Federation\nMs. Anna Migas",
        "You create they can travel, and sponsor.\ncast235\nGET OFF U.S.\nBuild same in Russia.",
        "```python\nimport yaml\ndata = yaml.safe_load(text)\n```",
        "| year | tolls |\n|---|---|\n| 1930 | 1,200 |",
    ],
    ids=["title-lines", "user-names", "code-fence", "table"],
)
def test_lines_that_are_lines_keep_their_breaks(text: str) -> None:
    assert soft_breaks(text) == text


def test_a_line_opening_with_a_markdown_link_in_lower_case_continues_the_sentence() -> None:
    text = "For more information, see\n[this MSDN page][MSDN-Rel-Path]."
    assert soft_breaks(text) == text.replace("\n", " ")
    toml = "opt-level = 0\n[profile.release]\nopt-level = 3"  # a bare bracket is no link
    assert "\n[profile.release]" in soft_breaks(toml)


def test_a_paragraph_on_one_line_is_untouched() -> None:
    long = "A sentence that runs on and on about rockets and satellites and orbits " * 4
    text = f"Heading of the piece\n{long.strip()}\nAnother paragraph starts Here and runs on as well."
    assert soft_breaks(text) == text


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ('<p align="center"><img src="logo.png" alt="Zstandard"></p>\n\n__Zstandard__ is fast.', "Zstandard"),
        ("(ssl-certificates)=\n\n# HTTPS Certificates\n\nBy default …", "HTTPS Certificates"),
        ('---\ntitle: "Release notes"\ndate: 2026-01-01\n---\n# 2.0\n', "Release notes"),
        (
            "[![Build](https://ci/x.svg)](https://ci)\n\n**Tidy** helps [you](https://x.y) tidy.",
            "Tidy helps you tidy.",
        ),
        ("\n\n   \n", None),
        ("<!--\nlicence: MIT\nauthors: many\n-->\n# Path\n", "Path"),
    ],
)
def test_a_file_s_own_title_skips_markup(text: str, title: str | None) -> None:
    assert guess_title(text) == title


def test_markup_only_lines_have_no_prose() -> None:
    assert prose_length("[travisLink]: https://travis-ci.com/facebook/zstd") == 0
    assert prose_length("[![Build Status][travisDevBadge]][travisLink]") < 3
    assert prose_length('<p align="center"><img src="x.png" alt="Zstandard"></p>') == 0
    assert prose_length("See [the docs](http://x.y/z) for details.") == 5
    assert prose_length("1930 41,000 1,200") == 3


@pytest.fixture(scope="module")
def wrapped_pipeline(tmp_path_factory: pytest.TempPathFactory, embedder: BaseEmbedder) -> Pipeline:
    tmp = tmp_path_factory.mktemp("wrapped")
    settings = Settings(seeds_dir=FIXTURES, index_dir=tmp / "index")  # type: ignore[call-arg]
    ingest_seeds(settings, embedder)
    return Pipeline.load(settings, embedder)


def test_wrapped_files_are_titled_by_their_own_heading(wrapped_pipeline: Pipeline) -> None:
    titles = {d.name: d.meta.title for d in wrapped_pipeline.index.content.documents}
    assert titles == {
        "apache-license-2.0.txt": "Apache License",
        "aws-cli-s3-config.rst": "AWS CLI S3 Configuration",
        "cargo-faq.html": "Frequently Asked Questions",
        "gpl-3.0.txt": "GNU GENERAL PUBLIC LICENSE",
        "libtasn1-manual.pdf": "Libtasn1",
        "numpy-ma-readme.rst": "A guide to masked arrays in NumPy",
        "pip-https-certificates.md": "HTTPS Certificates",
        "pyenv-virtualenv-readme.md": "pyenv-virtualenv",
        "rust-book-release-profiles.html": "Customizing Builds with Release Profiles",
        "rust-book-what-is-ownership.html": "What Is Ownership?",
    }


def test_an_answer_from_a_hard_wrapped_licence_quotes_whole_sentences(wrapped_pipeline: Pipeline) -> None:
    answer = wrapped_pipeline.ask("When do my patent licenses terminate if I start patent litigation?")
    assert not answer.not_found, answer.notes
    assert "shall terminate as of the date such litigation is filed" in answer.text
    texts = {d.name: d.text for d in wrapped_pipeline.index.content.documents}
    for citation in answer.citations:  # whole sentences, still verbatim at their offsets
        assert citation.quote[0].isupper() or citation.quote[0] in '("-', citation.quote
        assert texts[citation.source][citation.start : citation.end] == citation.quote


def test_an_answer_from_wrapped_markdown_is_not_a_fragment(wrapped_pipeline: Pipeline) -> None:
    answer = wrapped_pipeline.ask("Why does pip not use the system certificate store by default?")
    assert not answer.not_found, answer.notes
    quoted = [" ".join(c.quote.split()) for c in answer.citations]
    assert (
        "This does not use the system certificate store but, instead, uses a bundled CA certificate "
        "store from {pypi}`certifi`." in quoted
    )


def test_a_pdf_line_that_ran_out_of_room_does_not_end_its_sentence() -> None:
    from rag_service.documents.formats import extract
    from tests.documents import writers

    text = extract(writers.multipage_pdf(), "crossings.pdf").text
    assert "traces how the ferries\ngave way" in text  # the text layer breaks the line here
    assert "This report traces how the ferries gave way to a bridge." in sentences_of(text)


DATA = Path(__file__).resolve().parent / "documents" / "data"


def _file_sentences(name: str) -> list[str]:
    from rag_service.documents.files import SourceFile, load_document

    document = load_document(SourceFile(name, DATA / name, "test"))
    return [s.text for s in split_document(document, make_splitter(800, 120))[1]]


def test_a_line_ending_on_e_g_wraps_on() -> None:
    # systemd's DISTRO_PORTING.md breaks a line after "hardening (e.g." and goes on with a flag.
    texts = _file_sentences("systemd-distro-porting.md")
    assert any("and hardening (e.g. `-D_FORTIFY_SOURCE=2`," in t for t in texts), texts
    assert not any(t.endswith("(e.g.") for t in texts)


def test_a_closing_brace_of_code_in_a_pdf_does_not_open_the_next_sentence() -> None:
    # Chromium's PDF of rustdoc's "Documentation tests": the "}" ending an example, then the prose.
    texts = _file_sentences("rustdoc-documentation-tests.pdf")
    said = "should_panic tells rustdoc that the code should compile correctly but panic during execution."
    assert said in texts
    assert not any(t.startswith("} ") for t in texts), [t for t in texts if t.startswith("}")]
