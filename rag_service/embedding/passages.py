"""The vectors an index needs, from one forward pass per chunk.

The index holds three kinds of vectors: chunks (what retrieval searches), sentences (what the extractive
answerer quotes and the answerability model reads) and windows (runs of chunks, for answerability; see
``rag_service.documents.windows``). Embedding each kind in its own pass cost about three times a pass over
the chunks alone. Here only the chunks go through the model:

- a sentence's vector is pooled from the token states of the first chunk that contains it whole
  (``Embedder.embed_passages``), so it reads the sentence in its context. Sentences that no chunk holds
  whole (longer than a chunk) or that the model's token limit cuts off are embedded on their own: a few
  per thousand in practice;
- a window's vector is the length-weighted mean of its chunks' vectors, normalised: no pass at all.

Vectors of unchanged text are reused from the previous index. A sentence is keyed by its text *and* the
text of the chunk it was pooled from, so an incremental ingest gives the vectors a full rebuild would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rag_service.documents.chunking import embedding_text
from rag_service.documents.windows import window_groups
from rag_service.embedding.base import Embedder, unit_rows
from rag_service.models import Chunk, Sentence


@dataclass(frozen=True)
class Placement:
    """Where a sentence's vector comes from: ``chunk`` row and the character span in that chunk's
    embedding text, or ``chunk == -1`` for a sentence embedded on its own."""

    chunk: int
    start: int
    end: int


@dataclass(frozen=True)
class ContentVectors:
    chunks: np.ndarray
    sentences: np.ndarray
    windows: np.ndarray
    embedded: int
    """Texts sent to the model: chunk passes plus sentences embedded on their own."""


def place_sentences(chunks: Sequence[Chunk], sentences: Sequence[Sentence]) -> list[Placement]:
    """For every sentence row, the first chunk holding it whole and its span in that chunk's text."""
    placed: list[Placement | None] = [None] * len(sentences)
    for row, chunk in enumerate(chunks):
        text: str | None = None
        for s_row in chunk.sentence_ids:
            sentence = sentences[s_row]
            if placed[s_row] is not None or sentence.start < chunk.start or sentence.end > chunk.end:
                continue
            text = text if text is not None else embedding_text(chunk.text)
            at = text.find(sentence.text)
            if at >= 0:
                placed[s_row] = Placement(row, at, at + len(sentence.text))
    return [p if p is not None else Placement(-1, 0, 0) for p in placed]


def window_vectors(chunks: Sequence[Chunk], chunk_vectors: np.ndarray) -> np.ndarray:
    """Each window's vector: its chunks' vectors weighted by their length, normalised."""
    dimension = chunk_vectors.shape[1] if chunk_vectors.ndim == 2 else 0
    groups = window_groups(chunks)
    out = np.zeros((len(groups), dimension), dtype=np.float32)
    lengths = np.array([len(c.text) for c in chunks], dtype=np.float32)
    for row, group in enumerate(groups):
        out[row] = lengths[group.start : group.stop] @ chunk_vectors[group.start : group.stop]
    return unit_rows(out) if len(groups) else out


def text_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _sentence_keys(
    chunk_texts: Sequence[str], sentences: Sequence[Sentence], placements: Sequence[Placement]
) -> list[str]:
    return [
        text_key(chunk_texts[p.chunk], s.text) if p.chunk >= 0 else text_key("", s.text)
        for s, p in zip(sentences, placements, strict=True)
    ]


def vector_cache(
    chunks: Sequence[Chunk],
    sentences: Sequence[Sentence],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
) -> dict[str, np.ndarray]:
    """Vectors of an existing index by the keys ``content_vectors`` looks up."""
    chunk_texts = [embedding_text(c.text) for c in chunks]
    cache = {text_key(t): v for t, v in zip(chunk_texts, chunk_vectors, strict=True)}
    keys = _sentence_keys(chunk_texts, sentences, place_sentences(chunks, sentences))
    cache.update(zip(keys, sentence_vectors, strict=True))
    return cache


CHECKPOINT_TEXTS = 256
"""About two seconds of embedding on two cores: how late a stopped ingest notices."""


def content_vectors(
    chunks: Sequence[Chunk],
    sentences: Sequence[Sentence],
    embedder: Embedder,
    cache: Mapping[str, np.ndarray],
    *,
    with_windows: bool = True,
    show_progress: bool = False,
    checkpoint: Callable[[], None] | None = None,
) -> ContentVectors:
    """Chunk, sentence and window vectors for ``chunks`` and ``sentences`` (sentence rows as linked in
    ``chunk.sentence_ids``), embedding only what ``cache`` lacks.

    ``checkpoint`` is called before every ``CHECKPOINT_TEXTS`` passages are embedded: it raises to stop
    the work (an ingest over its time budget, or whose client has gone)."""
    dimension = embedder.dimension
    chunk_texts = [embedding_text(c.text) for c in chunks]
    chunk_keys = [text_key(t) for t in chunk_texts]
    placements = place_sentences(chunks, sentences)
    s_keys = _sentence_keys(chunk_texts, sentences, placements)
    chunk_out = np.zeros((len(chunks), dimension), dtype=np.float32)
    sentence_out = np.zeros((len(sentences), dimension), dtype=np.float32)
    sentence_done = np.zeros(len(sentences), dtype=bool)
    for row, key in enumerate(s_keys):
        hit = cache.get(key)
        if hit is not None:
            sentence_out[row], sentence_done[row] = hit, True

    # One pass per distinct chunk text that lacks its vector or the vector of a sentence it holds.
    wanted: dict[str, list[tuple[int, int]]] = {}
    first_text: dict[str, str] = {}
    for row, key in enumerate(chunk_keys):
        if key not in cache:
            wanted.setdefault(key, [])
            first_text.setdefault(key, chunk_texts[row])
    for row, placement in enumerate(placements):
        if placement.chunk >= 0 and not sentence_done[row]:
            key = chunk_keys[placement.chunk]
            spans = wanted.setdefault(key, [])
            first_text.setdefault(key, chunk_texts[placement.chunk])
            if (placement.start, placement.end) not in spans:
                spans.append((placement.start, placement.end))
    keys = list(wanted)
    fresh: dict[str, np.ndarray] = {}
    pooled: dict[tuple[str, tuple[int, int]], np.ndarray | None] = {}
    step = CHECKPOINT_TEXTS if checkpoint is not None else max(len(keys), 1)
    for begin in range(0, len(keys), step):
        if checkpoint is not None:
            checkpoint()
        part = keys[begin : begin + step]
        passes = embedder.embed_passages(
            [first_text[k] for k in part], [wanted[k] for k in part], show_progress=show_progress
        )
        fresh.update(zip(part, passes.vectors, strict=True))
        pooled.update(
            ((key, span), vector)
            for key, vectors in zip(part, passes.spans, strict=True)
            for span, vector in zip(wanted[key], vectors, strict=True)
        )
    for row, key in enumerate(chunk_keys):
        chunk_out[row] = fresh[key] if key in fresh else cache[key]
    alone: list[int] = []
    for row, placement in enumerate(placements):
        if sentence_done[row]:
            continue
        span = (placement.start, placement.end)
        vector = pooled.get((chunk_keys[placement.chunk], span)) if placement.chunk >= 0 else None
        if vector is not None:
            sentence_out[row] = vector
        else:
            alone.append(row)
    if alone:
        sentence_out[alone] = embedder.embed_documents([sentences[r].text for r in alone])
    windows = window_vectors(chunks, chunk_out) if with_windows else np.zeros((0, dimension), np.float32)
    return ContentVectors(chunk_out, sentence_out, windows, len(keys) + len(alone))
