import pytest

from rag_service.answer.citations import cite_passages, render, split_marked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Komarov heads Roscosmos [1].", [("Komarov heads Roscosmos.", (1,))]),
        ("A [1]. B [2][3]. C [1, 3].", [("A.", (1,)), ("B.", (2, 3)), ("C.", (1, 3))]),
        ("First claim. [2] Second claim.", [("First claim.", (2,)), ("Second claim.", ())]),
        ("Made-up source [7]. Real one [1].", [("Made-up source.", ()), ("Real one.", (1,))]),
        ("No markers at all", [("No markers at all", ())]),
        ("  ", []),
    ],
)
def test_split_marked(text: str, expected: list) -> None:
    assert [(s.text, s.markers) for s in split_marked(text, passages=3)] == expected


def test_render_drops_invalid_markers() -> None:
    assert render(split_marked("A [1][9]. B [0].", passages=2)) == "A. [1] B."


def test_cited_passages_become_verbatim_sentence_citations(seeds_pipeline) -> None:
    p = seeds_pipeline
    question = "How many launches does Russia plan in 2017?"
    hits = p.retrieve(question)
    passage = next(n for n, h in enumerate(hits, start=1) if "30 Space Launches" in h.chunk.text)
    sentences = split_marked(
        f"Russia plans at least 30 launches in 2017 [{passage}]. Nothing else [99].", len(hits)
    )
    vectors = p.embedder.embed_documents([s.text for s in sentences])
    citations = cite_passages(sentences, vectors, hits, p.index.content, p.index.documents)
    assert [c.n for c in citations] == [passage]
    c = citations[0]
    assert c.quote == "Russia Plans at Least 30 Space Launches in 2017 - Roscosmos"
    assert p.index.documents[c.source].text[c.start : c.end] == c.quote
