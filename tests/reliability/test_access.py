"""Access, limits and logs: CORS, loopback binding, API keys, request logs without secrets or questions,
the concurrency limit and the slow-client timeout, on real servers."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.config import Settings
from tests.conftest import LiveServer


def test_server_binds_to_loopback_by_default() -> None:
    assert Settings().host == "127.0.0.1"


def test_cors_is_same_origin_unless_configured(seeds_pipeline) -> None:
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    closed = TestClient(create_app(seeds_pipeline.settings, pipeline=seeds_pipeline))
    response = closed.options("/api/ask", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    assert (
        "access-control-allow-origin"
        not in closed.get("/api/health", headers={"Origin": "http://evil.example"}).headers
    )
    open_settings = seeds_pipeline.settings.model_copy(update={"cors_origins": ["http://good.example"]})
    opened = TestClient(create_app(open_settings, pipeline=seeds_pipeline))
    good = opened.options("/api/ask", headers={**preflight, "Origin": "http://good.example"})
    assert good.headers["access-control-allow-origin"] == "http://good.example"
    assert "access-control-allow-origin" not in opened.options("/api/ask", headers=preflight).headers


def test_request_logs_are_structured_and_keep_secrets_out(live_server) -> None:
    question = "Which countries did Komarov name as BRICS? marker-7731"
    headers = {"X-Request-ID": "trace-abc-123"}
    response = httpx.post(
        f"{live_server.url}/api/ask", json={"question": question}, headers=headers, timeout=30
    )
    assert response.headers["x-request-id"] == "trace-abc-123"
    httpx.post(f"{live_server.url}/api/ingest", headers={"Authorization": "Bearer test-key-123"}, timeout=120)
    httpx.post(f"{live_server.url}/api/ingest", headers={"X-API-Key": "test-key-124"}, timeout=30)
    deadline = time.monotonic() + 10  # the last request's access line, read from the server by a thread
    while '"status": 401' not in live_server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = live_server.output()
    assert "test-key-12" not in log, "an API key reached the log"
    assert "marker-7731" not in log, "question text is logged although RAG_LOG_QUESTIONS is off"
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    mine = next(line for line in lines if line["request_id"] == "trace-abc-123")
    assert mine["route"] == "/api/ask" and mine["status"] == 200 and mine["latency_ms"] > 0
    assert mine["sources"] and mine["index_version"].startswith("v-")
    assert any(line["route"] == "/api/ingest" and line["status"] == 401 for line in lines)


def test_questions_are_logged_only_when_enabled(tmp_path, embedder) -> None:
    from rag_service.ingest import ingest_seeds
    from tests.conftest import make_settings

    ingest_seeds(make_settings(tmp_path), embedder)
    server = LiveServer(tmp_path, RAG_LOG_QUESTIONS="true", RAG_MAX_CONCURRENCY="2", RAG_CLIENT_TIMEOUT="1")
    try:
        server.wait_healthy()
        httpx.post(f"{server.url}/api/ask", json={"question": "Who heads Roscosmos? marker-991"}, timeout=30)
        logged = '"question": "Who heads Roscosmos? marker-991"'
        deadline = time.monotonic() + 10  # the server's output is read by a thread: wait for it, bounded
        while logged not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert logged in server.output()
        check_concurrency_limit(server.url)
        check_slow_client_is_cut_off(server.port)
        check_slow_bodies_hold_no_slot(server.url, server.port)
    finally:
        server.stop()


def check_concurrency_limit(url: str) -> None:
    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return await asyncio.gather(
                *(client.post("/api/ask", json={"question": f"Who heads Roscosmos? {i}"}) for i in range(40))
            )

    responses = asyncio.run(burst())
    statuses = {r.status_code for r in responses}
    assert statuses <= {200, 503} and 503 in statuses and 200 in statuses
    busy = next(r for r in responses if r.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "RAG_MAX_CONCURRENCY" in busy.json()["detail"]
    assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200


def check_slow_client_is_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"question":'
        )
        started = time.monotonic()
        reply = b""
        while b"RAG_CLIENT_TIMEOUT" not in reply and time.monotonic() - started < 10:
            chunk = sock.recv(4096)  # headers and body may arrive in separate segments
            if not chunk:
                break
            reply += chunk
        assert time.monotonic() - started < 5
    assert reply.startswith(b"HTTP/1.1 408") and b"RAG_CLIENT_TIMEOUT" in reply


def _slow_sender(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"question":'
    )
    return sock


def check_slow_bodies_hold_no_slot(url: str, port: int) -> None:
    """Twice RAG_MAX_CONCURRENCY (2) clients still sending their bodies: others are answered meanwhile,
    and each slow one gets its 408."""
    slow = [_slow_sender(port) for _ in range(4)]
    try:
        time.sleep(0.2)
        answered = httpx.post(f"{url}/api/ask", json={"question": "Who heads Roscosmos?"}, timeout=30)
        assert answered.status_code == 200, answered.text
        for sock in slow:
            reply = b""
            while b"RAG_CLIENT_TIMEOUT" not in reply:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
            assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    finally:
        for sock in slow:
            sock.close()


def _raw_request(port: int, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def test_real_server_limits_headers_and_answers_head(live_server) -> None:
    big = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    assert _raw_request(live_server.port, big).split(b"\r\n")[0].split()[1] == b"431"
    many = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(
        b"X-H%d: 1\r\n" % i for i in range(10_000)
    )
    assert _raw_request(live_server.port, many + b"\r\n").split(b"\r\n")[0].split()[1] == b"431"
    for path in ("/", "/api/health"):
        head = httpx.head(f"{live_server.url}{path}", timeout=10)
        assert head.status_code == 200 and head.content == b""
    page = httpx.get(live_server.url, timeout=10)
    assert "script-src 'self'" in page.headers["content-security-policy"]
