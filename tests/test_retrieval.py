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


def test_a_dotted_number_is_a_term_of_its_own() -> None:
    from rag_service.retrieval.lexical import index_terms

    assert {"2.11.1", "3.10"} <= set(index_terms("man-db 2.11.1 needs Python v3.10"))
    assert "0.05" not in index_terms("p < 0.05 at 1.5 mg")  # a measure is no release: only its parts
    index = LexicalIndex(
        [
            "man-db 2.11.2 (8 January 2023) fixes a crash.",
            "man-db 2.11.1 (15 November 2022) moves the repository.",
            "man-db 2.11.0 (15 October 2022) adds a section.",
        ]
    )
    # as words, each release is "man", "db", "11": all three would tie
    assert next(row for row, _ in index.search("man-db 2.11.1", 3)) == 1
    assert len({score for _, score in index.search("man-db 2.11.1", 3)}) > 1


def test_the_in_process_index_cuts_texts_as_queries_are_cut() -> None:
    import bm25s
    import Stemmer

    from rag_service.retrieval.lexical import index_terms

    text = "The Kestrel Bridge's tolls were lowered in 1935 (toll system 2.1.4), and the ferries ran on."
    tokens = bm25s.tokenize([text], stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)
    words = [word for word, _ in sorted(tokens.vocab.items(), key=lambda pair: pair[1])]
    terms = index_terms(text)
    assert terms[-1] == "2.1.4" and terms[:-1] == [words[i] for i in tokens.ids[0]]


def test_a_collection_is_cut_as_each_of_its_texts_is() -> None:
    from rag_service.retrieval.lexical import index_terms, indexed_terms

    texts = ["Fix crashes in man-db 2.11.1 (v3.10 too).", "", "Stemming stems stemmed: 1.5 mg", "of"]
    assert list(indexed_terms(texts)) == [index_terms(text) for text in texts]
