"""Generative answers from a real OpenAI-compatible server (llama.cpp + SmolLM2-135M)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rag_service.answer.events import Delta
from rag_service.answer.llm import format_passages
from rag_service.api.app import create_app
from rag_service.bench.server import free_port
from rag_service.config import Settings
from rag_service.pipeline import Pipeline
from rag_service.retrieval.lexical import content_terms
from tests.api.test_ask import parse_sse
from tests.conftest import LiveServer, make_settings
from tests.llm.conftest import ALIAS, MAX_TOKENS, LlmServer, llm_env

QUESTIONS = [
    "Who heads Roscosmos?",
    "What does the Glavkosmos abstract say about space junk?",
    "Which countries did Komarov name as BRICS?",
    "What does the abstract say about turning space into a battlefield?",
    "Where was the Space Symposium held?",
]


@pytest.fixture(scope="module")
def llm_pipeline(seeds_pipeline, llm: LlmServer) -> Pipeline:
    settings = seeds_pipeline.settings.model_copy(
        update={
            "llm_backend": "openai",
            "llm_base_url": llm.url,
            "llm_model": ALIAS,
            "llm_max_tokens": MAX_TOKENS,
            "llm_timeout": llm.budget,
            "llm_max_retries": 0,
        }
    )
    return Pipeline(settings, seeds_pipeline.embedder, seeds_pipeline.index)


@pytest.fixture(scope="module")
def answers(llm_pipeline):
    return {q: llm_pipeline.ask(q) for q in QUESTIONS}


def test_round_trip_maps_markers_to_exact_citations(answers, llm_pipeline) -> None:
    documents = llm_pipeline.index.documents
    cited = 0
    for question, answer in answers.items():
        assert answer.backend == "openai:smollm2", question
        assert answer.text.strip()
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert numbers == {c.n for c in answer.citations}, "every marker left names a listed citation"
        for c in answer.citations:
            assert 1 <= c.n <= len(answer.retrieved)
            assert documents[c.source].text[c.start : c.end] == c.quote
            hit = answer.retrieved[c.n - 1].chunk
            assert hit.source == c.source and hit.start <= c.start < hit.end  # the quote is from passage n
        cited += len(answer.citations)
        assert answer.grounding is not None
        if not answer.not_found:
            assert len(answer.grounding.sentences) >= 1
    assert cited > 0, "the model cited nothing in any answer"


def test_grounding_marks_what_the_model_invents(answers) -> None:
    """A sentence whose content words mostly occur nowhere in what the model was shown (the passages
    and their labels: a model that echoes a label has copied, not invented) is invented; every such
    sentence must be marked unsupported, and this model invents often enough that some are."""
    unsupported = 0
    for answer in answers.values():
        if answer.grounding is None:
            continue
        passage_words = set(content_terms(format_passages(answer.retrieved)))
        for check in answer.grounding.sentences:
            words = set(content_terms(check.text))
            novel = len(words - passage_words) / len(words) if words else 0.0
            if novel >= 0.5:
                assert not check.supported, (check.text, check.score)
            unsupported += not check.supported
    assert unsupported > 0


def test_streaming_yields_tokens_then_the_checked_answer(llm_pipeline) -> None:
    events = list(llm_pipeline.stream("Who heads Roscosmos?"))
    deltas = [e for e in events if isinstance(e, Delta)]
    assert len(deltas) > 3
    final = events[-1]
    assert final.grounding is not None and final.backend == "openai:smollm2"


def test_http_chat_streams_llm_tokens(llm: LlmServer, tmp_path, embedder) -> None:
    from rag_service.ingest import ingest_seeds

    ingest_seeds(make_settings(tmp_path), embedder)
    server = LiveServer(tmp_path, **llm_env(llm))
    try:
        server.wait_healthy()
        import httpx

        with httpx.stream(
            "POST",
            f"{server.url}/api/chat",
            json={"question": "Who heads Roscosmos?"},
            timeout=2 * llm.budget,
        ) as response:
            assert response.status_code == 200
            body = "".join(response.iter_text())
        events = parse_sse(body)
        assert [n for n, _ in events][-2:] == ["citations", "done"]
        assert sum(n == "delta" for n, _ in events) > 3
        assert events[-2][1]["backend"] == "openai:smollm2"
        assert events[-2][1]["grounding"]["sentences"]
    finally:
        server.stop()


def test_server_down_is_502_and_the_service_stays_healthy(seeds_pipeline) -> None:
    settings = seeds_pipeline.settings.model_copy(
        update={
            "llm_backend": "openai",
            "llm_base_url": f"http://127.0.0.1:{free_port()}/v1",
            "llm_max_retries": 0,
        }
    )
    pipeline = Pipeline(settings, seeds_pipeline.embedder, seeds_pipeline.index)
    client = TestClient(create_app(settings, pipeline=pipeline))
    response = client.post("/api/ask", json={"question": "Who heads Roscosmos?"})
    assert response.status_code == 502
    assert "cannot reach the LLM server" in response.json()["detail"]
    assert client.get("/api/health").status_code == 200
    # With the fallback switched on, the same failure gives the extractive answer and says so.
    fallback = Pipeline(
        settings.model_copy(update={"llm_fallback": True}), seeds_pipeline.embedder, seeds_pipeline.index
    )
    answer = fallback.ask("Who heads Roscosmos?")
    assert answer.backend == "extractive" and "Komarov" in answer.text
    assert any("language model failed" in n for n in answer.notes)


def test_server_timing_out_is_504(seeds_pipeline, llm_server) -> None:
    settings = seeds_pipeline.settings.model_copy(
        update={
            "llm_backend": "openai",
            "llm_base_url": llm_server,
            "llm_model": "smollm2",
            "llm_timeout": 0.01,
            "llm_max_retries": 0,
        }
    )
    pipeline = Pipeline(settings, seeds_pipeline.embedder, seeds_pipeline.index)
    client = TestClient(create_app(settings, pipeline=pipeline))
    for route, body in (
        ("/api/ask", {"question": "Who heads Roscosmos?"}),
        ("/api/chat", {"question": "Who heads Roscosmos?"}),
    ):
        response = client.post(route, json=body)
        assert response.status_code == 504, route
        assert "did not answer in time" in response.json()["detail"]
    assert client.get("/api/health").status_code == 200


def test_settings_from_environment(monkeypatch, llm: LlmServer) -> None:
    for key, value in llm_env(llm).items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.llm_backend == "openai" and settings.llm_model == "smollm2"


def test_eval_compares_backends_on_the_same_set(llm: LlmServer, tmp_path) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import EVAL_SET

    cases = [
        line
        for line in EVAL_SET.read_text().splitlines()
        if '"s-launches"' in line or '"u-france"' in line or '"g-junk"' in line
    ]
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(cases) + "\n", encoding="utf-8")
    settings = make_settings(tmp_path)
    from rag_service.ingest import ingest_seeds
    from rag_service.pipeline import make_embedder

    ingest_seeds(settings, make_embedder(settings))
    env = {
        **os.environ,
        **llm_env(llm),
        "RAG_SEEDS_DIR": str(settings.seeds_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag_service.cli",
            "eval",
            str(small),
            "--no-progress",
            "--backend",
            "extractive",
            "--backend",
            "openai",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300 + 12 * llm.budget,  # loading, then at most 4 LLM calls for each of 3 cases
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    compare = (tmp_path / "out" / "compare.md").read_text()
    assert "| extractive | openai:smollm2 |" in compare.replace("| metric ", "")
    for stem in ("report-extractive", "report-openai"):
        data = json.loads((tmp_path / "out" / f"{stem}.json").read_text())
        assert data["overall"]["turns"] == 3
