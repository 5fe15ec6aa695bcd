"""The composition root: one object that owns the embedder, the live index and the answer backends.

A question goes: condense (follow-up → standalone) → embed → hybrid retrieval (``retrieve``) →
extractive answer (always: it is cheap and doubles as the abstention gate and the fallback) →
optionally the LLM → ``rag_service.answer.compose`` (citations, the grounding check, strict mode).
``_run`` yields that as events (``Delta`` text pieces, then the final ``Answer``); ``ask`` keeps the last
event and ``stream`` forwards them, so both paths share every step.

Everything derived from an index (BM25, retriever, answerer, composer) lives in one immutable
``IndexState``. A question takes a reference to the current state once, at its start, so swapping in a
freshly ingested index (``reload``) is one attribute assignment: a question in flight finishes on the
old index, the next starts on the new, and none sees a mix.

Several processes may serve one index folder (``rag-service serve --workers N``, or a server beside a
CLI ingest). ``is_current`` compares the store's current version with the one being served (one small
file read), and ``refresh`` swaps in a newer one; the API checks before every request, so an ingest
through any worker is seen by the next request to every worker. A version that cannot be loaded (built
for another model, damaged) is logged once and the served one is kept.

Every caller's question goes through ``rag_service.questions.require_question`` here (the API schemas
call the same function first so that HTTP clients get a 422 naming the field).

When the extractive evidence says the documents do not answer, the LLM is not called at all: a model
cannot ground an answer in passages that do not contain it, and saying so is the honest reply.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.language_models import BaseChatModel

from rag_service.answer.citations import split_marked
from rag_service.answer.compose import AnswerComposer, Evidence
from rag_service.answer.events import Clock, StreamEvent, pieces
from rag_service.answer.extractive import ExtractiveAnswerer
from rag_service.answer.grounding import GroundingChecker
from rag_service.answer.layout import with_layout
from rag_service.answer.llm import LLMGenerator, generate, make_chat_model, upstream_error
from rag_service.answer.not_found import says_not_found
from rag_service.config import Settings
from rag_service.conversation import Condenser, LLMCondenser, RuleCondenser
from rag_service.embedding.base import Embedder
from rag_service.embedding.factory import make_embedder
from rag_service.errors import (
    BusyError,
    InvalidRequestError,
    RagError,
    StoreUnavailableError,
    UpstreamError,
)
from rag_service.followups import QuotedSentences
from rag_service.ingest import IngestReport, index_settings, ingest_seeds
from rag_service.models import Answer, Message, ScoredChunk
from rag_service.prompts import Prompts, load_prompts
from rag_service.questions import require_history, require_question
from rag_service.retrieval.hybrid import Mode, Retriever, SearchParams
from rag_service.retrieval.lexical import content_terms
from rag_service.serialize import strip_footer
from rag_service.store.factory import make_store
from rag_service.store.model import LoadedIndex
from rag_service.store.protocol import IndexStore

log = logging.getLogger("rag_service.pipeline")


@dataclass(frozen=True)
class IndexState:
    index: LoadedIndex
    retriever: Retriever
    answerer: ExtractiveAnswerer
    composer: AnswerComposer
    quotes: QuotedSentences


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: LoadedIndex,
        *,
        store: IndexStore | None = None,
        chat_model: BaseChatModel | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store or make_store(settings)
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
        self._ingest_lock = threading.RLock()
        self._reload_lock = threading.Lock()
        self._unloadable: str | None = None
        """A current version that failed to load: not retried until the store moves on."""

    @classmethod
    def load(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        store: IndexStore | None = None,
        **kwargs: object,
    ) -> Pipeline:
        prompts = load_prompts(settings.prompts_dir)  # fail on a broken prompt before the slow model load
        embedder = embedder or make_embedder(settings)
        store = store or make_store(settings)
        index = store.load(index_settings(settings, embedder))
        return cls(settings, embedder, index, store=store, prompts=prompts, **kwargs)  # type: ignore[arg-type]

    @property
    def index(self) -> LoadedIndex:
        return self._state.index

    @property
    def backend(self) -> str:
        return self.generator.name if self.generator else "extractive"

    def _derive(self, index: LoadedIndex) -> IndexState:
        index = with_layout(index)  # computed once here for the answerer and the follow-ups
        content = index.content
        answerer = ExtractiveAnswerer.from_settings(index, content_terms, self.settings)
        grounding = GroundingChecker(
            content, content_terms, self.settings.grounding_threshold, self.embedder.embed_documents
        )
        composer = AnswerComposer(grounding, self.settings.grounding)
        retriever = self.store.retriever(index, self.settings.hnsw_ef_search)
        return IndexState(
            index, retriever, answerer, composer, QuotedSentences(content, index.sentence_layout)
        )

    def reload(self) -> None:
        """Load the current index from the store and swap it in atomically."""
        with self._reload_lock:
            self._state = self._derive(self.store.load(index_settings(self.settings, self.embedder)))

    def is_current(self) -> bool:
        """Whether the store's current version is the one served (or one known not to load)."""
        try:
            version = self.store.current_version()
        except StoreUnavailableError:  # a database that is down: the request cannot be answered (503)
            raise
        except RagError:  # no readable pointer: keep serving what is loaded
            return True
        return version in (self._state.index.version, self._unloadable)

    def refresh(self) -> bool:
        """Swap in the store's current version if another process wrote a newer one; True if swapped."""
        with self._reload_lock:
            if self.is_current():
                return False
            wanted = index_settings(self.settings, self.embedder)
            try:
                index = self.store.load(wanted)
            except RagError as exc:
                self._unloadable = self.store.current_version()
                log.warning("keeping index %s: the current one cannot be loaded: %s", self.index.version, exc)
                return False
            self._state = self._derive(index)
            log.info("now serving index %s", index.version)
            return True

    @contextlib.contextmanager
    def writing(self, wait: float | None = None) -> Iterator[None]:
        """Hold the one lock of this process's writes to the folder and index; ``BusyError`` after
        ``wait`` seconds (default ``RAG_WRITE_BUDGET_SECONDS``: no write takes longer, see ``Budget``)."""
        wait = self.settings.write_budget_seconds if wait is None else wait
        if not self._ingest_lock.acquire(timeout=wait):
            raise BusyError(f"another write has held the documents for over {wait:g} s: retry shortly")
        try:
            yield
        finally:
            self._ingest_lock.release()

    def ingest(self, **kw: Any) -> IngestReport:
        """Re-index the documents and swap the result in; questions keep being answered meanwhile.
        ``kw``: ``ingest_seeds``'s ``show_progress``, ``budget`` and ``changes`` (to the database's files)."""
        with self.writing():
            report = ingest_seeds(self.settings, self.embedder, store=self.store, **kw)
            if report.version != self._state.index.version:
                self.reload()
            return report

    def search_params(self, top_k: int | None, mode: Mode = "hybrid") -> SearchParams:
        k = top_k or self.settings.top_k
        if not 1 <= k <= self.settings.max_top_k:
            raise InvalidRequestError(
                f"top_k is {k}; the limit is {self.settings.max_top_k} (RAG_MAX_TOP_K), the least is 1"
            )
        return SearchParams(
            top_k=k, candidate_pool=self.settings.candidate_pool, rrf_k=self.settings.rrf_k, mode=mode
        )

    def retrieve(
        self, question: str, top_k: int | None = None, *, mode: Mode = "hybrid"
    ) -> list[ScoredChunk]:
        """The passages the current index gives for ``question`` (no condensing, no answer)."""
        vector = self.embedder.embed_query(question)
        return self._state.retriever.search(question, vector, self.search_params(top_k, mode))

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
        question = require_question(question)
        history = require_history(history)
        params = self.search_params(top_k)
        state = self._state
        clock = Clock()
        standalone = self._condense(question, history)
        clock.lap("condense")
        query_vector = self.embedder.embed_query(standalone)
        clock.lap("embed")
        hits = tuple(state.retriever.search(standalone, query_vector, params))
        said: frozenset[int] = frozenset()
        if standalone != question:  # a follow-up: what the previous answer quoted is where it points
            previous = _last_answer(history)
            hits = state.quotes.extra_hits(state.quotes.rows(previous), hits)
            # Its first quote answered the previous question; sentences after it may well answer this one.
            said = frozenset(state.quotes.rows(previous, first_only=True))
        clock.lap("retrieve")
        extract = state.answerer.answer(standalone, query_vector, hits, said=said)
        # An answer read off a document's structure ("how does the talk end?") may quote a passage that
        # retrieval did not bring: it joins the passages, so every quote is in a passage shown and checked.
        hits = state.quotes.extra_hits([row for part in extract.parts for row in part], hits)
        clock.lap("answer")
        evidence = Evidence(question, standalone, hits, extract, state.index)
        # Text streams as the model writes it, unless strict grounding must check it first; any answer
        # that exists in full at once (extractive, or a fallback) is sent in pieces at the end.
        pieces_at_end = self.settings.grounding == "strict"
        if self.generator is None or extract.not_found:
            answer = state.composer.extractive(evidence)
            pieces_at_end = True
        else:
            try:
                text = yield from generate(self.generator, evidence, stream=live and not pieces_at_end)
                clock.lap("llm")
                answer = self._compose_generated(state, evidence, text)
            except UpstreamError as exc:
                if not self.settings.llm_fallback:
                    raise
                note = f"The language model failed ({exc}); this is the extractive answer."
                answer = state.composer.extractive(evidence, note=note)
                pieces_at_end = True  # nothing of the failed generation was kept: send the replacement
        clock.lap("grounding")
        answer = replace(answer, timings_ms=clock.result())
        if live and pieces_at_end:
            yield from pieces(answer.text)
        yield answer

    def _compose_generated(self, state: IndexState, evidence: Evidence, text: str) -> Answer:
        if says_not_found(text):
            return state.composer.declined(evidence, self.backend)
        sentences = split_marked(text, len(evidence.hits))
        if not sentences:
            raise UpstreamError("the LLM returned no usable text: check RAG_LLM_MODEL or try another model")
        vectors = self.embedder.embed_documents([s.text for s in sentences])
        return state.composer.generated(evidence, sentences, vectors, self.backend)

    def _condense(self, question: str, history: Sequence[Message]) -> str:
        try:
            return self.condenser.condense(question, history)
        except Exception as exc:
            if not self.settings.llm_fallback:
                raise upstream_error(exc, self.settings.llm_base_url) from exc
            return RuleCondenser().condense(question, history)


def _last_answer(history: Sequence[Message]) -> str:
    return next((strip_footer(m.content) for m in reversed(history) if m.role == "assistant"), "")
