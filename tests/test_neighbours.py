"""A sentence's rank counts its neighbours' similarity to the question (``answer.neighbours``): the
neighbour map's bounds on small hand-made rows, and a real continuation on the seeds."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from rag_service.answer.extractive import ExtractiveAnswerer
from rag_service.answer.neighbours import neighbour_rows, with_neighbours
from rag_service.retrieval.lexical import content_terms


def _index(*rows: tuple[str, str, int]) -> SimpleNamespace:
    sentences = [SimpleNamespace(source=src, section=section, start=start) for src, section, start in rows]
    return SimpleNamespace(content=SimpleNamespace(sentences=sentences))


def test_neighbours_are_in_text_order_inside_one_document_and_section() -> None:
    index = _index(
        ("a.txt", "body", 40),  # row 0 comes after row 1 in the text
        ("a.txt", "body", 0),
        ("a.txt", "comments", 80),  # a comment never neighbours the article above it
        ("b.txt", "body", 0),
        ("a.txt", "body", 60),
    )
    pairs = neighbour_rows(index, np.zeros(5, dtype=bool))
    assert pairs.tolist() == [[1, 4], [-1, 0], [-1, -1], [-1, -1], [0, -1]]


def test_a_heading_between_two_sentences_is_a_break_not_skipped() -> None:
    index = _index(("a.md", "body", 0), ("a.md", "body", 10), ("a.md", "body", 20))
    heading = np.array([False, True, False])
    pairs = neighbour_rows(index, heading)
    assert pairs[0].tolist() == [-1, -1] and pairs[2].tolist() == [-1, -1]


def test_the_better_neighbour_counts_at_its_weight() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    query = np.array([1.0, 0.0], dtype=np.float32)
    neighbours = np.array([[-1, 1], [0, 2], [1, -1]])
    scores = np.array([0.5, 0.5, 0.5], dtype=np.float32)
    rows = np.array([0, 1, 2])
    lifted = with_neighbours(scores, rows, neighbours, vectors, query, weight=0.1)
    # row 0's only neighbour is orthogonal to the query; row 1 has row 0 (cosine 1) and row 2 (0.6)
    assert np.allclose(lifted, [0.5, 0.6, 0.5])
    assert with_neighbours(scores, rows, neighbours, vectors, query, weight=0.0) is scores
    assert np.allclose(with_neighbours(scores, rows, np.full((3, 2), -1), vectors, query, 0.1), scores)


def test_a_sentence_that_continues_the_passage_on_the_question_joins_the_answer(seeds_pipeline) -> None:
    """ "Such an approach will create opportunities … for Russia in terms of raising funds" answers what
    Russia would gain, but says "involved" and "space exploration" less than the sentence before it,
    which it continues. Ranked by itself alone it falls just outside the four sentences quoted."""
    question = "What would Russia gain from getting other countries involved in space exploration?"
    hits = seeds_pipeline.retrieve(question)
    vector = seeds_pipeline.embedder.embed_query(question)

    def quoted(weight: float) -> str:
        answerer = ExtractiveAnswerer(
            seeds_pipeline.index,
            content_terms,
            model=None,
            threshold=0.0,
            max_sentences=seeds_pipeline.settings.answer_max_sentences,
            neighbour_weight=weight,
        )
        return " ".join(c.quote for c in answerer.answer(question, vector, hits).citations)

    assert "raising funds" in quoted(0.1)
    assert "raising funds" not in quoted(0.0)
    assert "raising funds" in " ".join(c.quote for c in seeds_pipeline.ask(question).citations)
