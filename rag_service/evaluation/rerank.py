"""``bench-retrieval --reader-rerank N``: does the reader, reading the hybrid top N, rank documents better?

The reader scores (question, sentence) pairs, so a document's reader score is the best logit of its
sentences (cut by the index's own splitter), each read after the document's title as at answer time.
Two orders are scored beside the hybrid one: the reader's alone over the top N, and the reader's rank
fused with the hybrid rank by reciprocal rank fusion (the same ``rrf_k`` the retriever fuses with), which
keeps what retrieval knows that a sentence reader cannot. Documents below N keep their hybrid order.

This is a measurement, not a service path: the service reads sentences to answer, not to rank.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rag_service.documents.chunking import plain_sentences
from rag_service.evaluation import metrics
from rag_service.evaluation.beir import ranked_documents
from rag_service.reader.model import Candidate, Reader
from rag_service.retrieval.hybrid import Retriever, SearchParams

MAX_SENTENCES = 12
"""Sentences read per document: a SciFact abstract has about nine; a longer one is cut."""


def document_candidates(title: str, text: str) -> list[Candidate]:
    body = text[len(title) :].lstrip() if title and text.startswith(title) else text
    sentences = [s for _, _, s in plain_sentences(body)][:MAX_SENTENCES] or [body[:500]]
    return [Candidate(title, s) for s in sentences]


def fused(first: Sequence[str], second: Sequence[str], rrf_k: int) -> list[str]:
    """``first`` and ``second`` (the same items in two orders) by reciprocal rank fusion."""
    score = dict.fromkeys(first, 0.0)
    for order in (first, second):
        for rank, item in enumerate(order, start=1):
            score[item] += 1.0 / (rrf_k + rank)
    return sorted(first, key=lambda item: -score[item])


def rerank_scores(
    reader: Reader,
    retriever: Retriever,
    texts: dict[str, tuple[str, str]],
    queries: dict[str, str],
    qrels: dict[str, dict[str, float]],
    ids: list[str],
    vectors: Any,
    depth: int,
    top: int,
    rrf_k: int,
) -> dict[str, Any]:
    """nDCG@10 of the hybrid order, the reader's over its ``top`` and their fusion; ``texts`` maps a
    document id to its (title, text)."""
    params = SearchParams(top_k=depth, candidate_pool=depth, rrf_k=rrf_k, mode="hybrid")
    ndcg: dict[str, list[float]] = {"hybrid": [], "reader": [], "fused": []}
    pairs = 0
    started = time.perf_counter()
    for qid, vector in zip(ids, vectors, strict=True):
        ranked = ranked_documents(retriever, queries[qid], vector, params)
        head, tail = ranked[:top], ranked[top:]
        best: dict[str, float] = {}
        for source in head:
            candidates = document_candidates(*texts[source])
            best[source] = float(reader.scores(queries[qid], candidates).max())
            pairs += len(candidates)
        by_reader = sorted(head, key=lambda s: -best[s])
        orders = {"hybrid": ranked, "reader": by_reader + tail, "fused": fused(head, by_reader, rrf_k) + tail}
        for name, order in orders.items():
            ndcg[name].append(metrics.ndcg_at_k(order, qrels[qid], 10))
    seconds = time.perf_counter() - started
    return {
        "top": top,
        "queries": len(ids),
        "pairs_read": pairs,
        "ms_per_query": seconds * 1000 / max(1, len(ids)),
        "ndcg_at_10": {name: sum(v) / len(v) for name, v in ndcg.items()},
    }
