import json
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

from rag_service.errors import IndexMismatchError, IndexMissingError
from rag_service.ingest import index_settings, ingest_seeds
from rag_service.store import files as store
from rag_service.store.files import CURRENT, load_index
from rag_service.store.model import FORMAT_VERSION
from tests.contracts.store import StoreContract


def test_round_trip_and_manifest(settings, embedder) -> None:
    report = ingest_seeds(settings, embedder)
    loaded = load_index(settings.index_dir, wanted=index_settings(settings, embedder))
    manifest = loaded.manifest
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.settings.embedding_model == embedder.name
    assert manifest.settings.dimension == 384
    assert manifest.settings.chunk_size == settings.chunk_size
    assert set(manifest.sources) == {p.name for p in settings.seeds_dir.glob("*.txt")}
    assert loaded.faiss_index.ntotal == len(loaded.content.chunks) == report.chunks
    norms = np.linalg.norm(loaded.content.chunk_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    # The citations point into the stored texts, which are the seed files' texts.
    for doc in loaded.content.documents:
        assert doc.text == (settings.seeds_dir / doc.name).read_text(encoding="utf-8")
    for chunk in loaded.content.chunks:
        assert loaded.documents[chunk.source].text[chunk.start : chunk.end] == chunk.text


def test_nothing_is_pickled(settings, embedder) -> None:
    ingest_seeds(settings, embedder)
    folder = settings.index_dir / (settings.index_dir / CURRENT).read_text().strip()
    assert sorted(p.name for p in folder.iterdir()) == sorted([*store.DATA_FILES, store.MANIFEST])
    for name in ("documents.jsonl", "chunks.jsonl", "sentences.jsonl"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            json.loads(line)
    np.load(folder / "sentences.npy", allow_pickle=False)
    assert faiss.read_index(str(folder / "chunks.faiss")).ntotal > 0


def test_missing_index_says_to_run_ingest(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="rag-service ingest"):
        load_index(tmp_path / "index")


def test_other_model_or_dimension_is_refused(settings, embedder) -> None:
    ingest_seeds(settings, embedder)
    wanted = index_settings(settings, embedder)
    with pytest.raises(IndexMismatchError, match="re-run `rag-service ingest`"):
        load_index(settings.index_dir, wanted=replace(wanted, embedding_model="some/other-model"))
    with pytest.raises(IndexMismatchError, match="dimension"):
        load_index(settings.index_dir, wanted=replace(wanted, dimension=768))
    # Other chunking does not stop a reader (ingest rebuilds instead; see tests/test_ingest.py).
    assert load_index(settings.index_dir, wanted=replace(wanted, chunk_size=400)).content.chunks


@pytest.mark.parametrize("damage", ["truncate", "delete", "swap-manifest-version"])
def test_damaged_index_is_detected(settings, embedder, damage: str) -> None:
    ingest_seeds(settings, embedder)
    folder = settings.index_dir / (settings.index_dir / CURRENT).read_text().strip()
    if damage == "truncate":
        data = (folder / "chunks.faiss").read_bytes()
        (folder / "chunks.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "delete":
        (folder / "sentences.npy").unlink()
    else:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["format_version"] = 999
        (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="rag-service ingest"):
        load_index(settings.index_dir)


@pytest.mark.parametrize("crash_in", ["faiss.write_index", "np.save", "os.replace"])
def test_crash_mid_write_leaves_previous_index_usable(settings, embedder, monkeypatch, crash_in: str) -> None:
    ingest_seeds(settings, embedder)
    before = load_index(settings.index_dir)
    (settings.seeds_dir / "new.txt").write_text(
        "A new document about lunar bases and rovers.", encoding="utf-8"
    )

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("simulated crash")

    module, name = crash_in.split(".")
    target = {"faiss": store.faiss, "np": store.np, "os": store.os}[module]
    monkeypatch.setattr(target, name, boom)
    with pytest.raises(OSError, match="simulated crash"):
        ingest_seeds(settings, embedder)
    monkeypatch.undo()
    after = load_index(settings.index_dir)
    assert after.version == before.version
    assert "new.txt" not in after.documents
    assert not list(settings.index_dir.glob(".tmp-*")), "temporary folder left behind"
    # And the next ingest succeeds and picks the new file up.
    assert ingest_seeds(settings, embedder).added == ["new.txt"]


def test_old_versions_are_pruned(settings, embedder) -> None:
    for i in range(4):
        (settings.seeds_dir / "extra.txt").write_text(f"Version {i} of an extra document.", encoding="utf-8")
        ingest_seeds(settings, embedder)
    assert len(list(settings.index_dir.glob("v-*"))) <= store.KEEP_VERSIONS


def test_hnsw_index_type_round_trips(tmp_path, embedder) -> None:
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, index_type="hnsw")
    ingest_seeds(settings, embedder)
    loaded = load_index(settings.index_dir)
    assert loaded.manifest.settings.index_type == "hnsw"
    assert hasattr(loaded.faiss_index, "hnsw")
    assert loaded.faiss_index.ntotal == len(loaded.content.chunks)


def _rewrite_with_hash(folder: Path, name: str, array: np.ndarray) -> None:
    """Replace a data file and update its hash in the manifest, as a buggy tool might."""
    with open(folder / name, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
    manifest = json.loads((folder / store.MANIFEST).read_text())
    manifest["files"][name] = store._file_digest(folder / name)
    (folder / store.MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", ["wrong-width", "nan", "float64", "too-few-rows"])
def test_damage_that_passes_the_checksums_is_refused(settings, embedder, damage: str) -> None:
    ingest_seeds(settings, embedder)
    folder = settings.index_dir / (settings.index_dir / CURRENT).read_text().strip()
    vectors = np.load(folder / "sentences.npy")
    damaged = {
        "wrong-width": lambda v: v[:, :100],
        "nan": lambda v: np.where(np.arange(len(v))[:, None] == 3, np.nan, v).astype(np.float32),
        "float64": lambda v: v.astype(np.float64),
        "too-few-rows": lambda v: v[:-1],
    }[damage](vectors)
    _rewrite_with_hash(folder, "sentences.npy", damaged)
    with pytest.raises(IndexMismatchError, match=r"damaged|different lengths") as caught:
        load_index(settings.index_dir)
    assert "rag-service ingest" in str(caught.value) and str(settings.index_dir) not in str(caught.value)


def test_a_damaged_index_is_503_without_server_paths(settings, embedder) -> None:
    from fastapi.testclient import TestClient

    from rag_service.api.app import create_app

    ingest_seeds(settings, embedder)
    folder = settings.index_dir / (settings.index_dir / CURRENT).read_text().strip()
    vectors = np.load(folder / "sentences.npy")
    _rewrite_with_hash(folder, "sentences.npy", vectors[:, :100])
    with TestClient(create_app(settings.model_copy(update={"ingest_on_start": "never"}))) as client:
        for _ in range(600):
            response = client.get("/api/health")
            if "loading" not in response.json()["detail"]:
                break
            time.sleep(0.1)
        assert response.status_code == 503 and "rag-service ingest" in response.json()["detail"]
        assert str(settings.index_dir.parent) not in response.json()["detail"]
        answer = client.post("/api/ask", json={"question": "Who heads Roscosmos?"})
        assert answer.status_code == 503 and str(settings.index_dir.parent) not in answer.text


def test_leftover_temporary_folders_are_removed_by_the_next_writer(settings, embedder) -> None:
    settings.index_dir.mkdir(parents=True)
    leftover = settings.index_dir / ".tmp-killed-writer"
    leftover.mkdir()
    (leftover / "chunks.jsonl").write_text("half written")
    ingest_seeds(settings, embedder)
    assert not leftover.exists()


class TestFileStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> store.FileStore:
        return store.FileStore(tmp_path / "contract-index")

    def fail_writes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def crash(*args: object, **kwargs: object) -> None:
            raise OSError("simulated crash while writing the vectors")

        monkeypatch.setattr(store.np, "save", crash)


def test_the_files_store_refuses_file_changes_and_writes_nothing(settings, embedder) -> None:
    """Its documents live in the folder, so an upload handed to ``write`` is a caller's mistake."""
    from rag_service.store.changes import FileChanges, NewFile
    from tests.contracts.store import _content

    files = store.FileStore(settings.index_dir)
    with pytest.raises(ValueError, match="folder"):
        files.write(
            _content(settings, embedder),
            index_settings(settings, embedder),
            files=FileChanges({"a.txt": NewFile(b"text")}),
        )
    with pytest.raises(IndexMissingError):
        files.current_version()
