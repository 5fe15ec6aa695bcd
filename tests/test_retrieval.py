import itertools

import pytest

from rag_service.retrieval.lexical import LexicalIndex
from tests.conftest import first_turns

ANSWERABLE = [(cid, t) for cid, t in first_turns() if t["expected_sources"]]


@pytest.mark.parametrize(("case_id", "turn"), ANSWERABLE, ids=[c for c, _ in ANSWERABLE])
def test_retrieval_finds_the_right_files(seeds_pipeline, case_id: str, turn: dict) -> None:
    p = seeds_pipeline
    hits = p.retrieve(turn["question"], 6)
    assert set(turn["expected_sources"]) <= {h.chunk.source for h in hits}


def test_top_hit_is_from_an_expected_file_for_most_questions(seeds_pipeline) -> None:
    p = seeds_pipeline
    misses = []
    for case_id, turn in ANSWERABLE:
        question = turn["question"]
        top = p.retrieve(question, 1)[0]
        if top.chunk.source not in turn["expected_sources"]:
            misses.append(case_id)
    assert len(misses) / len(ANSWERABLE) <= 0.1, misses


def test_hybrid_fuses_both_rankings(seeds_pipeline) -> None:
    p = seeds_pipeline
    question = "Russia Plans at Least 30 Space Launches in 2017"
    hits = p.retrieve(question, 5)
    top = hits[0]
    assert top.dense_score is not None and top.lexical_score is not None
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


@pytest.mark.parametrize("mode", ["dense", "lexical"])
def test_single_mode_uses_one_retriever(seeds_pipeline, mode: str) -> None:
    p = seeds_pipeline
    question = "BRICS countries"
    hits = p.retrieve(question, 3, mode=mode)
    assert hits
    if mode == "dense":
        assert all(h.lexical_score is None for h in hits)
    else:
        assert all(h.dense_score is None for h in hits)


def test_lexical_index_ignores_unknown_and_stop_words() -> None:
    index = LexicalIndex(["rockets fly to orbit", "satellites circle the earth"])
    assert index.search("the of and", 5) == []
    assert index.search("zzzz", 5) == []
    assert [row for row, _ in index.search("rocket", 5)] == [0]
