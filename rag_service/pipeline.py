"""The composition root: one object that owns the embedder, the live index and the answer backends.

A question goes: condense (follow-up → standalone) → embed → hybrid retrieval → extractive answer (always:
it is cheap and doubles as the abstention gate and the fallback) → optionally the LLM → citations → the
grounding check. ``_run`` yields that as events (``Delta`` text pieces, then the final ``Answer``);
``ask`` keeps the last event and ``stream`` forwards them, so both paths share every step.

Everything derived from an index (BM25, retriever, answerer, grounding checker) lives in one immutable
``IndexState``. A question takes a reference to the current state once, at its start, so swapping in a
freshly ingested index (``reload``) is one attribute assignment: a question in flight finishes on the
old index, the next starts on the new, and none sees a mix.

When the extractive evidence says the documents do not answer, the LLM is not called at all: a model
cannot ground an answer in passages that do not contain it, and saying so is the honest reply.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from langchain_core.language_models import BaseChatModel

from rag_service.answer.extractive import NOT_FOUND_TEXT, Extract, ExtractiveAnswerer
from rag_service.answer.llm import LLMGenerator, make_chat_model, upstream_error
from rag_service.citations import cite_passages, render, split_marked
from rag_service.config import Settings
from rag_service.conversation import Condenser, LLMCondenser, RuleCondenser
from rag_service.embedding import BaseEmbedder, Embedder, TorchEmbedder
from rag_service.errors import InvalidRequestError, UpstreamError
from rag_service.grounding import Claim, GroundingChecker
from rag_service.ingest import IngestReport, ingest_seeds
from rag_service.lexical import LexicalIndex, content_terms
from rag_service.models import Answer, Grounding, Message, ScoredChunk
from rag_service.prompts import Prompts, load_prompts
from rag_service.retrieval import HybridRetriever, SearchParams
from rag_service.store import LoadedIndex, load_index

_PIECE = re.compile(r"\S+\s*")
_SAYS_NOT_FOUND = re.compile(r"do(?:es)? not contain (?:an|the|any) answer", re.IGNORECASE)
STRICT_NOTE = (
    "The generated answer had sentences its passages do not support; the extractive answer is shown."
)


@dataclass(frozen=True)
class Delta:
    """A piece of answer text, streamed before the citations are final."""

    text: str


StreamEvent = Delta | Answer


@dataclass(frozen=True)
class IndexState:
    index: LoadedIndex
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer
    grounding: GroundingChecker


def make_embedder(settings: Settings) -> BaseEmbedder:
    common = {
        "batch_size": settings.embedding_batch_size,
        "cache_size": settings.query_cache_size,
        "threads": settings.embedding_threads,
    }
    if settings.embedding_backend == "onnx":
        from rag_service.embedding_onnx import OnnxEmbedder

        return OnnxEmbedder(settings.embedding_model, settings.onnx_dir, **common)
    return TorchEmbedder(settings.embedding_model, **common)


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: LoadedIndex,
        *,
        chat_model: BaseChatModel | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.prompts = prompts or load_prompts(settings.prompts_dir)
        if chat_model is None and settings.llm_backend == "openai":
            chat_model = make_chat_model(settings)
        self.generator: LLMGenerator | None = None
        self.condenser: Condenser = RuleCondenser()
        if chat_model is not None:
            self.generator = LLMGenerator(
                chat_model, self.prompts, settings.llm_base_url, name=f"openai:{settings.llm_model}"
            )
            self.condenser = LLMCondenser(chat_model, self.prompts.condense)
        self._state = self._derive(index)
        self._ingest_lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None, **kwargs: object) -> Pipeline:
        prompts = load_prompts(settings.prompts_dir)  # fail on a broken prompt before the slow model load
        embedder = embedder or make_embedder(settings)
        index = load_index(settings.index_dir, model=embedder.name, dimension=embedder.dimension)
        return cls(settings, embedder, index, prompts=prompts, **kwargs)  # type: ignore[arg-type]

    @property
    def index(self) -> LoadedIndex:
        return self._state.index

    @property
    def backend(self) -> str:
        return self.generator.name if self.generator else "extractive"

    def _derive(self, index: LoadedIndex) -> IndexState:
        content = index.content
        lexical = LexicalIndex([c.text for c in content.chunks])
        retriever = HybridRetriever(content.chunks, index.faiss_index, lexical, self.settings.hnsw_ef_search)
        answerer = ExtractiveAnswerer(
            content,
            content_terms,
            threshold=self.settings.not_found_threshold,
            max_sentences=self.settings.answer_max_sentences,
        )
        grounding = GroundingChecker(content, content_terms, self.settings.grounding_threshold)
        return IndexState(index, retriever, answerer, grounding)

    def reload(self) -> None:
        """Load the current index from disk and swap it in atomically."""
        index = load_index(
            self.settings.index_dir, model=self.embedder.name, dimension=self.embedder.dimension
        )
        self._state = self._derive(index)

    def ingest(self, *, show_progress: bool = False) -> IngestReport:
        """Re-index the seeds folder and swap the result in; questions keep being answered meanwhile."""
        with self._ingest_lock:
            report = ingest_seeds(self.settings, self.embedder, show_progress=show_progress)
            if report.version != self._state.index.version:
                self.reload()
            return report

    def search_params(self, top_k: int | None) -> SearchParams:
        k = top_k or self.settings.top_k
        if not 1 <= k <= self.settings.max_top_k:
            raise InvalidRequestError(f"top_k must be between 1 and {self.settings.max_top_k}, got {k}")
        return SearchParams(top_k=k, candidate_pool=self.settings.candidate_pool, rrf_k=self.settings.rrf_k)

    def ask(
        self, question: str, history: Sequence[Message] | None = None, top_k: int | None = None
    ) -> Answer:
        *_, answer = self._run(question, history or (), top_k, live=False)
        assert isinstance(answer, Answer)
        return answer

    def stream(
        self, question: str, history: Sequence[Message] | None = None, top_k: int | None = None
    ) -> Iterator[StreamEvent]:
        """``Delta`` pieces of text as they are produced, then the complete ``Answer``.

        LLM tokens stream as the model writes them (in strict grounding mode only once checked). The
        extractive answer exists in full at once and is sent in pieces of a few words, so that every
        client handles one protocol whatever the backend.
        """
        return self._run(question, history or (), top_k, live=True)

    def _run(
        self, question: str, history: Sequence[Message], top_k: int | None, live: bool
    ) -> Iterator[StreamEvent]:
        question = question.strip()
        if not question:
            raise InvalidRequestError("question is empty: ask something about the documents")
        for label, text in (
            ("question", question),
            *((f"history[{i}]", m.content) for i, m in enumerate(history)),
        ):
            _require_unicode(label, text)
        params = self.search_params(top_k)
        state = self._state
        clock = _Clock()
        standalone = self._condense(question, history)
        clock.lap("condense")
        query_vector = self.embedder.embed_query(standalone)
        clock.lap("embed")
        hits = state.retriever.search(standalone, query_vector, params)
        clock.lap("retrieve")
        extract = state.answerer.answer(standalone, query_vector, hits)
        clock.lap("answer")
        if self.generator is None or extract.not_found:
            answer = self._extractive(state, extract, hits, standalone, clock)
            if live:
                yield from _pieces(answer.text)
            yield answer
            return
        messages = self.generator.messages(standalone, hits, state.index.documents)
        strict = self.settings.grounding == "strict"
        try:
            if live and not strict:
                parts: list[str] = []
                started = False  # leading whitespace is held back, so an empty reply can still be a 502
                for token in self.generator.stream(messages):
                    parts.append(token)
                    if started:
                        yield Delta(token)
                    elif "".join(parts).strip():
                        started = True
                        yield Delta("".join(parts).lstrip())
                text = "".join(parts)
            else:
                text = self.generator.complete(messages)
            clock.lap("llm")
            answer = self._generated(state, text, extract, hits, standalone, clock)
        except UpstreamError as exc:
            if not self.settings.llm_fallback:
                raise
            answer = self._extractive(
                state,
                extract,
                hits,
                standalone,
                clock,
                note=f"The language model failed ({exc}); this is the extractive answer.",
            )
            strict = True  # nothing of the failed generation was kept: send the replacement text
        if live and strict:
            yield from _pieces(answer.text)
        yield answer

    def _condense(self, question: str, history: Sequence[Message]) -> str:
        try:
            return self.condenser.condense(question, history)
        except Exception as exc:
            if not self.settings.llm_fallback:
                raise upstream_error(exc, self.settings.llm_base_url) from exc
            return RuleCondenser().condense(question, history)

    def _extractive(
        self,
        state: IndexState,
        extract: Extract,
        hits: Sequence[ScoredChunk],
        standalone: str,
        clock: _Clock,
        note: str | None = None,
    ) -> Answer:
        claims = []
        for row in extract.rows:
            cited = tuple(n for n, h in enumerate(hits, start=1) if row in h.chunk.sentence_ids)
            claims.append(
                Claim(
                    state.index.content.sentences[row].text, cited, state.index.content.sentence_vectors[row]
                )
            )
        grounding = state.grounding.check(claims, hits, self.settings.grounding)
        clock.lap("grounding")
        return Answer(
            text=extract.text,
            citations=extract.citations,
            not_found=extract.not_found,
            retrieved=tuple(hits),
            standalone_question=standalone,
            timings_ms=clock.result(),
            backend="extractive",
            notes=extract.notes + ((note,) if note else ()),
            grounding=grounding,
            index_version=state.index.version,
        )

    def _generated(
        self,
        state: IndexState,
        text: str,
        extract: Extract,
        hits: Sequence[ScoredChunk],
        standalone: str,
        clock: _Clock,
    ) -> Answer:
        if _SAYS_NOT_FOUND.search(text):
            return Answer(
                NOT_FOUND_TEXT,
                (),
                True,
                tuple(hits),
                standalone,
                clock.result(),
                self.backend,
                grounding=Grounding((), None, self.settings.grounding),
                index_version=state.index.version,
            )
        sentences = split_marked(text, len(hits))
        if not sentences:
            raise UpstreamError("the LLM returned no usable text: check RAG_LLM_MODEL or try another model")
        vectors = self.embedder.embed_documents([s.text for s in sentences])
        citations = cite_passages(sentences, vectors, hits, state.index.content, state.index.documents)
        claims = [Claim(s.text, s.markers, v) for s, v in zip(sentences, vectors, strict=True)]
        grounding = state.grounding.check(claims, hits, self.settings.grounding)
        clock.lap("grounding")
        if self.settings.grounding == "strict" and not all(c.supported for c in grounding.sentences):
            fallback = self._extractive(state, extract, hits, standalone, clock, note=STRICT_NOTE)
            assert fallback.grounding is not None
            return replace(fallback, grounding=replace(fallback.grounding, replaced=True))
        return Answer(
            render(sentences),
            citations,
            False,
            tuple(hits),
            standalone,
            clock.result(),
            self.backend,
            grounding=grounding,
            index_version=state.index.version,
        )


class _Clock:
    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = self._laps.get(name, 0.0) + (now - self._last) * 1000
        self._last = now

    def result(self) -> dict[str, float]:
        laps = {k: round(v, 3) for k, v in self._laps.items()}
        laps["total"] = round((time.perf_counter() - self._start) * 1000, 3)
        return laps


def _require_unicode(label: str, text: str) -> None:
    """JSON can carry lone surrogates (``\\ud800``) that are not Unicode text; the tokenizer would fail."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{label} contains invalid Unicode at character {exc.start} (a lone surrogate): send UTF-8 text"
        ) from exc


def _pieces(text: str) -> Iterator[Delta]:
    words = _PIECE.findall(text)
    for i in range(0, len(words), 4):
        yield Delta("".join(words[i : i + 4]))
