"""The measurements the answerability model reads: how well the retrieved passages match the question.

Every feature is a similarity or a share, so its scale is the same on any corpus (BM25 scores are left
out for that reason: their size grows with the corpus). All come from vectors and term sets the index
already holds, so computing them costs a few dot products per question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rag_service.answer.answer_types import SLOT_TYPES, holds_filler, question_type
from rag_service.answer.terms import TermStats
from rag_service.models import ScoredChunk
from rag_service.store.model import LoadedIndex

FEATURES = (
    "window_top",
    "window_max",
    "sentence_top3",
    "chunk_top",
    "chunk_max",
    "chunk_margin",
    "sentence_max",
    "sentence_second",
    "coverage_all",
    "coverage_top",
    "overlap_best",
    "unseen_share",
    "slot_asked",
    "slot_missing",
    "question_terms",
)
"""Names in the order the model's coefficients use."""
SLOT_SENTENCES = 3
"""How many of the closest sentences may hold the date, number, name or place a question asks for."""


def answerability_features(
    question: str,
    query_vector: np.ndarray,
    hits: Sequence[ScoredChunk],
    index: LoadedIndex,
    stats: TermStats,
    rows: Sequence[int],
    cosine: np.ndarray,
) -> dict[str, float]:
    """Features of one question against its retrieved ``hits`` and the usable candidate sentence
    ``rows`` (whose cosines with the question are ``cosine``)."""
    content = index.content
    chunk_rows = np.array([index.chunk_row(h.chunk.id) for h in hits], dtype=np.int64)
    chunk_cos = content.chunk_vectors[chunk_rows] @ query_vector
    windows = index.chunk_windows[chunk_rows]
    window_cos = content.window_vectors[windows] @ query_vector
    ranked_chunks = np.sort(chunk_cos)[::-1]
    ranked_sentences = np.sort(cosine)[::-1]
    weights = stats.weights(question)
    top_window = int(windows[0])
    top_rows = [
        r for h, w in zip(hits, windows, strict=True) if w == top_window for r in h.chunk.sentence_ids
    ]
    kind = question_type(question)
    slot_asked = kind in SLOT_TYPES
    best = [rows[i] for i in np.argsort(-cosine)[:SLOT_SENTENCES]]
    slot_missing = slot_asked and not any(
        holds_filler(kind, content.sentences[r].text, question) for r in best
    )
    return {
        "window_top": float(window_cos[0]),
        "window_max": float(window_cos.max()),
        "sentence_top3": float(ranked_sentences[:3].mean()),
        "chunk_top": float(chunk_cos[0]),
        "chunk_max": float(ranked_chunks[0]),
        "chunk_margin": float(ranked_chunks[0] - ranked_chunks[1]) if len(ranked_chunks) > 1 else 0.0,
        "sentence_max": float(ranked_sentences[0]),
        "sentence_second": float(ranked_sentences[1]) if len(ranked_sentences) > 1 else 0.0,
        "coverage_all": stats.coverage(weights, rows),
        "coverage_top": stats.coverage(weights, top_rows),
        "overlap_best": float(stats.overlap(weights, rows).max()),
        "unseen_share": stats.unseen_share(weights),
        "slot_asked": float(slot_asked),
        "slot_missing": float(slot_missing),
        "question_terms": math.log1p(len(weights)),
    }
