"""Benchmark section: retrieval and ask in one process, beside LangChain's own retrieval path over the
same chunk texts and vectors, as ratios to the floor (one query embedding)."""

from __future__ import annotations

from collections.abc import Callable

from rag_service.bench.report import Report
from rag_service.bench.timing import Timing, measure
from rag_service.embedding.base import BaseEmbedder
from rag_service.pipeline import Pipeline


def _peer_store(pipeline: Pipeline, embedder: BaseEmbedder) -> Callable[[str, int], object]:
    """LangChain's own retrieval path over the same chunk texts and vectors."""
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    content = pipeline.index.content
    known = {c.text: v.tolist() for c, v in zip(content.chunks, content.chunk_vectors, strict=True)}

    class SameVectors(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [known[t] for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return embedder._encode([text])[0].tolist()

    store = InMemoryVectorStore(SameVectors())
    store.add_texts([c.text for c in content.chunks])
    return lambda q, k: store.similarity_search(q, k=k)


def in_process(
    report: Report,
    label: str,
    pipeline: Pipeline,
    embedder: BaseEmbedder,
    questions: list[str],
    floor: Timing,
    runs: int,
) -> tuple[Timing, Timing, Timing]:
    params = pipeline.search_params(None)
    retrieval = measure(lambda i: pipeline.retrieve(questions[i % len(questions)]), runs)
    ask = measure(lambda i: pipeline.ask(questions[i % len(questions)]), runs)
    peer_search = _peer_store(pipeline, embedder)
    peer = measure(lambda i: peer_search(questions[i % len(questions)], params.top_k), runs)
    report.table(
        f"In-process on {label} ({len(pipeline.index.content.chunks)} chunks)",
        ["operation", "p50 ms", "p95 ms", "× floor"],
        [
            [name, f"{t.p50:.2f}", f"{t.p95:.2f}", f"{t.p50 / floor.p50:.2f}"]
            for name, t in (
                ("retrieval, hybrid (embed + FAISS + BM25 + RRF)", retrieval),
                ("ask, extractive answer + grounding", ask),
                ("LangChain InMemoryVectorStore.similarity_search (dense only)", peer),
            )
        ],
    )
    return retrieval, ask, peer
