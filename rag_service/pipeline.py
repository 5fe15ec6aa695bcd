"""The composition root: one object that owns the embedder and the live index and answers questions.

Everything derived from an index (BM25, the retriever, the answerer) lives in one immutable
``IndexState``. ``ask`` takes a reference to the current state once, at its start, and uses only that,
so swapping in a freshly ingested index (``reload``) is a single attribute assignment: a question in
flight finishes on the old index, the next one starts on the new, and none ever sees a mix.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rag_service.answer.extractive import ExtractiveAnswerer
from rag_service.config import Settings
from rag_service.embedding import Embedder, SentenceTransformerEmbedder
from rag_service.errors import InvalidRequestError
from rag_service.ingest import IngestReport, ingest_seeds
from rag_service.lexical import LexicalIndex, content_terms
from rag_service.models import Answer
from rag_service.retrieval import HybridRetriever, SearchParams
from rag_service.store import LoadedIndex, load_index


@dataclass(frozen=True)
class Message:
    role: str
    content: str


_PIECE = re.compile(r"\S+\s*")


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
    lexical: LexicalIndex


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        batch_size=settings.embedding_batch_size,
        threads=settings.embedding_threads,
        cache_size=settings.query_cache_size,
    )


class Pipeline:
    def __init__(self, settings: Settings, embedder: Embedder, index: LoadedIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self._state = self._derive(index)
        self._ingest_lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings, embedder: Embedder | None = None) -> Pipeline:
        embedder = embedder or make_embedder(settings)
        index = load_index(settings.index_dir, model=embedder.name, dimension=embedder.dimension)
        return cls(settings, embedder, index)

    @property
    def index(self) -> LoadedIndex:
        return self._state.index

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
        return IndexState(index, retriever, answerer, lexical)

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

    def ask(self, question: str, history: list[Message] | None = None, top_k: int | None = None) -> Answer:
        question = question.strip()
        if not question:
            raise InvalidRequestError("question is empty: ask something about the documents")
        params = self.search_params(top_k)
        state = self._state
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        standalone = question
        query_vector = self.embedder.embed_query(standalone)
        t1 = time.perf_counter()
        hits = state.retriever.search(standalone, query_vector, params)
        t2 = time.perf_counter()
        extract = state.answerer.answer(standalone, query_vector, hits)
        t3 = time.perf_counter()
        timings.update(
            embed=(t1 - t0) * 1000, retrieve=(t2 - t1) * 1000, answer=(t3 - t2) * 1000, total=(t3 - t0) * 1000
        )
        return Answer(
            text=extract.text,
            citations=extract.citations,
            not_found=extract.not_found,
            retrieved=tuple(hits),
            standalone_question=standalone,
            timings_ms={k: round(v, 3) for k, v in timings.items()},
            notes=extract.notes,
        )

    def stream(
        self, question: str, history: list[Message] | None = None, top_k: int | None = None
    ) -> Iterator[StreamEvent]:
        """The answer as it is produced: ``Delta`` pieces of text, then the complete ``Answer``.

        The extractive answer exists in full at once; it is still sent in pieces of a few words so that
        every client handles one streaming protocol whatever the backend.
        """
        answer = self.ask(question, history, top_k)
        words = _PIECE.findall(answer.text)
        for i in range(0, len(words), 4):
            yield Delta("".join(words[i : i + 4]))
        yield answer
