import json

import pytest

from tests.conftest import SPUTNIK


def test_models_lists_the_service(client) -> None:
    data = client.get("/v1/models").json()
    assert data["object"] == "list" and data["data"][0]["id"] == "rag-service"


@pytest.mark.parametrize("model", ["gpt-4o", "Default", "x" * 200, "../etc"])
def test_an_unknown_model_is_a_404_naming_the_models(client, model: str) -> None:
    """Any model name used to be accepted silently; each is a collection now, and a wrong one says so."""
    body = {"model": model, "messages": [{"role": "user", "content": "Who heads Roscosmos?"}]}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "the models here are rag-service" in detail and response.json()["error"]["code"] == 404


@pytest.mark.parametrize("model", ["rag-service", "default"])
def test_the_default_collection_answers_to_both_names(client, model: str) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "Who heads Roscosmos?"}]}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200 and "Komarov" in response.json()["choices"][0]["message"]["content"]


def test_completion_shape_and_citations(client) -> None:
    body = {
        "model": "rag-service",
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "How many space launches does Russia plan in 2017?"},
        ],
    }
    data = client.post("/v1/chat/completions", json=body).json()
    assert data["object"] == "chat.completion"
    content = data["choices"][0]["message"]["content"]
    assert data["choices"][0]["finish_reason"] == "stop"
    assert "30" in content and "\n\nSources:\n[1] " in content
    assert data["citations"][0]["source"] == SPUTNIK
    assert data["rag"]["not_found"] is False
    assert data["usage"]["total_tokens"] > 0


def test_content_parts_and_history_footer_stripped(client) -> None:
    first = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": "Who heads Roscosmos?"}]}
    )
    assistant = first.json()["choices"][0]["message"]["content"]
    body = {
        "messages": [
            {"role": "user", "content": "Who heads Roscosmos?"},
            {"role": "assistant", "content": assistant},
            {
                "role": "user",
                "content": [{"type": "text", "text": "How many launches does Russia plan in 2017?"}],
            },
        ]
    }
    data = client.post("/v1/chat/completions", json=body).json()
    assert "30" in data["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    ("messages", "status", "detail"),
    [
        ([{"role": "assistant", "content": "hello"}], 400, "last message must come from the user"),
        ([{"role": "user", "content": "  "}], 400, "empty"),
        ([], 422, "at least 1 item"),
        ([{"role": "alien", "content": "x"}], 422, "'user', 'assistant' or 'tool'"),
    ],
)
def test_bad_completion_requests_have_openai_errors(client, messages: list, status: int, detail: str) -> None:
    """The statuses the API page documents: 422 for a body the schema refuses, 400 for a well-formed
    conversation without a question to answer."""
    response = client.post("/v1/chat/completions", json={"model": "rag-service", "messages": messages})
    assert response.status_code == status
    body = response.json()
    assert detail in json.dumps(body)
    assert body["error"]["message"] and body["error"]["type"] == "invalid_request_error"


def test_streaming_chunks(client) -> None:
    body = {
        "messages": [{"role": "user", "content": "How many space launches does Russia plan in 2017?"}],
        "stream": True,
    }
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())
    frames = [f[6:] for f in text.split("\n\n") if f.startswith("data: ")]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "30" in content and "Sources:" in content
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]
