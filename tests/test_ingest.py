from rag_service.ingest import ingest_seeds
from rag_service.store.files import load_index
from tests.conftest import GLAVKOSMOS, SPUTNIK, make_settings


def test_first_ingest_adds_everything(settings, counting_embedder) -> None:
    report = ingest_seeds(settings, counting_embedder)
    assert report.added == [GLAVKOSMOS, SPUTNIK]
    assert report.chunks > 0 and report.sentences > report.chunks
    assert report.embedded == sum(counting_embedder.embedded) > 0
    assert "2 added" in report.summary()


def test_reingest_with_nothing_changed_embeds_nothing(settings, counting_embedder) -> None:
    ingest_seeds(settings, counting_embedder)
    version = load_index(settings.index_dir).version
    counting_embedder.embedded.clear()
    report = ingest_seeds(settings, counting_embedder)
    assert counting_embedder.embedded == []
    assert report.embedded == 0 and not report.touched
    assert report.unchanged == [GLAVKOSMOS, SPUTNIK]
    assert load_index(settings.index_dir).version == version
    assert "up to date" in report.summary()


def test_changed_added_and_removed_files_are_reflected(settings, counting_embedder) -> None:
    first = ingest_seeds(settings, counting_embedder)
    counting_embedder.embedded.clear()
    glav = settings.seeds_dir / GLAVKOSMOS
    glav.write_text(
        glav.read_text(encoding="utf-8") + "\n\nA closing remark about lunar exploration.\n", encoding="utf-8"
    )
    (settings.seeds_dir / SPUTNIK).unlink()
    (settings.seeds_dir / f"{SPUTNIK}.meta.json").unlink()
    (settings.seeds_dir / "notes.md").write_text(
        "# Notes\n\nMars sample return is planned.", encoding="utf-8"
    )
    report = ingest_seeds(settings, counting_embedder)
    assert report.changed == [GLAVKOSMOS]
    assert report.removed == [SPUTNIK]
    assert report.added == ["notes.md"]
    # Only new text is embedded: the edited file's untouched sentences reuse their vectors.
    assert 0 < report.embedded < first.embedded // 3
    loaded = load_index(settings.index_dir)
    assert set(loaded.documents) == {GLAVKOSMOS, "notes.md"}
    assert any("lunar exploration" in c.text for c in loaded.content.chunks)
    assert not any(c.source == SPUTNIK for c in loaded.content.chunks)


def test_changed_chunking_rebuilds(tmp_path, counting_embedder) -> None:
    ingest_seeds(make_settings(tmp_path), counting_embedder)
    report = ingest_seeds(make_settings(tmp_path, chunk_size=400, chunk_overlap=40), counting_embedder)
    assert report.rebuilt
    assert load_index(tmp_path / "index").manifest.settings.chunk_size == 400
