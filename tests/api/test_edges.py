"""Input the schema must refuse before any work, headers on every response, and HEAD probes."""

from __future__ import annotations

import json

import pytest

from rag_service.api.limits import PAGE_POLICY

SURROGATE_BODY = '{"model": "\\udc00", "messages": [{"role": "user", "content": "Who heads Roscosmos?"}]%s}'


@pytest.mark.parametrize("stream", ["", ', "stream": true'])
def test_a_lone_surrogate_in_an_echoed_field_is_a_422(client, stream: str) -> None:
    response = client.post(
        "/v1/chat/completions",
        content=(SURROGATE_BODY % stream).encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "unicode" in json.dumps(response.json()["detail"]).lower()
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        (
            "/api/ask",
            '{"question": "Who heads Roscosmos?", "history": [{"role": "user", "content": "\\ud800"}]}',
        ),
        ("/api/chat", '{"question": "Who heads \\udfff Roscosmos?"}'),
        (
            "/v1/chat/completions",
            '{"messages": [{"role": "user", "content": [{"type": "text", "text": "\\ud801"}]}]}',
        ),
    ],
)
def test_lone_surrogates_anywhere_in_text_are_refused(client, route: str, body: str) -> None:
    response = client.post(route, content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422 and "unicode" in response.text.lower()


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/ask", {"question": "Who heads Roscosmos?", "top_k": True}),
        ("/api/ask", {"question": "Who heads Roscosmos?", "top_k": "3"}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi?"}], "top_k": True}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi?"}], "stream": "yes"}),
    ],
)
def test_numbers_and_flags_are_not_coerced(client, route: str, body: dict) -> None:
    response = client.post(route, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] in ("top_k", "stream")


def test_openai_n_above_one_is_refused(client) -> None:
    body = {"messages": [{"role": "user", "content": "Who heads Roscosmos?"}], "n": 2}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    assert "n is 2" in response.json()["detail"] and response.json()["error"]["message"]
    assert client.post("/v1/chat/completions", json={**body, "n": 1}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/api/health"])
def test_head_answers_like_get_without_a_body(client, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


def test_the_page_carries_security_headers(client) -> None:
    for path in ("/", "/static/app.js", "/static/style.css"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == PAGE_POLICY
        assert "script-src 'self'" in PAGE_POLICY and "unsafe-inline" not in PAGE_POLICY
        assert "frame-ancestors 'none'" in PAGE_POLICY
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    api = client.get("/api/health").headers
    assert api["content-security-policy"].startswith("default-src 'none'")
    assert api["x-content-type-options"] == "nosniff"
    assert client.get("/api/nothing").headers["x-frame-options"] == "DENY"


def test_too_many_or_too_large_headers_are_a_431(client) -> None:
    many = {f"x-filler-{i}": "1" for i in range(150)}
    response = client.get("/api/health", headers=many)
    assert response.status_code == 431 and "RAG_MAX_HEADERS" in response.json()["detail"]
    large = client.get("/api/health", headers={"x-large": "a" * 20_000})
    assert large.status_code == 431 and "RAG_MAX_HEADER_BYTES" in large.json()["detail"]
    assert client.get("/api/health", headers={"x-normal": "a" * 1000}).status_code == 200


def test_nul_characters_are_dropped_on_the_openai_route(client) -> None:
    """PostgreSQL's text type cannot hold NUL: a client's stray NUL gives the answer it would without it."""
    clean = [{"role": "user", "content": "Who heads Roscosmos?"}]
    dirty = [
        {"role": "user", "content": [{"type": "text", "text": "Who is\u0000 Komarov?"}]},
        {"role": "assistant", "content": "Igor\u0000 Komarov."},
        {"role": "user", "content": "Who heads\u0000 Roscosmos?"},
    ]
    answers = [client.post("/v1/chat/completions", json={"messages": m}) for m in (clean, dirty)]
    assert [a.status_code for a in answers] == [200, 200], answers[1].text
    assert "\u0000" not in answers[1].text


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/api/collections", {"name": "h\u0000r"}, "name"),
        ("/api/keys", {"label": "ops\u0000", "role": "reader"}, "label"),
    ],
)
def test_nul_characters_in_names_and_labels_are_refused(client, route: str, body: dict, field: str) -> None:
    """Not dropped there: a collection silently renamed "hr" is worse than a clear 422 (and PostgreSQL,
    where keys live on that store, cannot hold NUL)."""
    response = client.post(route, json=body, headers={"Authorization": "Bearer test-admin-key"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field
    assert "NUL character (U+0000) at character" in response.text
