"""A pipeline follows the index folder's current version when another process writes one."""

import logging

from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.files import CURRENT
from tests.conftest import make_settings


def test_a_version_written_by_another_process_is_picked_up(tmp_path, embedder) -> None:
    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    serving, other = Pipeline.load(settings, embedder), Pipeline.load(settings, embedder)
    assert serving.is_current() and not serving.refresh()
    (settings.seeds_dir / "harbour.txt").write_text(
        "Harbour notes\n\nThe harbour master of Port Evander is Mira Castellan.\n", encoding="utf-8"
    )
    report = other.ingest()
    assert other.index.version == report.version != serving.index.version
    assert not serving.is_current()
    assert serving.refresh() and serving.index.version == report.version
    assert "Mira Castellan" in serving.ask("Who is the harbour master of Port Evander?").text


def test_a_version_that_cannot_load_is_skipped_and_logged_once(tmp_path, embedder, caplog) -> None:
    settings = make_settings(tmp_path)
    ingest_seeds(settings, embedder)
    pipeline = Pipeline.load(settings, embedder)
    served = pipeline.index.version
    broken = settings.index_dir / "v-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    (settings.index_dir / CURRENT).write_text("v-broken", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rag_service.pipeline"):
        assert not pipeline.refresh()
        assert pipeline.is_current() and not pipeline.refresh()  # not retried while it stays current
    assert pipeline.index.version == served and pipeline.ask("Who heads Roscosmos?").citations
    assert len([r for r in caplog.records if "cannot be loaded" in r.message]) == 1
