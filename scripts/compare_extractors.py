# ruff: noqa: E501  (Markdown table rows are printed whole)
"""Measure candidate PDF and HTML text extractors on real files; prints the Markdown table in README.

Not part of the service: the candidates that lost are not dependencies. To re-run:

    pip install --target /tmp/cmp pypdf pdfminer.six trafilatura selectolax
    PYTHONPATH=.:/tmp/cmp .venv/bin/python scripts/compare_extractors.py

Files: the two PDFs Debian ships on this machine (``libtasn1.pdf``, a LaTeX manual;
``shared-mime-info-spec.pdf``, a DocBook spec), the test suite's fpdf2 report (``writers.multipage_pdf``:
known facts and a 40-row table), rustdoc HTML pages from the Rust toolchain's documentation, and the test
suite's news-style article (``writers.article_html``: known facts and known chrome).
"""

from __future__ import annotations

import io
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from tests.documents import writers

REAL_PDFS = [Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"), Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")]  # fmt: skip
RUSTDOC = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/rustdoc"
CHROME = ("Subscribe", "Sport", "cookies", "TRACKER", "SCRIPT-IN-ARTICLE", "Most read", "Copyright")
_GLUED = re.compile(r"[A-Za-z]{22,}")


def pdfium_pages(raw: bytes) -> list[str]:
    from rag_service.documents.formats.pdf import extract_pdf

    builder, _ = extract_pdf(raw, "x.pdf", ocr=False)
    text, pages = builder.text, builder.structure().pages
    return [text[p.start : p.end] for p in pages]


def pypdf_pages(raw: bytes) -> list[str]:
    import pypdf

    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(raw)).pages]


def pdfminer_pages(raw: bytes) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(raw)).split("\f")


def lxml_main(raw: bytes) -> str:
    from rag_service.documents.formats.html import extract_html

    return extract_html(raw, "x.html")[0].text


def trafilatura_main(raw: bytes) -> str:
    import trafilatura

    return trafilatura.extract(raw.decode("utf-8"), include_tables=True) or ""


def selectolax_body(raw: bytes) -> str:
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(raw)
    for node in tree.css("script, style, nav, header, footer, aside"):
        node.decompose()
    return tree.body.text(separator="\n") if tree.body else ""


def _timed(fn: Callable[[bytes], object], raw: bytes, runs: int = 3) -> tuple[object, float]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn(raw)
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def compare_pdf() -> None:
    print(
        "| PDF extractor | pages/s (2 real PDFs) | glued words per 1,000 | fpdf2 report: facts, table rows as lines |"
    )
    print("|---|---|---|---|")
    report = writers.multipage_pdf()
    rows = [f"{y} {p} {t}" for y, p, t in writers.TABLE_ROWS]
    for name, fn in (
        ("pypdfium2 (PDFium)", pdfium_pages),
        ("pypdf", pypdf_pages),
        ("pdfminer.six", pdfminer_pages),
    ):
        pages = seconds = 0.0
        words = glued = 0
        for path in REAL_PDFS:
            result, took = _timed(fn, path.read_bytes(), runs=1)
            text = "\n".join(result)  # type: ignore[arg-type]
            pages += len(result)  # type: ignore[arg-type]
            seconds += took
            words += len(text.split())
            glued += len(_GLUED.findall(text))
        text = "\n".join(fn(report))
        lines = {" ".join(line.split()) for line in text.splitlines()}
        facts = sum(f in " ".join(text.split()) for f in (writers.PAGE_TWO_FACT, "The last ferry stopped"))
        intact = sum(row in lines for row in rows)
        print(
            f"| {name} | {pages / seconds:.0f} | {1000 * glued / max(words, 1):.2f} | {facts}/2, {intact}/{len(rows)} |"
        )


def compare_html() -> None:
    pages = sorted(RUSTDOC.rglob("*.html"))[:20]
    print()
    print(
        "| HTML extractor | ms per page (20 rustdoc pages) | article: facts kept, chrome leaked, table kept |"
    )
    print("|---|---|---|")
    article = writers.article_html()
    for name, fn in (
        ("lxml (ours)", lxml_main),
        ("trafilatura", trafilatura_main),
        ("selectolax", selectolax_body),
    ):
        took = sum(_timed(fn, p.read_bytes())[1] for p in pages)
        text = fn(article)
        facts = sum(f in text for f in (writers.HTML_FACT, "last resident keeper"))
        leaked = sum(c in text for c in CHROME)
        table = "Skarn Point" in text
        print(f"| {name} | {1000 * took / len(pages):.1f} | {facts}/2, {leaked}/{len(CHROME)}, {table} |")


if __name__ == "__main__":
    compare_pdf()
    compare_html()
