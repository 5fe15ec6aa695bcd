"""A queued ingest's progress on the chat page, in real Chromium against a real server on a real
PostgreSQL: the documents panel says how many files are done and that no worker is connected, then,
once a worker has processed the job, that it is done, with the failed file's reason, and lists the new
document."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_service.ingest_jobs import Worker, enqueue
from rag_service.store.postgres.local import LocalPostgres
from tests.conftest import LiveServer
from tests.postgres.conftest import postgres_settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_documents_panel_follows_a_queued_ingest(page, tmp_path: Path, embedder) -> None:
    database = LocalPostgres.create()  # here, not the postgres tests' server: browser tests live in tests/web
    url = database.url()
    settings = postgres_settings(tmp_path, url)
    server = LiveServer(tmp_path, RAG_STORE="postgres", RAG_DATABASE_URL=url)
    try:
        server.wait_healthy()  # the seeds are indexed at start-up
        (settings.seeds_dir / "lunar.txt").write_text(
            "Lunar bases need water ice from the Shackleton crater.", encoding="utf-8"
        )
        (settings.seeds_dir / "empty.txt").write_text("", encoding="utf-8")
        job, _ = enqueue(settings, embedder)
        page.goto(server.url)
        page.click("#documents-toggle")
        line = page.locator("#ingest-job")
        line.wait_for(state="visible")
        text = line.inner_text()
        assert f"Queued ingest {job}: 0 of 2 files done, 2 pending" in text
        assert "0 workers connected" in text and "rag-service worker" in text
        assert Worker(settings, embedder).run(until_idle=True) == 3
        page.wait_for_function(
            "() => document.getElementById('ingest-job').textContent.includes('done, version')", timeout=15000
        )
        text = line.inner_text()
        assert "2 of 2 files done" not in text and "1 of 2 files done" in text
        assert "failed: empty.txt" in text
        page.locator("#document-list li[data-name='lunar.txt']").wait_for(timeout=15000)
    finally:
        server.stop()
        database.destroy()
