"""Request and response models of the public API (they are the OpenAPI schema at /docs).

Limits that depend on settings (question length, history size) are checked in ``validate_limits`` so the
error names the configured number; structural rules (types, roles, non-empty question) live here.

Every string a client sends is ``Text``: JSON can carry lone surrogates (``"\\udc00"``) that are not
Unicode, and a string echoed back (the OpenAI ``model`` field, say) would then fail while the response is
being encoded, a 500 or a stream cut short. They are refused with a 422 up front. Numbers and flags are
strict: ``top_k: true`` or ``stream: "yes"`` is a client mistake, not a value to coerce.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from rag_service.config import Settings
from rag_service.errors import InvalidRequestError
from rag_service.questions import conversation_text, require_question, require_unicode


def _unicode(value: str) -> str:
    try:
        return require_unicode(value, "text")
    except InvalidRequestError as exc:
        raise ValueError(str(exc)) from None


def _said(value: str) -> str:
    try:
        return conversation_text(value, "text")
    except InvalidRequestError as exc:
        raise ValueError(str(exc)) from None


def _question(value: str) -> str:
    try:
        return require_question(value)
    except InvalidRequestError as exc:  # pydantic reports it as a 422 with the field's location
        raise ValueError(str(exc)) from None


Text = Annotated[str, AfterValidator(_unicode)]
"""A client string that is real Unicode text, without NUL (a name, a label)."""
Said = Annotated[str, AfterValidator(_said)]
"""What a conversation says (a turn of its history): real Unicode text, NULs dropped."""


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Said


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The pattern documents "not blank" in the schema; the validator below gives the clear message.
    question: Annotated[str, AfterValidator(_question)] = Field(
        description="The question; follow-ups may rely on `history`.", json_schema_extra={"pattern": r"\S"}
    )
    history: list[HistoryMessage] = Field(default_factory=list, description="Earlier turns, oldest first.")
    top_k: StrictInt | None = Field(
        default=None, ge=1, description="Passages to retrieve (default RAG_TOP_K)."
    )
    collection: Text | None = Field(
        default=None,
        description="The collection to answer from (or the `collection` query parameter; `default` when "
        "neither is given). History never reaches another collection's documents.",
    )


def validate_limits(question: str, history: list[HistoryMessage], settings: Settings) -> None:
    """The limits that depend on settings (``top_k``'s is checked by the pipeline for every caller)."""
    if len(question) > settings.max_question_chars:
        raise InvalidRequestError(
            f"question is {len(question)} characters long; the limit is {settings.max_question_chars} "
            "(RAG_MAX_QUESTION_CHARS)"
        )
    if len(history) > settings.max_history_messages:
        raise InvalidRequestError(
            f"history has {len(history)} messages; the limit is {settings.max_history_messages} "
            "(RAG_MAX_HISTORY_MESSAGES): send only the most recent turns"
        )
    for i, message in enumerate(history):
        if len(message.content) > settings.max_message_chars:
            raise InvalidRequestError(
                f"history[{i}] is {len(message.content)} characters long; the limit is "
                f"{settings.max_message_chars} (RAG_MAX_MESSAGE_CHARS)"
            )


class CitationOut(BaseModel):
    n: int
    source: str
    title: str
    section: str
    start: int
    end: int
    quote: str
    score: float
    voice: str
    page: int | None = Field(None, description="PDF page (from 1) the quote starts on")
    heading: str | None = Field(None, description="Heading path the quote lies under (HTML, Markdown, Word)")
    answer_span: tuple[int, int] | None = Field(
        None,
        description="Document offsets [start, end), inside the quote, of the words that answer a who, when, "
        "how many or where question: text[start:end] is the short answer",
    )


class RetrievedOut(BaseModel):
    rank: int
    id: str
    source: str
    title: str | None
    section: str
    start: int
    end: int
    text: str
    header: str | None = Field(None, description="Header row of the table this passage continues")
    score: float
    dense_score: float | None
    lexical_score: float | None


class SentenceCheckOut(BaseModel):
    text: str
    citations: list[int]
    supported: bool
    score: float


class GroundingOut(BaseModel):
    supported_share: float | None
    mode: str
    replaced: bool
    sentences: list[SentenceCheckOut]


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    not_found: bool
    standalone_question: str
    retrieved: list[RetrievedOut]
    timings_ms: dict[str, float]
    backend: str
    notes: list[str]
    grounding: GroundingOut | None
    index_version: str
    answerability: float | None = Field(
        description="learned probability that the retrieved passages answer the question; the answer is "
        "declined below the operating point's threshold (RAG_ANSWER_OPERATING_POINT)"
    )


class SkippedOut(BaseModel):
    name: str
    reason: str


class DriftNames(BaseModel):
    count: int
    names: list[str] = Field(description="the first 20, in name order")


class FolderState(BaseModel):
    in_sync: bool = Field(description="whether the index holds exactly what the documents folder holds")
    not_indexed: DriftNames = Field(description="document files the index does not hold")
    changed: DriftNames = Field(description="files that differ from their indexed version")
    missing: DriftNames = Field(description="indexed documents whose file is gone")


class IngestJobOut(BaseModel):
    """A queued ingest's progress: its files by state, the chunks embedded so far and their rate."""

    job: int
    state: Literal["running", "done", "failed"]
    files: int
    done: int
    failed: int
    pending: int
    chunks: int
    seconds: float
    chunks_per_second: float
    failures: list[SkippedOut] = Field(description="files the workers could not read, with the reason")
    workers: int = Field(description="`rag-service worker` processes connected to the database now")
    version: str | None = Field(description="the index version the job wrote, once done")
    error: str | None


class HealthResponse(BaseModel):
    status: Literal["ok", "out_of_date"] = Field(
        description="out_of_date: the folder and the index disagree (an interrupted upload or ingest, or "
        "files changed by hand); answers still come from the index. POST /api/ingest or a restart "
        "brings it up to date"
    )
    documents: int
    chunks: int
    sentences: int
    model: str
    dimension: int
    index_version: str
    index_type: str
    store: Literal["faiss", "postgres"] = Field(description="where the index lives (RAG_STORE)")
    collection: str = Field(description="the collection these figures are of")
    skipped: list[SkippedOut] = Field(description="files the last ingest could not index, with the reason")
    folder: FolderState | None = Field(
        description="the documents folder against the index; null where this server has no folder"
    )
    ingest_job: IngestJobOut | None = Field(
        None, description="the collection's latest queued ingest (`ingest --queue`, postgres); null if none"
    )


class SectionOut(BaseModel):
    name: str
    start: int
    end: int
    voice: str


class SourceOut(BaseModel):
    name: str
    title: str
    author: str | None
    publisher: str | None
    date: str | None
    url: str | None
    sections: list[SectionOut]
    characters: int
    chunks: int


class SourceText(SourceOut):
    text: str


class IngestResponse(BaseModel):
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    skipped: list[SkippedOut]
    chunks: int
    sentences: int
    embedded: int
    seconds: float
    version: str | None
    summary: str


class RegionOut(BaseModel):
    start: int
    end: int
    label: str


class DocumentOut(BaseModel):
    name: str
    title: str
    author: str | None
    type: str = Field(description="what the text was extracted from: pdf, docx, html, markdown, rst or text")
    pages: int | None = Field(description="PDF pages; null for formats without pages")
    size: int | None = Field(description="bytes of the file in the documents folder")
    characters: int
    chunks: int
    notes: list[str] = Field(description="what extraction could not do (pages left out, OCR used)")


class DocumentDetail(DocumentOut):
    headings: list[RegionOut] = Field(description="heading paths and the text offsets they cover")
    page_regions: list[RegionOut] = Field(description="PDF pages (label: page number) as text offsets")
    tables: list[RegionOut] = Field(description="tables (label: their header row) as text offsets")


class PageHighlight(BaseModel):
    width: float = Field(description="page width in PDF points")
    height: float = Field(description="page height in PDF points")
    rects: list[list[float]] = Field(description="[left, top, right, bottom] as fractions of the page size")


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    skipped: list[SkippedOut] = Field(description="files in the documents folder that are not indexed")
    writable: bool = Field(
        description="whether uploads and deletions are enabled on this server (RAG_API_KEY is set, or a key "
        "was created); each one still needs a writer key of the collection"
    )
    may_write: bool = Field(description="whether the key sent with this request may upload and delete here")


class UploadedOut(BaseModel):
    name: str = Field(description="the sanitised name the file is stored and cited under")
    replaced: bool


class DocumentsChange(IngestResponse):
    uploaded: list[UploadedOut] = Field(default_factory=list)
    rejected: list[SkippedOut] = Field(
        default_factory=list, description="uploaded files refused before anything was written, with why"
    )


class ErrorResponse(BaseModel):
    detail: Any
