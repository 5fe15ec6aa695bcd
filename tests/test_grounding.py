import pytest

from tests.conftest import first_turns

ANSWERABLE = [t["question"] for _, t in first_turns() if t["expected_sources"]]


def _claims(pipeline, text: str, question: str):
    from rag_service.answer.citations import split_marked
    from rag_service.answer.grounding import Claim

    hits = pipeline.retrieve(question)
    sentences = split_marked(text, len(hits))
    vectors = pipeline.embedder.embed_documents([s.text for s in sentences])
    return [Claim(s.text, s.markers, v) for s, v in zip(sentences, vectors, strict=True)], hits


def _passage_with(hits, words: str) -> int:
    return next(n for n, h in enumerate(hits, start=1) if words in h.chunk.text)


def test_every_extractive_answer_is_fully_supported(seeds_pipeline) -> None:
    for question in ANSWERABLE:
        answer = seeds_pipeline.ask(question)
        if answer.not_found:
            assert answer.grounding.sentences == () and answer.grounding.supported_share is None
            continue
        assert answer.grounding.supported_share == 1.0, question
        assert all(c.score > 0.99 for c in answer.grounding.sentences)


def test_paraphrase_is_supported_and_invention_is_not(seeds_pipeline) -> None:
    question = "Who heads Roscosmos?"
    claims, hits = _claims(seeds_pipeline, "x", question)
    n = _passage_with(hits, "Igor Komarov")
    claims, hits = _claims(
        seeds_pipeline,
        f"Igor Komarov is the head of Roscosmos [{n}]. "
        f"Komarov announced a crewed mission to Mars in 2030 with NASA [{n}]. "
        "The agency's budget tripled after the Olympic games.",
        question,
    )
    verdicts = _checker(seeds_pipeline).check(claims, hits)
    assert [s.supported for s in verdicts.sentences] == [True, False, False]
    assert verdicts.supported_share == pytest.approx(1 / 3, abs=1e-3)


def test_uncited_claims_cannot_lean_on_reader_comments(seeds_pipeline) -> None:
    question = "Why doesn't Russia build a reusable rocket that can land vertically?"
    claims, hits = _claims(
        seeds_pipeline, "Russia should build a reusable rocket that can land vertically.", question
    )
    assert any(h.chunk.section == "comments" for h in hits)
    uncited = _checker(seeds_pipeline).check(claims, hits).sentences[0]
    n = _passage_with(hits, "reusable")
    cited, _ = _claims(
        seeds_pipeline, f"Russia should build a reusable rocket that can land vertically [{n}].", question
    )
    cited_check = _checker(seeds_pipeline).check(cited, hits).sentences[0]
    assert not uncited.supported
    assert cited_check.score > uncited.score


def _checker(pipeline):
    from rag_service.answer.grounding import GroundingChecker
    from rag_service.retrieval.lexical import content_terms

    return GroundingChecker(
        pipeline.index.content,
        content_terms,
        pipeline.settings.grounding_threshold,
        pipeline.embedder.embed_documents,
    )
