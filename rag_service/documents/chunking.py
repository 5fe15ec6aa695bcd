"""Chunking and sentence segmentation that never lose track of the original characters.

Seeds are messy (indentation, hard line breaks, runs of blank lines). Splitters and the embedding model
work best on tidy text, but a citation must point at the file as stored. So each section is first
*normalised* (runs of spaces become one space, a run containing one newline becomes ``\\n``, or a space
where a hard-wrapped line merely ran out of room, and a run with two or more becomes a paragraph break
``\\n\\n``) while an offset map records, for every normalised
character, where it came from. LangChain's ``RecursiveCharacterTextSplitter`` then splits the tidy text
(paragraphs first, then lines, sentences, clauses, words), and every piece is mapped back so that
``chunk.text == document.text[chunk.start:chunk.end]`` exactly.

Sentences are cut from the same normalised text with a small rule set (sentence punctuation followed
by a capital, line breaks that are not soft wraps, ``; -`` list items) and kept when they carry at
least a few words outside markup; the
extractive answerer quotes them, so they too are stored as original offsets.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag_service.documents.glued import heading_end
from rag_service.documents.markup import prose_length, unrendered_spans
from rag_service.documents.wraps import soft_breaks
from rag_service.models import Chunk, Document, Sentence

SPLITTER_VERSION = "recursive-chars-v10"
"""v3: documents carry a structure map (pages, headings, tables) and table chunks their header row.
v4: a full stop after an initial or a common abbreviation does not end a sentence.
v5: a line break where a hard-wrapped line ran out of room is a space (``documents.wraps``), and a
sentence needs its few words outside markup (``documents.markup``).
v6: reStructuredText markup (directives, comments, field and role names, underlines) is markup, and an
underline or a directive starts a line of its own.
v7: a PDF's running heads, running feet and page numbers are dropped (``formats.furniture``), its
numbered sections are headings and a sentence cut by a page break is one; a table-of-contents line (dot
leaders to a page number) is markup; in HTML, the text and inline elements between two blocks are one
paragraph (``<br>`` a line break), permalink anchors are dropped and a page that declares no charset is
read as UTF-8.
v8: the pagers of multi-page HTML manuals are dropped (GNU Texinfo's "Next: …, Up: …"), and a sentence
inside a Markdown file's front matter or an HTML comment is not kept (``markup.unrendered_spans``).
v9: a heading glued to the sentence after it is not part of the sentence (``documents.glued``), and a
"~~~~" underline that no fence closes no longer keeps every later line break (``documents.wraps``).
v10: an abbreviation just inside a bracket or quote ("encoding (e.g. UTF-8)") does not end a sentence, nor
does a line ending on one ("hardening (e.g." / "`-D_FORTIFY_SOURCE=2`"); a line of closing brackets only
("}", code in a PDF's text layer) is not continued by the prose after it (``documents.wraps``); in HTML,
a definition list's term opens its definition's first paragraph (``formats.definitions``)."""
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]
_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"""(?<=[.!?])["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])|\n+|(?<=[;:])\s+(?=- )""")
MIN_SENTENCE_WORDS = 3
_ABBREVIATION = re.compile(
    r"(?:^|[\s(\[\"'“‘])(?:Mr|Ms|Mrs|Dr|Prof|St|Jr|Sr|Gen|Col|Lt|Capt|Sgt|Gov|Sen|Rev|Mt|Inc|Ltd|Co|Corp|Fig|Vol|"
    r"vs|etc|e\.g|i\.e|cf|ca|approx|No|(?:[A-Z]\.)*[A-Z])\.$"
)
"""Titles, company forms and other abbreviations, and initials ("Robert P. McCulloch", "U.S. Army"), after
which a full stop does not end the sentence; also just inside a bracket or quote ("(e.g. UTF-8)")."""


@dataclass(frozen=True)
class NormalisedText:
    text: str
    origin: array
    # An array of machine integers, not a list of Python ints: 8 bytes a character instead of ~36,
    # which is what keeps a 20 MB document's map at a size proportional to the text.
    """``origin[i]`` is the offset in the original document of normalised character ``i``."""

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[start, end)`` (``end > start``)."""
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str, offset: int = 0) -> NormalisedText:
    """Tidy whitespace of ``text`` (which starts at ``offset`` in its document), keeping an offset map."""
    out: list[str] = []
    origin = array("q")
    pos = 0
    for match in _WHITESPACE.finditer(text):
        out.append(text[pos : match.start()])
        origin.extend(range(offset + pos, offset + match.start()))
        run = match.group()
        newlines = run.count("\n")
        replacement = "\n\n" if newlines >= 2 else "\n" if newlines == 1 else " "
        out.append(replacement)
        origin.extend([offset + match.start()] * len(replacement))
        pos = match.end()
    out.append(text[pos:])
    origin.extend(range(offset + pos, offset + len(text)))
    # Strip leading/trailing whitespace of the section: it never belongs to a chunk.
    joined = soft_breaks("".join(out))  # a line break where a line ran out of room is a space
    lead = len(joined) - len(joined.lstrip())
    trail = len(joined.rstrip())
    return NormalisedText(joined[lead:trail], origin[lead:trail])


def embedding_text(original_span: str) -> str:
    """What the model sees for a chunk or sentence: its text with every whitespace run as one space."""
    return _WHITESPACE.sub(" ", original_span).strip()


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )


def split_document(
    document: Document, splitter: RecursiveCharacterTextSplitter
) -> tuple[list[Chunk], list[Sentence]]:
    """Chunks and sentences of one document, section by section (no chunk crosses a section boundary).

    Chunks come back without ``sentence_ids``: the index assigns sentence rows when it stores them,
    and ``link_sentences`` fills them in.
    """
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    seen_ids: dict[str, int] = {}
    title = document.meta.title
    hidden = unrendered_spans(document.text) if document.structure.kind == "markdown" else []
    for section in document.sections:
        norm = normalise(document.text[section.start : section.end], section.start)
        if not norm.text:
            continue
        for n_start, n_end in _piece_spans(norm.text, splitter.split_text(norm.text)):
            start, end = norm.to_original(n_start, n_end)
            text = document.text[start:end]
            chunk_id = _chunk_id(document.name, section.name, text, seen_ids)
            header = _table_header(document, start)
            fields = (chunk_id, document.name, section.name, section.voice, title, start, end, text)
            chunks.append(Chunk(*fields, header=header))
        for n_start, n_end in _sentence_spans(norm.text):
            n_start += heading_end(norm.text[n_start:n_end])  # "Heading Sentence starts …"
            start, end = norm.to_original(n_start, n_end)
            text = embedding_text(document.text[start:end])
            # a logo, badge or link list says nothing; front matter and comments are never rendered
            if prose_length(text) >= MIN_SENTENCE_WORDS and not _within(hidden, start, end):
                sentences.append(
                    Sentence(document.name, section.name, section.voice, title, start, end, text)
                )
    return chunks, sentences


def _within(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``start``–``end`` lies inside one of the ordered, disjoint ``spans``."""
    i = bisect.bisect_right(spans, (start, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= start and end <= spans[i][1]


def _table_header(document: Document, start: int) -> str:
    """The header row of the table a chunk starting at ``start`` continues, if the chunk does not hold it.

    Tables are blocks of one line per row, and the splitter cuts at line breaks before anything finer,
    so a table longer than a chunk is divided between rows; the chunks after the first would be rows of
    bare numbers without this."""
    table = document.structure.table_at(start)
    if table is None or not table.label or start <= table.start:
        return ""
    return table.label


def link_sentences(chunks: list[Chunk], sentences: list[Sentence], first_row: int) -> list[Chunk]:
    """Give each chunk the rows (``first_row`` + position) of the sentences it overlaps.

    Sentences of one document never overlap and come in text order, so their starts and ends are both
    sorted: the overlapping ones are one contiguous run found by two binary searches. That keeps ingest
    linear in document size (comparing every chunk with every sentence took minutes on a 20 MB file)."""
    by_source: dict[str, tuple[list[int], list[int], list[int]]] = {}
    for row, s in enumerate(sentences):
        starts, ends, rows = by_source.setdefault(s.source, ([], [], []))
        starts.append(s.start)
        ends.append(s.end)
        rows.append(first_row + row)
    linked = []
    for chunk in chunks:
        starts, ends, rows = by_source.get(chunk.source, ([], [], []))
        lo = bisect.bisect_right(ends, chunk.start)  # first sentence ending after the chunk starts
        hi = bisect.bisect_left(starts, chunk.end)  # first sentence starting at or after its end
        linked.append(replace(chunk, sentence_ids=tuple(rows[lo:hi])))
    return linked


def _piece_spans(text: str, pieces: list[str]) -> Iterator[tuple[int, int]]:
    """Locate the splitter's pieces in order. Overlap means a piece may start before the last one ended,
    but never before the last one started, so each search resumes just after the previous start."""
    cursor = 0
    for piece in pieces:
        found = text.find(piece, cursor)
        if found < 0:  # should not happen: pieces are substrings of the text
            raise AssertionError(f"splitter returned text not found in its input: {piece[:60]!r}")
        yield found, found + len(piece)
        cursor = found + 1


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if "\n" not in match.group() and _ABBREVIATION.search(text[start : match.start()]):
            continue  # "Mr. Dmitry Loskutov" is one sentence
        yield from _trimmed(text, start, match.start())
        start = match.end()
    yield from _trimmed(text, start, len(text))


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def _chunk_id(source: str, section: str, text: str, seen: dict[str, int]) -> str:
    """Content hash: the same text of the same document keeps its id across runs and edits elsewhere."""
    base = hashlib.sha256(f"{source}\0{section}\0{embedding_text(text)}".encode()).hexdigest()[:16]
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count + 1}"


def plain_sentences(text: str) -> list[tuple[int, int, str]]:
    """The sentences of a plain text cut as ``split_document`` cuts a document's (``(start, end, text)``,
    offsets into ``text``): the reader is trained on sentences cut exactly as it will later read them."""
    norm = normalise(text)
    found = []
    for n_start, n_end in _sentence_spans(norm.text):
        start, end = norm.to_original(n_start, n_end)
        sentence = embedding_text(text[start:end])
        if prose_length(sentence) >= MIN_SENTENCE_WORDS:
            found.append((start, end, sentence))
    return found
