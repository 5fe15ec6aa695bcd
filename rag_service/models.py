"""Value objects shared across roles. Frozen: once built, a chunk or a citation never changes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One turn of a conversation: ``role`` is ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True)
class Chunk:
    """A passage of one document. ``text`` is exactly ``document.text[start:end]``."""

    id: str
    source: str
    section: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...] = ()
    """Rows of the index's sentence table that overlap this chunk (precomputed for the answerer)."""


@dataclass(frozen=True)
class Sentence:
    """A sentence span of one document, with the normalised text that was embedded."""

    source: str
    section: str
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
