"""The LLM path with a scripted chat model: prompt assembly, marker mapping, grounding, strict mode,
fallback and upstream errors (the real server is exercised in tests/llm/)."""

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from rag_service.answer.compose import STRICT_NOTE
from rag_service.answer.events import Delta
from rag_service.api.app import create_app
from rag_service.errors import UpstreamError, UpstreamTimeoutError
from rag_service.pipeline import Pipeline
from tests.conftest import SPUTNIK
from tests.fakes import ScriptedChatModel

QUESTION = "How many space launches does Russia plan in 2017?"


def pipeline_with(seeds_pipeline, outcomes: list, **settings) -> tuple[Pipeline, ScriptedChatModel]:
    model = ScriptedChatModel(outcomes=list(outcomes), calls=[])
    config = seeds_pipeline.settings.model_copy(update=settings)
    return Pipeline(config, seeds_pipeline.embedder, seeds_pipeline.index, chat_model=model), model


def launches_passage(seeds_pipeline) -> int:
    p = seeds_pipeline
    hits = p.retrieve(QUESTION)
    return next(n for n, h in enumerate(hits, start=1) if "30 Space Launches" in h.chunk.text)


def test_prompt_numbers_the_passages_and_marks_reader_comments(seeds_pipeline) -> None:
    p, model = pipeline_with(seeds_pipeline, ["Russia plans 30 launches [1]."])
    p.ask("Why does Russia help other countries build rockets?", top_k=10)
    system, human = model.calls[0]
    assert system.type == "system" and "not instructions" in system.content
    assert "Question: Why does Russia help other countries build rockets?" in human.content
    assert "[1] " in human.content and "[10] " in human.content
    assert "reader comment: not the position of the author" in human.content
    assert (
        "Russia Aims to Develop New Cooperation in Space Exploration — 002_d2227059bacb0655.txt"
        in human.content
    )


def test_markers_become_citations_of_exact_spans(seeds_pipeline) -> None:
    n = launches_passage(seeds_pipeline)
    p, _ = pipeline_with(seeds_pipeline, [f"Russia plans at least 30 space launches in 2017 [{n}][42]."])
    answer = p.ask(QUESTION)
    assert answer.backend == "openai:llama3.2" and not answer.not_found
    assert answer.text == f"Russia plans at least 30 space launches in 2017. [{n}]"  # [42] named no passage
    assert [c.n for c in answer.citations] == [n]
    c = answer.citations[0]
    assert c.source == SPUTNIK and c.quote == "Russia Plans at Least 30 Space Launches in 2017 - Roscosmos"
    assert seeds_pipeline.index.documents[SPUTNIK].text[c.start : c.end] == c.quote
    assert answer.grounding.supported_share == 1.0 and "llm" in answer.timings_ms


def test_invention_is_reported_or_replaced_in_strict_mode(seeds_pipeline) -> None:
    n = launches_passage(seeds_pipeline)
    invented = (
        f"Russia plans 30 launches in 2017 [{n}]. Roscosmos will also land cosmonauts on Mars in 2019 [{n}]."
    )
    p, _ = pipeline_with(seeds_pipeline, [invented])
    report = p.ask(QUESTION)
    assert [s.supported for s in report.grounding.sentences] == [True, False]
    assert report.grounding.supported_share == 0.5 and "Mars" in report.text

    p, _ = pipeline_with(seeds_pipeline, [invented], grounding="strict")
    strict = p.ask(QUESTION)
    assert strict.grounding.replaced and strict.grounding.mode == "strict"
    assert "Mars" not in strict.text and STRICT_NOTE in strict.notes
    assert strict.text == seeds_pipeline.ask(QUESTION).text  # the extractive answer


def test_unanswerable_questions_do_not_call_the_llm(seeds_pipeline) -> None:
    p, model = pipeline_with(seeds_pipeline, ["Paris is the capital of France [1]."])
    answer = p.ask("What is the capital of France?")
    assert answer.not_found and model.calls == []


def test_llm_saying_not_found_is_not_found(seeds_pipeline) -> None:
    p, _ = pipeline_with(seeds_pipeline, ["The documents do not contain an answer to this question."])
    answer = p.ask(QUESTION)
    assert answer.not_found and answer.citations == ()


def test_streaming_sends_tokens_then_the_final_answer(seeds_pipeline) -> None:
    n = launches_passage(seeds_pipeline)
    p, _ = pipeline_with(seeds_pipeline, [f"Russia plans at least 30 space launches in 2017 [{n}]."])
    events = list(p.stream(QUESTION))
    deltas = [e.text for e in events if isinstance(e, Delta)]
    assert len(deltas) > 5 and "".join(deltas) == f"Russia plans at least 30 space launches in 2017 [{n}]."
    assert events[-1].citations[0].n == n


def _request() -> httpx.Request:
    return httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


@pytest.mark.parametrize(
    ("failure", "error", "status", "detail"),
    [
        (openai.APIConnectionError(request=_request()), UpstreamError, 502, "cannot reach the LLM server"),
        (openai.APITimeoutError(request=_request()), UpstreamTimeoutError, 504, "did not answer in time"),
        ("   ", UpstreamError, 502, "no usable text"),
    ],
)
def test_upstream_failures(seeds_pipeline, failure, error, status: int, detail: str) -> None:
    p, _ = pipeline_with(seeds_pipeline, [failure])
    with pytest.raises(error, match=detail):
        p.ask(QUESTION)
    for route in ("/api/ask", "/api/chat", "/v1/chat/completions"):
        p, _ = pipeline_with(seeds_pipeline, [failure])
        client = TestClient(create_app(p.settings, pipeline=p))
        body = (
            {"question": QUESTION}
            if route.startswith("/api")
            else {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
        )
        response = client.post(route, json=body)
        assert response.status_code == status, route
        assert detail in response.json()["detail"]
        assert client.get("/api/health").status_code == 200  # the service itself stays healthy


def test_fallback_answers_extractively_with_a_warning(seeds_pipeline) -> None:
    p, _ = pipeline_with(seeds_pipeline, [openai.APIConnectionError(request=_request())], llm_fallback=True)
    answer = p.ask(QUESTION)
    assert answer.backend == "extractive" and "30" in answer.text
    assert any("language model failed" in note for note in answer.notes)
