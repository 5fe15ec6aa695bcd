"""HTML: the main content of a page as headings, paragraphs, lists and tables, without its chrome.

lxml's HTML parser (libxml2) reads real-world markup quickly and forgivingly and never runs scripts.
What is removed before reading: scripts, styles, forms, embedded frames and images, and the page's
chrome (``nav``, ``aside``, page-level ``header``/``footer``, ARIA navigation/banner/contentinfo roles,
and elements whose class or id says menu, sidebar, cookie banner, breadcrumb, share bar or advert).
What is read: ``<main>`` if the page has one, else its largest ``<article>``, else ``<body>``, walked in
order: ``h1``-``h6`` become headings (so citations carry the heading path), ``p``/``li``/``pre``/... become
paragraphs, text and inline elements between two blocks become one paragraph, a definition list's term
opens its definition's first paragraph (``formats.definitions``), and tables become one line per row with
their header row recorded.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from rag_service.documents.formats.builder import TextBuilder, tidy
from rag_service.documents.formats.definitions import Blocks, Defined, term_of
from rag_service.errors import DocumentError

_DROP_TAGS = (
    "script", "style", "noscript", "template", "form", "iframe", "object", "embed", "svg", "canvas",
    "button", "select", "input", "textarea", "nav", "aside", "dialog", "img", "video", "audio",
)  # fmt: skip
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
_CHROME_NAME = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|sidebar|footer|cookies?|consent|banner|"
    r"advert|ads|share|social|related|newsletter|skip-link)(?:$|[\s_-])",
    re.I,
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_PERMALINK_TEXT = re.compile(r"[¶#§🔗]?")
_XML_DECLARATION = re.compile(r"\ufeff?\s*<\?xml[^>]*encoding", re.I)
_PAGER_REL = {"next", "prev", "previous", "up"}
PAGER_CHARS = 200
"""A pager is short: "Next: Simple Example, Up: Using libffi [Index]" is 47 characters."""
_BREAK = "\x00"
"""A ``<br>`` in a run of inline text, while the source's own line breaks are only spaces."""
_BLOCKS = {"p", "li", "pre", "blockquote", "dt", "dd", "figcaption", "caption", "address", "summary",
           "div", "section", "article", "header", "footer", "figure", "details", "hr", "center", "ul",
           "ol", "dl", "main"}  # fmt: skip


def extract_html(raw: bytes, name: str) -> tuple[TextBuilder, dict[str, str]]:
    main, meta = read_page(raw, name)
    builder = TextBuilder("html")
    write_page(main, builder)
    if heading := _content_title(main, builder):
        meta["title"] = heading
    if not builder.text.strip():
        raise DocumentError(f"{name}: the page has no readable text once navigation and scripts are removed")
    return builder, meta


def read_page(raw: bytes, name: str) -> tuple[lxml_html.HtmlElement, dict[str, str]]:
    """The page's main content with its chrome, scripts and permalinks removed, and the metadata its
    head declares (``<title>``, author). An EPUB's chapters are pages read this way, one after another
    into one text (``formats.epub``)."""
    try:
        root = _parse(raw)
    except (etree.ParserError, ValueError) as exc:
        raise DocumentError(f"{name}: not readable HTML ({exc})") from exc
    meta = _meta(root)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS, with_tail=False)
    _drop_chrome(root)
    _drop_pagers(root)
    _drop_permalinks(root)
    return _main(root), meta


def write_page(main: lxml_html.HtmlElement, builder: TextBuilder) -> None:
    """The headings, paragraphs, lists and tables of ``main`` (from ``read_page``), in order."""
    _walk(main, builder)


