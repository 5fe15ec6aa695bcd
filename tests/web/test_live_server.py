"""Against a real uvicorn subprocess: the official openai client, LangChain's ChatOpenAI, curl-style SSE."""

import httpx
from langchain_core.messages import AIMessage, HumanMessage
from langchain_openai import ChatOpenAI
from openai import BadRequestError, OpenAI

from tests.conftest import SPUTNIK


def _client(live_server) -> OpenAI:
    """A client closed by its ``with`` block, so no keep-alive socket outlives the test."""
    return OpenAI(base_url=f"{live_server.url}/v1", api_key="unused", max_retries=0)


def test_openai_client_round_trip(live_server) -> None:
    with _client(live_server) as client:
        assert [m.id for m in client.models.list()] == ["rag-service"]
        completion = client.chat.completions.create(
            model="rag-service",
            messages=[{"role": "user", "content": "How many launches does Russia plan in 2017?"}],
        )
    content = completion.choices[0].message.content
    assert content and "30" in content and "Sources:" in content
    extra = completion.model_extra or {}
    assert extra["citations"][0]["source"] == SPUTNIK


def test_openai_client_streaming(live_server) -> None:
    pieces, citations = [], None
    with _client(live_server) as client:
        stream = client.chat.completions.create(
            model="rag-service",
            stream=True,
            messages=[{"role": "user", "content": "Who heads Roscosmos?"}],
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            citations = (chunk.model_extra or {}).get("citations", citations)
    assert len(pieces) > 2 and "Komarov" in "".join(pieces)
    assert citations and citations[0]["source"] == SPUTNIK


def test_openai_client_sees_clear_errors(live_server) -> None:
    try:
        with _client(live_server) as client:
            client.chat.completions.create(
                model="rag-service", messages=[{"role": "assistant", "content": "hi"}]
            )
    except BadRequestError as exc:
        assert "last message must come from the user" in str(exc)
    else:
        raise AssertionError("expected a 400")


def test_langchain_chat_openai(live_server) -> None:
    # Our own httpx client, closed at the end: ChatOpenAI's default one would keep its keep-alive socket
    # to the server until the interpreter's last garbage collection, which pytest reports as a failure.
    with httpx.Client(timeout=60) as http_client:
        llm = ChatOpenAI(
            base_url=f"{live_server.url}/v1", api_key="unused", model="rag-service", http_client=http_client
        )
        reply = llm.invoke(
            [
                HumanMessage("Who heads Roscosmos?"),
                AIMessage("Igor Komarov."),
                HumanMessage("How many space launches does Russia plan in 2017?"),
            ]
        )
        streamed = "".join(str(chunk.content) for chunk in llm.stream("Who heads Roscosmos?"))
    assert "30" in str(reply.content)
    assert "Komarov" in streamed


def test_sse_over_real_http(live_server) -> None:
    with httpx.stream(
        "POST", f"{live_server.url}/api/chat", json={"question": "Who heads Roscosmos?"}, timeout=30
    ) as response:
        assert response.status_code == 200
        frames = [line for line in response.iter_lines() if line.startswith("event: ")]
    assert frames[0] == "event: delta" and frames[-2:] == ["event: citations", "event: done"]


def test_ingest_key_over_http(live_server) -> None:
    url = f"{live_server.url}/api/ingest"
    assert httpx.post(url, timeout=30).status_code == 401
    response = httpx.post(url, headers={"Authorization": "Bearer test-key-123"}, timeout=120)
    assert response.status_code == 200 and response.json()["unchanged"]
