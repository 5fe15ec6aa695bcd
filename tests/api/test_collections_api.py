"""Collections across processes: two apps over the same folders and access database stand for two
workers of one service (``serve --workers 2``) or two replicas."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from rag_service.api.app import create_app

ADMIN = {"Authorization": "Bearer two-workers-key"}


def _upload(client: TestClient, text: str) -> None:
    files = [("files", ("note.txt", text.encode(), "text/plain"))]
    assert client.post("/api/documents?collection=team", files=files, headers=ADMIN).status_code == 200


def _ask(client: TestClient) -> str:
    body = {"question": "What colour is the team's door?", "collection": "team"}
    reply = client.post("/api/ask", json=body, headers=ADMIN)
    assert reply.status_code == 200, reply.text
    return reply.text


def test_a_collection_deleted_and_made_again_elsewhere_is_never_served_stale(
    seeds_pipeline, tmp_path: Path
) -> None:
    settings = seeds_pipeline.settings.model_copy(
        update={
            "api_key": SecretStr("two-workers-key"),
            "collections_dir": tmp_path / "collections",
            "access_db": tmp_path / "access.sqlite3",
        }
    )
    with (
        TestClient(create_app(settings, pipeline=seeds_pipeline)) as first,
        TestClient(create_app(settings, pipeline=seeds_pipeline)) as second,
    ):
        assert first.post("/api/collections", json={"name": "team"}, headers=ADMIN).status_code == 201
        _upload(first, "The door of the old team is painted crimson red.")
        assert "crimson" in _ask(second)  # the second worker loads the collection and keeps it
        assert first.delete("/api/collections/team", headers=ADMIN).status_code == 200
        assert second.post("/api/ask", json={"question": "x", "collection": "team"}).status_code == 404
        assert first.post("/api/collections", json={"name": "team"}, headers=ADMIN).status_code == 201
        assert "crimson" not in _ask(second)  # the new collection is empty, whatever the second held
        _upload(first, "The door of the new team is painted forest green.")
        answer = _ask(second)
        assert "green" in answer and "crimson" not in answer
