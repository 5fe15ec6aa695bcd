"""bench-retrieval on a small BEIR-format data set made here, where the right documents are obvious."""

import json
from pathlib import Path

import pytest

from rag_service.errors import InvalidRequestError
from rag_service.evaluation.beir import format_results, load_beir, run_benchmark

CORPUS = {
    "d1": (
        "Photosynthesis in plants",
        "Chlorophyll absorbs sunlight to turn carbon dioxide and water into sugar.",
    ),
    "d2": ("Volcanic eruptions", "Magma rises through the crust and erupts as lava, ash and volcanic gases."),
    "d3": ("Honey bee navigation", "Bees communicate the direction of flowers with a waggle dance."),
    "d4": ("Ocean tides", "The gravitational pull of the moon raises tides in the oceans twice a day."),
    "d5": ("Black holes", "A black hole bends spacetime so strongly that not even light escapes."),
}
QUERIES = {
    "q1": "How do plants make sugar from sunlight?",
    "q2": "Why does the sea rise and fall each day?",
    "q3": "waggle dance of bees",
    "q9": "a query without judgements",
}
QRELS = [("q1", "d1", 1), ("q2", "d4", 1), ("q3", "d3", 2)]


@pytest.fixture
def beir_dir(tmp_path: Path) -> Path:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "title": t, "text": x}) for k, (t, x) in CORPUS.items()),
        encoding="utf-8",
    )
    (tmp_path / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": k, "text": v}) for k, v in QUERIES.items()), encoding="utf-8"
    )
    (tmp_path / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "\n".join(f"{q}\t{d}\t{s}" for q, d, s in QRELS), encoding="utf-8"
    )
    return tmp_path


def test_loads_title_plus_text(beir_dir: Path) -> None:
    documents, queries, qrels = load_beir(beir_dir)
    assert documents[0].name == "d1" and documents[0].text.startswith(
        "Photosynthesis in plants\n\nChlorophyll"
    )
    assert queries["q3"] == "waggle dance of bees" and qrels["q3"] == {"d3": 2.0}


@pytest.mark.parametrize("chunk_size", [0, 60])
def test_scores_every_mode(beir_dir: Path, settings, embedder, chunk_size: int) -> None:
    results = run_benchmark(beir_dir, settings, embedder, chunk_size=chunk_size, progress=False)
    assert results["queries"] == 3 and results["documents"] == 5
    assert (results["chunks"] == 5) if chunk_size == 0 else (results["chunks"] > 5)
    for mode in ("dense", "lexical", "hybrid"):
        assert results["modes"][mode]["recall_at_100"] == 1.0
    assert results["modes"]["dense"]["ndcg_at_10"] == pytest.approx(1.0)
    assert results["modes"]["hybrid"]["ndcg_at_10"] > 0.9
    assert "hybrid (RRF)" in format_results(results)


def test_not_a_beir_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="not a BEIR data set"):
        load_beir(tmp_path)


def test_the_reader_reranks_the_hybrid_top_and_every_order_is_scored(
    beir_dir: Path, settings, embedder
) -> None:
    results = run_benchmark(beir_dir, settings, embedder, progress=False, reader_rerank=3)
    rerank = results["reader_rerank"]
    assert rerank["top"] == 3 and rerank["queries"] == 3
    assert rerank["pairs_read"] == 9  # three documents of one sentence each, for three queries
    assert rerank["ndcg_at_10"]["hybrid"] == pytest.approx(results["modes"]["hybrid"]["ndcg_at_10"])
    assert rerank["ndcg_at_10"]["reader"] > 0.9  # each query's document holds its answer plainly
    assert "reader reranking the hybrid top 3" in format_results(results)


def test_fusion_keeps_the_items_and_prefers_what_both_orders_rank_high() -> None:
    from rag_service.evaluation.rerank import fused

    assert fused(["a", "b", "c"], ["c", "a", "b"], rrf_k=60) == ["a", "c", "b"]
    assert sorted(fused(["x", "y"], ["y", "x"], rrf_k=1)) == ["x", "y"]
