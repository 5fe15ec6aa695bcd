import json

import pytest

from tests.conftest import SPUTNIK


def parse_sse(body: str) -> list[tuple[str, dict]]:
    events = []
    for frame in body.split("\n\n"):
        if not frame.strip():
            continue
        lines = frame.split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: "), frame
        events.append((lines[0][7:], json.loads(lines[1][6:])))
    return events


def test_ask_answers_with_citations(client, seeds_pipeline) -> None:
    response = client.post("/api/ask", json={"question": "How many space launches does Russia plan in 2017?"})
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= {"answer", "citations", "not_found", "retrieved", "timings_ms"}
    assert not data["not_found"] and "30" in data["answer"]
    citation = data["citations"][0]
    assert citation["source"] == SPUTNIK
    text = seeds_pipeline.index.documents[SPUTNIK].text
    assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert data["retrieved"] and data["retrieved"][0]["title"]
    # The words that answer, inside the first quote, by exact offsets into the document.
    start, end = citation["answer_span"]
    assert citation["start"] <= start < end <= citation["end"] and text[start:end] == "30"
    assert all(c["answer_span"] is None for c in data["citations"][1:])


def test_ask_not_found(client) -> None:
    data = client.post("/api/ask", json={"question": "What is the capital of France?"}).json()
    assert data["not_found"] is True and data["citations"] == []


def test_nul_characters_are_dropped(client) -> None:
    """PostgreSQL's text type cannot hold NUL (``rag_service.questions``): dropped, as spaces around a
    question are, so every store answers what it would answer without them."""
    clean = client.post("/api/ask", json={"question": "Who heads Roscosmos?"}).json()
    history = [{"role": "user", "content": "Who\u0000 is Komarov?"}, {"role": "assistant", "content": "He."}]
    dirty = client.post("/api/ask", json={"question": "Who heads\u0000 Roscosmos?\u0000"}).json()
    assert (dirty["answer"], dirty["citations"]) == (clean["answer"], clean["citations"])
    follow = client.post("/api/ask", json={"question": "And his deputy?", "history": history})
    assert follow.status_code == 200 and "\u0000" not in follow.json()["standalone_question"]


@pytest.mark.parametrize("question", ["???", "the", "Is it?"])
def test_question_without_words_is_declined(client, question: str) -> None:
    """Nothing to look up: before, the best-scoring sentence of the seeds was quoted for "???"."""
    data = client.post("/api/ask", json={"question": question}).json()
    assert data["not_found"] is True and data["citations"] == []
    assert any("no word to look up" in note for note in data["notes"])


@pytest.mark.parametrize("closing", ["Thanks!", "OK, got it", "Thank you very much!"])
def test_a_turn_of_courtesy_is_not_answered_from_the_documents(client, closing: str) -> None:
    """Before, "Thanks!" after a question about the reader comments was condensed with it and answered
    with three comments."""
    first = "What do readers think about BRICS?"
    answer = client.post("/api/ask", json={"question": first}).json()["answer"]
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": answer}]
    data = client.post("/api/ask", json={"question": closing, "history": history}).json()
    assert data["standalone_question"] == closing
    assert data["not_found"] is True and data["citations"] == []
    assert any("no word to look up" in note for note in data["notes"])


def test_follow_up_without_words_reads_its_context(client) -> None:
    history = [
        {"role": "user", "content": "How many space launches does Russia plan in 2017?"},
        {"role": "assistant", "content": "Russia Plans at Least 30 Space Launches in 2017 - Roscosmos [1]"},
    ]
    data = client.post("/api/ask", json={"question": "And?", "history": history}).json()
    assert not any("no word to look up" in note for note in data["notes"])
    assert data["standalone_question"] != "And?"


def test_top_k_limits_retrieved(client) -> None:
    data = client.post("/api/ask", json={"question": "BRICS", "top_k": 2}).json()
    assert len(data["retrieved"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"question": ""}, 422, "question is empty"),
        ({"question": "   "}, 422, "question is empty"),
        ({"question": "\u200b\u0007"}, 422, "question is empty"),
        ({}, 422, "Field required"),
        ({"question": 42}, 422, "valid string"),
        ({"question": "hi", "history": "nope"}, 422, "valid list"),
        ({"question": "hi", "history": [{"role": "wizard", "content": "x"}]}, 422, "'user' or 'assistant'"),
        ({"question": "hi", "top_k": 0}, 422, "greater than or equal to 1"),
        ({"question": "hi", "top_k": "many"}, 422, "valid integer"),
        ({"question": "hi", "surprise": 1}, 422, "Extra inputs"),
        ({"question": "x" * 2001}, 400, "the limit is 2000"),
        ({"question": "hi", "top_k": 51}, 400, "the limit is 50"),
        ({"question": "hi", "history": [{"role": "user", "content": "q"}] * 21}, 400, "the limit is 20"),
        ({"question": "hi", "history": [{"role": "user", "content": "q" * 8001}]}, 400, "the limit is 8000"),
    ],
)
@pytest.mark.parametrize("route", ["/api/ask", "/api/chat"])
def test_bad_requests_get_clear_4xx(client, route: str, body: dict, status: int, detail: str) -> None:
    response = client.post(route, json=body)
    assert response.status_code == status
    assert detail in json.dumps(response.json()["detail"])


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{bad json", "application/json"),
        (b"\xff\xfe\xfa", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"question=hi", "application/x-www-form-urlencoded"),
        (b"null", "application/json"),
    ],
)
def test_malformed_bodies_are_4xx_with_detail(client, content: bytes, content_type: str) -> None:
    response = client.post("/api/ask", content=content, headers={"content-type": content_type})
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_oversized_body_is_413_naming_the_limit(client, seeds_pipeline) -> None:
    limit = seeds_pipeline.settings.max_body_bytes
    response = client.post(
        "/api/ask", content=b"x" * (limit + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert f"{limit} bytes" in response.json()["detail"]

    def chunks():
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    response = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_chat_streams_server_sent_events(client) -> None:
    with client.stream(
        "POST", "/api/chat", json={"question": "Which countries did Komarov name as BRICS?"}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    assert body.endswith("\n\n")
    events = parse_sse(body)
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"]
    assert set(names[:-2]) == {"delta"} and len(names) > 3
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    citations, done = events[-2][1], events[-1][1]
    assert streamed == done["answer"]
    assert citations["citations"] and "[1]" in streamed
    assert "timings_ms" in done and "standalone_question" in citations
