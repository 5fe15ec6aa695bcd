"""``rag-service bench-retrieval DIR``: retrieval quality on a BEIR-format data set.

Reads ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl`` and ``qrels/test.tsv``; indexes
every document as title + text through the project's own code (chunking, embedding, the FAISS store
written and loaded from disk, BM25) and scores the test queries with nDCG@10 and Recall@100 for dense,
BM25 and hybrid retrieval, as BEIR defines them. A document's rank is that of its best chunk.

By default each document is one chunk (``--chunk-size 0``), so the model sees title + text truncated to
its 256-token window exactly as in the published MTEB/BEIR runs; ``--chunk-size N`` measures the
project's chunked retrieval instead. Sentence vectors, which only the answerer uses, are not computed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag_service.config import Settings
from rag_service.documents.sidecar import BODY
from rag_service.embedding.base import Embedder
from rag_service.errors import InvalidRequestError
from rag_service.evaluation import metrics
from rag_service.ingest import build_content, index_settings
from rag_service.models import Document, DocumentMeta, Section
from rag_service.retrieval.hybrid import Mode, Retriever, SearchParams
from rag_service.store.files import FileStore
from rag_service.store.protocol import IndexStore

MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
WHOLE_DOCUMENT = 1_000_000


def load_beir(
    folder: Path, split: str = "test"
) -> tuple[list[Document], dict[str, str], dict[str, dict[str, float]]]:
    try:
        corpus_lines = (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
        query_lines = (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        qrel_text = (folder / "qrels" / f"{split}.tsv").read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRequestError(
            f"{folder} is not a BEIR data set ({exc.filename} missing): it needs "
            f"corpus.jsonl, queries.jsonl and qrels/{split}.tsv"
        ) from exc
    documents = []
    for line in corpus_lines:
        if line.strip():
            record = json.loads(line)
            title, body = record.get("title") or "", record.get("text") or ""
            text = f"{title}\n\n{body}" if title else body
            documents.append(
                Document(
                    str(record["_id"]),
                    text,
                    DocumentMeta(title or str(record["_id"])),
                    (Section(BODY, 0, len(text)),),
                    hashlib.sha256(text.encode()).hexdigest(),
                )
            )
    queries = {str(q["_id"]): q["text"] for q in map(json.loads, filter(str.strip, query_lines))}
    qrels: dict[str, dict[str, float]] = {}
    for row in csv.DictReader(qrel_text.splitlines(), delimiter="\t"):
        qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = float(row["score"])
    return documents, queries, qrels


def run_benchmark(
    folder: Path,
    settings: Settings,
    embedder: Embedder,
    chunk_size: int = 0,
    progress: bool = True,
    stores: Sequence[tuple[str, IndexStore]] = (),
    reader_rerank: int = 0,
) -> dict[str, Any]:
    """nDCG@10, Recall@100 and time per query of each retrieval mode, for each store in ``stores``
    (default: the file store in a temporary folder), over one embedding of the corpus; with
    ``reader_rerank``, also the reader reranking the hybrid top that many (``evaluation.rerank``)."""
    documents, queries, qrels = load_beir(folder)
    size = chunk_size or WHOLE_DOCUMENT
    config = settings.model_copy(
        update={"chunk_size": size, "chunk_overlap": min(settings.chunk_overlap, size // 4)}
    )
    started = time.perf_counter()
    content = build_content(documents, embedder, config, show_progress=progress, with_sentences=False)
    wanted = index_settings(config, embedder)
    embed_seconds = time.perf_counter() - started
    ids = [q for q in qrels if q in queries]
    vectors = embedder.embed_documents([queries[q] for q in ids])
    depth = 100 * max(1, round(len(content.chunks) / max(1, len(documents))))
    results: dict[str, Any] = {
        "documents": len(documents),
        "chunks": len(content.chunks),
        "queries": len(ids),
        "chunk_size": chunk_size,
        "index_seconds": embed_seconds,
        "model": embedder.name,
        "stores": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for label, store in stores or [("faiss", FileStore(Path(tmp)))]:
            started = time.perf_counter()  # through the real store: written, verified, loaded
            store.write(content, wanted)
            index = store.load(wanted)
            seconds = time.perf_counter() - started
            retriever = store.retriever(index, config.hnsw_ef_search)  # as the service builds it
            modes = {
                mode: _score(retriever, queries, qrels, ids, vectors, depth, settings.rrf_k, mode)
                for mode in MODES
            }
            results["stores"][label] = {"write_and_load_seconds": seconds, "modes": modes}
            if reader_rerank and "reader_rerank" not in results:
                from rag_service.evaluation.rerank import rerank_scores
                from rag_service.reader.model import shared_reader

                texts = {d.name: (d.meta.title, d.text) for d in documents}
                results["reader_rerank"] = rerank_scores(
                    shared_reader(settings.reader_dir), retriever, texts, queries, qrels, ids, vectors,
                    depth, reader_rerank, settings.rrf_k,
                )  # fmt: skip
    results["modes"] = next(iter(results["stores"].values()))["modes"]
    return results


def ranked_documents(retriever: Retriever, query: str, vector: Any, params: SearchParams) -> list[str]:
    """Document ids in the order of their best chunk, as BEIR ranks documents."""
    return metrics.ranked_sources([h.chunk.source for h in retriever.search(query, vector, params)])


def _score(
    retriever: Retriever,
    queries: dict[str, str],
    qrels: dict[str, dict[str, float]],
    ids: list[str],
    vectors: Any,
    depth: int,
    rrf_k: int,
    mode: Mode,
) -> dict[str, float]:
    params = SearchParams(top_k=depth, candidate_pool=depth, rrf_k=rrf_k, mode=mode)
    ndcg, recall = [], []
    t0 = time.perf_counter()
    for qid, vector in zip(ids, vectors, strict=True):
        ranked = ranked_documents(retriever, queries[qid], vector, params)
        ndcg.append(metrics.ndcg_at_k(ranked, qrels[qid], 10))
        recall.append(metrics.recall_at_k(ranked, qrels[qid], 100))
    return {
        "ndcg_at_10": sum(ndcg) / len(ndcg),
        "recall_at_100": sum(recall) / len(recall),
        "ms_per_query": (time.perf_counter() - t0) * 1000 / len(ids),
    }


def format_results(results: dict[str, Any]) -> str:
    names = {"dense": "dense", "lexical": "lexical", "hybrid": "hybrid (RRF)"}
    lines = [
        f"{results['documents']} documents, {results['chunks']} chunks, {results['queries']} test queries, "
        f"model {results['model']}, embedded in {results['index_seconds']:.0f}s",
        "| store | retrieval | nDCG@10 | Recall@100 | ms/query |",
        "|---|---|---|---|---|",
    ]
    for store, result in results["stores"].items():
        for mode, r in result["modes"].items():
            lines.append(
                f"| {store} | {names[mode]} | {r['ndcg_at_10']:.4f} | {r['recall_at_100']:.4f} "
                f"| {r['ms_per_query']:.1f} |"
            )
    if rerank := results.get("reader_rerank"):
        figures = rerank["ndcg_at_10"]
        lines.append(
            f"reader reranking the hybrid top {rerank['top']}: nDCG@10 {figures['reader']:.4f} alone, "
            f"{figures['fused']:.4f} fused with the hybrid rank, against {figures['hybrid']:.4f} "
            f"({rerank['pairs_read']} sentences read, {rerank['ms_per_query']:.0f} ms a query)"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder", type=Path, help="BEIR data set folder (corpus.jsonl, queries.jsonl, qrels/)"
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=0,
        help="characters per chunk; 0 (default) indexes each document whole, as BEIR does",
    )
    parser.add_argument(
        "--stores",
        default="faiss",
        help="comma-separated: faiss, postgres (dense in SQL + BM25 in process), postgres-sql (dense in "
        "SQL + BM25 over postings kept in the database, the postgres default); postgres uses "
        "RAG_DATABASE_URL, or a "
        "throw-away local server when unset",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument(
        "--reader-rerank",
        type=int,
        default=0,
        metavar="N",
        help="also score the reader reranking the hybrid top N documents (20 in the docs' figures)",
    )
    parser.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.embedding.factory import make_embedder

    labels = [name.strip() for name in args.stores.split(",") if name.strip()]
    with benchmark_stores(settings, labels) as stores:
        results = run_benchmark(
            args.folder,
            settings,
            make_embedder(settings),
            args.chunk_size,
            not args.no_progress,
            stores,
            args.reader_rerank,
        )
    print(format_results(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


@contextmanager
def benchmark_stores(settings: Settings, labels: list[str]) -> Iterator[list[tuple[str, IndexStore]]]:
    """The stores named by ``--stores``, each empty; a throw-away PostgreSQL when none is configured."""
    unknown = set(labels) - {"faiss", "postgres", "postgres-sql"}
    if unknown or not labels:
        raise InvalidRequestError(f"--stores takes faiss, postgres, postgres-sql; got {sorted(unknown)}")
    with tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, IndexStore]] = []
        server = None
        try:
            for label in labels:
                if label == "faiss":
                    stores.append((label, FileStore(Path(tmp) / "index")))
                    continue
                from rag_service.store.postgres.database import Database
                from rag_service.store.postgres.store import PostgresStore

                url = settings.database_url.get_secret_value() if settings.database_url else None
                if url is None:
                    from rag_service.store.postgres.local import LocalPostgres

                    server = server or LocalPostgres.create()
                    url = server.url()
                database = Database(url, timeout=60)
                store = PostgresStore(database, lexical="sql" if label == "postgres-sql" else "process")
                stores.append((label, store))
            yield stores
        finally:
            if server is not None:
                server.destroy()
