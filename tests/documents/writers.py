"""Test documents written by real writers (fpdf2 for PDF, python-docx for Word, Pillow for a scan), made
fresh by the tests and never downloaded. The facts in them are invented, so no answer can come from
anything but the file itself."""

from __future__ import annotations

import io
import zipfile

import docx
import pypdfium2 as pdfium
from fpdf import FPDF

PAGE_TWO_FACT = "The Kestrel Bridge over the Marrow River was designed by the engineer Ilse Varnholt in 1931."
PAGE_TWO_QUESTION = "Who designed the Kestrel Bridge?"
TABLE_HEADER = ("Year", "Ferry passengers", "Bridge tolls")
TABLE_ROWS = [(str(1930 + i), f"{41_000 - 900 * i:,}", f"{1_200 + 310 * i:,}") for i in range(40)]
SCANNED_TEXT = (
    "Harbour inspection report. The north pier needs new timber piles before winter. The south pier "
    "was repaired in spring and is sound. The crane on the east quay must be replaced within two years, "
    "and the harbour office asks the council for a grant to pay for it."
)
HTML_FACT = "The Vellmar lighthouse keeps its original Fresnel lens, installed in 1874."


def multipage_pdf(*, encrypt: bool = False) -> bytes:
    """Three pages: an introduction, the bridge page with a 40-row table, and a closing page."""
    pdf = FPDF()
    pdf.set_title("The Marrow River crossings")
    pdf.set_author("Port Authority Historical Office")
    if encrypt:
        pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "The Marrow River crossings\n\nFor two centuries the town crossed the Marrow "
                   "River by ferry. This report traces how the ferries gave way to a bridge.")  # fmt: skip
    pdf.add_page()
    pdf.multi_cell(0, 8, f"The bridge\n\n{PAGE_TWO_FACT} Construction took four years and employed 300 "
                   "workers from the valley.")  # fmt: skip
    pdf.ln(4)
    with pdf.table() as table:
        for row in (TABLE_HEADER, *TABLE_ROWS):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Later years\n\nThe last ferry stopped running in 1962, when traffic on the "
                   "bridge had grown tenfold.")  # fmt: skip
    return bytes(pdf.output())


def scanned_pdf(text: str = SCANNED_TEXT) -> bytes:
    """A PDF whose only page is an image of printed text (no text layer), as a scanner makes it:
    the text is typeset by fpdf2, rasterised at 200 dpi by PDFium, and saved as an image-only PDF."""
    typeset = FPDF()
    typeset.set_font("Helvetica", size=16)
    typeset.add_page()
    typeset.multi_cell(0, 10, text)
    document = pdfium.PdfDocument(bytes(typeset.output()))
    image = document[0].render(scale=200 / 72).to_pil().convert("L")
    document.close()
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=200)
    return out.getvalue()


def article_html() -> bytes:
    """A news-style page: navigation, a cookie banner, a script and a footer around the article."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><title>Lighthouses of the coast | Coastal Weekly</title>
<meta name="author" content="Rhea Tamsin"><script>document.write("TRACKER-SCRIPT-TEXT")</script>
<style>.x {{ color: red }}</style></head>
<body>
<header><a href="/">Coastal Weekly</a> <a href="/subscribe">Subscribe now</a></header>
<nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
<main><article>
<h1>Lighthouses of the coast</h1>
<p>Three lighthouses still guide ships along the northern coast.</p>
<h2>Vellmar</h2>
<p>{HTML_FACT} Its light reaches 22 nautical miles.</p>
<h2>Keepers</h2>
<p>The last resident keeper left Vellmar in 1989.</p>
<table><thead><tr><th>Lighthouse</th><th>Built</th></tr></thead>
<tbody><tr><td>Vellmar</td><td>1874</td></tr><tr><td>Skarn Point</td><td>1902</td></tr></tbody></table>
<script>var hidden = "SCRIPT-IN-ARTICLE";</script>
</article></main>
<aside>Most read: ten recipes for summer</aside>
<footer>Copyright Coastal Weekly. All rights reserved.</footer>
</body></html>""".encode()


def report_docx() -> bytes:
    """A Word report with a title, two heading levels, a bulleted list and a table."""
    document = docx.Document()
    document.core_properties.title = "Orchard survey 2025"
    document.core_properties.author = "Tomas Brell"
    document.add_heading("Orchard survey 2025", level=0)
    document.add_heading("Findings", level=1)
    document.add_paragraph("The survey counted 1,240 apple trees in the Lindqvist orchard.")
    document.add_heading("Pests", level=2)
    document.add_paragraph("Codling moth damaged a tenth of the harvest.", style="List Bullet")
    document.add_paragraph("Aphids were found on young trees only.", style="List Bullet")
    document.add_heading("Yields", level=1)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Variety"
    table.rows[0].cells[1].text = "Tonnes"
    for variety, tonnes in [("Cox", "12"), ("Bramley", "30"), ("Discovery", "7")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = variety, tonnes
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(inflated_mb: int = 64) -> bytes:
    """A zip named like a Word document whose document.xml inflates a thousandfold (written in pieces,
    so the test never holds the inflated size in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(inflated_mb):
                member.write(block)
    return out.getvalue()


def zip_archive(members: dict[str, bytes]) -> bytes:
    """A zip archive of ``members`` (path → bytes), in that order: OpenDocument and EPUB files put their
    ``mimetype`` first."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def one_page_pdf(title: str, text: str) -> bytes:
    """A one-page PDF with a title and one paragraph (the isolation tests' look-alike documents)."""
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, f"{title}\n\n{text}")
    return bytes(pdf.output())