def _parse(raw: bytes) -> lxml_html.HtmlElement:
    """The page's tree. Bytes that are valid UTF-8 are read as UTF-8: a page that declares no charset is
    otherwise read as Latin-1 by libxml2 ("café" became "cafÃ©"), and UTF-8 is what pages without a
    declaration are written in today. Other bytes go to libxml2, which honours a declared charset. An
    XML declaration with an encoding must be parsed from bytes (lxml refuses it in a string)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return lxml_html.document_fromstring(raw)
    if _XML_DECLARATION.match(text):
        return lxml_html.document_fromstring(raw)
    return lxml_html.document_fromstring(text.removeprefix("\ufeff"))


def _meta(root: lxml_html.HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    title = root.findtext(".//title")
    if title and title.strip():  # unless the content has its own <h1> (``extract_html``)
        meta["title"] = tidy(title)
    for element in root.iter("meta"):
        key = (element.get("name") or element.get("property") or "").lower()
        if key in ("author", "article:author") and element.get("content"):
            meta.setdefault("author", tidy(element.get("content", "")))
    return meta


def _content_title(main: lxml_html.HtmlElement, builder: TextBuilder) -> str | None:
    """The content's own title: its ``<h1>``, or the heading it opens with (documentation generators
    such as mdBook open a page with an ``<h2>``). A site's name in its header bar, an ``<h1>`` too on many
    documentation sites, is chrome and already gone: taken from there, every page had the same title. A
    page with several ``<h1>`` uses them for its parts ("Abstract", "Contents"), and none of them names
    the page: its ``<title>`` does."""
    headings = main.findall(".//h1")
    if len(headings) > 1:
        return None
    if headings and headings[0].text_content().strip():
        return tidy(headings[0].text_content())
    first = builder.structure().headings[:1]
    if first and first[0].start == 0:
        return first[0].label
    return None


def _drop_chrome(root: lxml_html.HtmlElement) -> None:
    doomed = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        role = (element.get("role") or "").lower()
        names = f"{element.get('class', '')} {element.get('id', '')}"
        page_level = element.tag in ("header", "footer") and not _inside(element, ("article", "main"))
        hidden = element.get("hidden") is not None or element.get("aria-hidden") == "true"
        chrome = role in _CHROME_ROLES or page_level or (element.tag != "body" and _CHROME_NAME.search(names))
        if hidden or chrome:
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


def _drop_pagers(root: lxml_html.HtmlElement) -> None:
    """Remove the pagers of multi-page manuals: the short block around links marked ``rel="next"``,
    ``"prev"`` or ``"up"``. GNU Texinfo puts "Next: Simple Example, Up: Using libffi [Index]" at the top
    and foot of every page of every GNU manual, in a ``<div class="header">`` that names no navigation;
    read as text it was each page's first line, and its title when the page's own heading came second.
    The block dropped is the largest ancestor of the link still under ``PAGER_CHARS`` of text, most of
    it link text: a sentence of running text that happens to hold such a link stays. The same pager again
    without its ``rel`` marks (Texinfo's copy at the foot of the page) goes too."""
    doomed = []
    for link in root.iter("a"):
        if not _PAGER_REL & set((link.get("rel") or "").lower().split()):
            continue
        block = None
        for ancestor in link.iterancestors():
            if ancestor.tag in ("body", "main", "article", "html") or not _is_pager(ancestor):
                break
            block = ancestor
        if block is not None:
            doomed.append(block)
    texts = {" ".join(block.text_content().split()) for block in doomed}
    doomed += [
        element
        for element in root.iter("div", "p", "nav", "table")
        if texts and " ".join(element.text_content().split()) in texts and _is_pager(element)
    ]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


def _is_pager(element: lxml_html.HtmlElement) -> bool:
    """Short, mostly link text, and no heading: a chapter page that is only its title and a list of
    its sections is not a pager."""
    if any(True for _ in element.iter(*_HEADINGS)):
        return False
    text = " ".join(element.text_content().split())
    linked = sum(len(" ".join(a.text_content().split())) for a in element.iter("a"))
    return len(text) <= PAGER_CHARS and linked * 2 >= len(text.replace(" ", "")) - text.count(" ")


def _drop_permalinks(root: lxml_html.HtmlElement) -> None:
    """Remove the permalink anchors documentation generators put in headings (Sphinx and MkDocs
    ``<a class="headerlink" href="#…">¶</a>``, Docusaurus ``#``): a link to the page itself whose text is
    one symbol or nothing. Left in, every heading and title ended in "¶"."""
    doomed = [
        a
        for a in root.iter("a")
        if (a.get("href") or "").startswith("#") and _PERMALINK_TEXT.fullmatch(a.text_content().strip())
    ]
    for anchor in doomed:
        anchor.drop_tree()  # keeps the tail: text after the anchor stays


def _inside(element: lxml_html.HtmlElement, tags: tuple[str, ...]) -> bool:
    return any(parent.tag in tags for parent in element.iterancestors())


def _main(root: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    main = root.find(".//main")
    if main is not None:
        return main
    articles = root.findall(".//article")
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    body = root.find(".//body")
    return body if body is not None else root


def _walk(element: lxml_html.HtmlElement, builder: Blocks) -> None:
    """Blocks in document order: an element holding no block of its own is one paragraph (inline
    markup such as links and emphasis stays inside its sentence). In a container that also holds blocks,
    the text and inline elements between two blocks are one paragraph too: an old page that writes its
    prose straight into ``<body>`` ("how the <tt>deflate()</tt> and <tt>inflate()</tt> functions …")
    keeps each sentence whole, with ``<br>`` as a line break."""
    run: list[str] = [element.text or ""]
    term: str | None = None  # a definition list's term, waiting for its definition (``definitions``)

    def flush() -> None:
        text = _lines("".join(run))
        if text.strip():
            builder.paragraph(text)
        run.clear()

    for child in element:
        if not isinstance(child.tag, str):
            run.append(child.tail or "")
            continue
        tag = child.tag.lower()
        if tag == "br":
            run.append(_BREAK)
        elif tag in _HEADINGS or tag == "table" or tag in _BLOCKS or _has_blocks(child):
            flush()
            if tag == "dt" and not _has_blocks(child) and (found := term_of(child)):
                term = found
            else:
                target = Defined(builder, term) if tag == "dd" and term else builder
                term = None
                _block(tag, child, target)
                if isinstance(target, Defined):
                    target.release()
        else:
            run.append(_inline(child))
        run.append(child.tail or "")
    flush()


def _block(tag: str, child: lxml_html.HtmlElement, builder: Blocks) -> None:
    if tag in _HEADINGS:
        builder.heading(_HEADINGS[tag], child.text_content())
    elif tag == "table":
        _table(child, builder)
    elif _has_blocks(child):
        _walk(child, builder)
    else:
        text = child.text_content() if tag == "pre" else _lines(_inline(child))
        builder.paragraph(f"- {text}" if tag == "li" and text.strip() else text)


def _inline(element: lxml_html.HtmlElement) -> str:
    """The text of an element holding no block, with ``_BREAK`` for each ``<br>``."""
    pieces = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            pieces.append(_BREAK if child.tag.lower() == "br" else _inline(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


def _lines(text: str) -> str:
    """HTML text as lines: whitespace (the source's line breaks included) collapsed, ``<br>``s kept."""
    return "\n".join(" ".join(line.split()) for line in text.split(_BREAK))


def _has_blocks(element: lxml_html.HtmlElement) -> bool:
    return any(
        isinstance(e.tag, str) and (e.tag in _BLOCKS or e.tag in _HEADINGS or e.tag == "table")
        for e in element.iterdescendants()
    )


def _table(table: lxml_html.HtmlElement, builder: Blocks) -> None:
    rows = [row for row in table.iter("tr") if _owner_table(row) is table]
    cells = [[" ".join(c.text_content().split()) for c in row if c.tag in ("td", "th")] for row in rows]
    header = 1 if rows and (rows[0].find("th") is not None or _inside(rows[0], ("thead",))) else 0
    builder.table(cells, header_rows=header)


def _owner_table(row: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    return next((a for a in row.iterancestors() if a.tag == "table"), None)
