"""Value objects shared across roles. Frozen: once built, a document, chunk or citation never changes.

A chunk and a sentence record their document's title and their section's voice when they are made, so
that the answerer, citations, grounding and the API never go back to the document to look them up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One turn of a conversation: ``role`` is ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True)
class Section:
    name: str
    start: int
    end: int
    voice: str = "author"


@dataclass(frozen=True)
class DocumentMeta:
    title: str
    author: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
        }


@dataclass(frozen=True)
class Region:
    """A labelled span ``[start, end)`` of a document's text: a page (label "3"), the part under a
    heading (label "Results › Costs", the heading path) or a table (label: its header row)."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Structure:
    """Where a document's pages, headings and tables lie in its extracted text (empty for plain text)."""

    kind: str = "text"
    """The format the text was extracted from: text, markdown, rst, pdf, html or docx."""
    pages: tuple[Region, ...] = ()
    headings: tuple[Region, ...] = ()
    tables: tuple[Region, ...] = ()
    notes: tuple[str, ...] = ()
    """What extraction could not do (pages without a text layer left out, say), shown with the document."""

    def page_at(self, offset: int) -> int | None:
        region = _region_at(self.pages, offset)
        return int(region.label) if region else None

    def heading_at(self, offset: int) -> str | None:
        region = _region_at(self.headings, offset)
        return region.label if region else None

    def table_at(self, offset: int) -> Region | None:
        return _region_at(self.tables, offset)

    def opens_heading(self, offset: int) -> bool:
        """Whether a heading starts at ``offset`` (the text there is the heading itself)."""
        region = _region_at(self.headings, offset)
        return region is not None and region.start == offset


def _region_at(regions: tuple[Region, ...], offset: int) -> Region | None:
    """The innermost (last starting) region holding ``offset``; regions come in order of their start."""
    found = None
    for region in regions:
        if region.start > offset:
            break
        if offset < region.end:
            found = region
    return found


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    meta: DocumentMeta
    sections: tuple[Section, ...]
    sha256: str
    """Hash of the file's bytes and of its sidecar: a change to either re-processes the document."""
    structure: Structure = Structure()

    @property
    def characters(self) -> int:
        """Length of ``text`` (a document read on demand knows it without reading its text)."""
        return len(self.text)

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]


@dataclass(frozen=True)
class Chunk:
    """A passage of one document. ``text`` is exactly ``document.text[start:end]``."""

    id: str
    source: str
    section: str
    voice: str
    """Whose words: ``author`` for the document's own, anything else (``reader``) for comments."""
    title: str
    """The document's title (shown with citations and passages)."""
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...] = ()
    """Rows of the index's sentence table that overlap this chunk (precomputed for the answerer)."""
    header: str = ""
    """The header row of the table this chunk continues, when the chunk does not hold it itself: shown
    with the passage so that a row of numbers keeps the names of its columns."""


@dataclass(frozen=True)
class Sentence:
    """A sentence span of one document, with the normalised text that was embedded."""

    source: str
    section: str
    voice: str
    title: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float
    """Reciprocal-rank-fusion score (higher is better)."""
    dense_score: float | None
    """Cosine similarity to the query, when the dense retriever found this chunk."""
    lexical_score: float | None
    """BM25 score, when the lexical retriever found this chunk."""
    rank: int


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    section: str
    start: int
    end: int
    quote: str
    """Verbatim ``document.text[start:end]``."""
    score: float
    voice: str = "author"
    """``author`` for the document's own words, ``reader`` for reader comments and the like."""
    page: int | None = None
    """The PDF page (from 1) the quote starts on."""
    heading: str | None = None
    """The heading path the quote lies under (HTML, Markdown, reStructuredText, Word)."""
    answer_span: tuple[int, int] | None = None
    """Document offsets, inside the quote, of the words that answer a who/when/how-many/where question
    (``answer.answer_span``); first citation of an extractive answer only."""


@dataclass(frozen=True)
class SentenceCheck:
    """The grounding verdict on one sentence of an answer."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    score: float


@dataclass(frozen=True)
class Grounding:
    sentences: tuple[SentenceCheck, ...]
    supported_share: float | None
    """Share of sentences supported by their passages; ``None`` when the answer makes no claim."""
    mode: str = "report"
    replaced: bool = False
    """True when strict mode replaced an answer with unsupported sentences by the extractive one."""


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    not_found: bool
    retrieved: tuple[ScoredChunk, ...]
    standalone_question: str
    """The question actually used for retrieval (a follow-up rewritten to stand alone)."""
    timings_ms: dict[str, float]
    backend: str = "extractive"
    notes: tuple[str, ...] = ()
    """Plain-language remarks for the user (e.g. that reader comments were left out)."""
    grounding: Grounding | None = None
    index_version: str = ""
    """The index version that answered: every retrieved passage comes from this one version."""
    answerability: float | None = None
    """The learned probability that the retrieved passages answer the question (None: nothing found)."""
