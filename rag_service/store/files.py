"""The saved index: a versioned folder of plain files, switched in atomically.

Layout under the index folder::

    CURRENT                 name of the live version folder (replaced with os.replace: atomic)
    v-<time>-<hash>/
        manifest.json       format version, index settings, source hashes, counts, file hashes, skipped files
        documents.jsonl     each document's text, metadata and sections (citations point into these)
        chunks.jsonl        chunk id, source, section, voice, title, start, end, text, sentence rows
        sentences.jsonl     sentence spans, voice, title and the text that was embedded
        chunks.faiss        FAISS inner-product index of chunk vectors (flat or HNSW)
        sentences.npy       float32 sentence vectors (numpy format, loaded with allow_pickle=False)
        windows.npy         float32 window vectors (rag_service.documents.windows), same format

A writer builds a new version in a temporary folder, fsyncs it, renames it into place and only then
points ``CURRENT`` at it. A crash at any point leaves ``CURRENT`` naming a complete earlier version.
Readers verify every file against the sha256 in the manifest, so a truncated or swapped file is caught
at load with a message to re-run ingest. A file can also be wrong and still match its hash (written by a
buggy tool, or edited with the manifest updated): loading then checks what the answer path relies on,
namely vector shapes, dtype and finiteness, record counts, offsets inside their document and sentence
rows that exist, and refuses the index instead of answering 500 to every question. Nothing is pickled.

``FileStore`` is this module as an ``IndexStore`` (``rag_service.store.protocol``); the functions below
it are also used directly by tools that write throw-away indexes (the retrieval benchmark).

Messages name the index folder as configured and files inside it by their version-relative name; they
reach HTTP clients (503), which have no business learning the server's absolute paths.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag_service.errors import IndexMismatchError, IndexMissingError
from rag_service.retrieval.hybrid import HybridRetriever
from rag_service.store.changes import FileChanges
from rag_service.store.checks import RERUN, inconsistency
from rag_service.store.model import IndexContent, IndexSettings, LoadedIndex, Manifest
from rag_service.store.records import (
    chunk_from,
    chunk_record,
    document_from,
    document_record,
    sentence_from,
    sentence_record,
)

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
DATA_FILES = (
    "documents.jsonl",
    "chunks.jsonl",
    "sentences.jsonl",
    "chunks.faiss",
    "sentences.npy",
    "windows.npy",
)
KEEP_VERSIONS = 2


class FileStore:
    """An ``IndexStore`` in a folder of plain files (see the module docstring)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def current_version(self) -> str:
        return current_version(self.index_dir)

    def load(self, wanted: IndexSettings | None = None) -> LoadedIndex:
        return load_index(self.index_dir, wanted=wanted)

    def write(
        self,
        content: IndexContent,
        settings: IndexSettings,
        skipped: tuple[dict[str, str], ...] = (),
        files: FileChanges | None = None,
    ) -> str:
        if files:
            raise ValueError("the files store keeps documents in its folder: put them there before ingest")
        return write_index(self.index_dir, content, settings, skipped)

    def writer(self) -> contextlib.AbstractContextManager[None]:
        return writer_lock(self.index_dir)

    def retriever(self, index: LoadedIndex, ef_search: int | None = None) -> HybridRetriever:
        return HybridRetriever.for_index(index, ef_search)

    def drop_collection(self) -> None:
        shutil.rmtree(self.index_dir, ignore_errors=True)


def build_faiss(vectors: np.ndarray, index_type: str = "flat", hnsw_m: int = 32) -> faiss.Index:
    dimension = vectors.shape[1]
    index: faiss.Index
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(80, 2 * hnsw_m)
    else:
        index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_index(
    index_dir: Path,
    content: IndexContent,
    settings: IndexSettings,
    skipped: tuple[dict[str, str], ...] = (),
) -> str:
    """Write ``content`` as a new version and make it current. Returns the version name."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", (document_record(d) for d in content.documents))
        _write_jsonl(tmp / "chunks.jsonl", (chunk_record(c) for c in content.chunks))
        _write_jsonl(tmp / "sentences.jsonl", (sentence_record(s) for s in content.sentences))
        index = build_faiss(content.chunk_vectors, settings.index_type, settings.hnsw_m)
        faiss.write_index(index, str(tmp / "chunks.faiss"))
        for name, vectors in (
            ("sentences.npy", content.sentence_vectors),
            ("windows.npy", content.window_vectors),
        ):
            with open(tmp / name, "wb") as fh:
                np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
        files = {name: _file_digest(tmp / name) for name in DATA_FILES}
        manifest = Manifest.of(content, settings, skipped, files)
        record = manifest.as_record()
        (tmp / MANIFEST).write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
        for name in (*DATA_FILES, MANIFEST):
            fsync_path(tmp / name)
        # Named by what readers see: the data files and the list of skipped files (which /api/health shows).
        named = {"files": record["files"], "skipped": record["skipped"]}
        digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:10]
        version = f"v-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{digest}"
        final = index_dir / version
        if final.exists():  # same content written twice within a second: keep the existing copy
            shutil.rmtree(tmp)
        else:
            os.rename(tmp, final)
        fsync_path(index_dir)
        pointer = index_dir / f".{CURRENT}.{uuid.uuid4().hex}"
        pointer.write_text(version + "\n", encoding="utf-8")
        fsync_path(pointer)
        os.replace(pointer, index_dir / CURRENT)
        fsync_path(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, version)
    return version


def shown(index_dir: Path) -> str:
    """How messages name the index folder: never an absolute server path."""
    return f"{index_dir.name!r} (RAG_INDEX_DIR)" if index_dir.is_absolute() else f"{str(index_dir)!r}"


def current_version(index_dir: Path) -> str:
    pointer = index_dir / CURRENT
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissingError(
            f"no index in {shown(index_dir)}: run `rag-service ingest` to build it"
        ) from None
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(f"the {CURRENT} file of {shown(index_dir)} cannot be read: {RERUN}") from exc
    if not version or "/" in version or not (index_dir / version).is_dir():
        raise IndexMismatchError(
            f"{CURRENT} in {shown(index_dir)} names a missing index version {version[:80]!r}: {RERUN}"
        )
    return version


def read_manifest(index_dir: Path, version: str) -> Manifest:
    path = index_dir / version / MANIFEST
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(
            f"index manifest {version}/{MANIFEST} is missing or damaged: {RERUN}"
        ) from exc
    return Manifest.from_record(record, shown(index_dir))


def load_index(index_dir: Path, *, wanted: IndexSettings | None = None, verify: bool = True) -> LoadedIndex:
    """Load the current version, refusing one the ``wanted`` embedder cannot search, or damaged."""
    version = current_version(index_dir)
    folder = index_dir / version
    manifest = read_manifest(index_dir, version)
    if wanted is not None:
        problem = manifest.settings.difference(wanted, serving_only=True)
        if problem:
            raise IndexMismatchError(f"{problem}: {RERUN} with the configured model")
    if verify:
        for name in DATA_FILES:
            expected = manifest.files.get(name)
            path = folder / name
            if not path.is_file() or expected is None or _file_digest(path) != expected:
                raise IndexMismatchError(
                    f"index file {version}/{name} is missing or does not match its manifest: {RERUN}"
                )
    try:
        documents = [document_from(r) for r in _read_jsonl(folder / "documents.jsonl")]
        chunks = [chunk_from(r) for r in _read_jsonl(folder / "chunks.jsonl")]
        sentences = [sentence_from(r) for r in _read_jsonl(folder / "sentences.jsonl")]
        faiss_index = faiss.read_index(str(folder / "chunks.faiss"))
        sentence_vectors = np.load(folder / "sentences.npy", allow_pickle=False)
        window_vectors = np.load(folder / "windows.npy", allow_pickle=False)
        dimension = manifest.settings.dimension
        if faiss_index.ntotal:
            chunk_vectors = faiss_index.reconstruct_n(0, faiss_index.ntotal)
        else:
            chunk_vectors = np.zeros((0, dimension), dtype=np.float32)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError) as exc:
        raise IndexMismatchError(
            f"index version {version} cannot be read ({type(exc).__name__}): {RERUN}"
        ) from exc
    content = IndexContent(
        tuple(documents), tuple(chunks), tuple(sentences), chunk_vectors, sentence_vectors, window_vectors
    )
    problem = _inconsistency(manifest, faiss_index, content)
    if problem:
        raise IndexMismatchError(f"index version {version} is damaged ({problem}): {RERUN}")
    return LoadedIndex(content, faiss_index, manifest, version)


def _inconsistency(manifest: Manifest, faiss_index: faiss.Index, content: IndexContent) -> str | None:
    """``checks.inconsistency`` plus what only a FAISS file can get wrong."""
    if faiss_index.d != manifest.settings.dimension or faiss_index.ntotal != len(content.chunks):
        return f"chunks.faiss holds {faiss_index.ntotal} vectors of width {faiss_index.d}"
    return inconsistency(manifest, content)


@contextlib.contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index folder (ingest from the CLI and the API may race).

    Whoever holds the lock is the only writer, so any temporary folder present when it is taken was
    left by a writer that was killed mid-ingest: it is removed at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            for leftover in index_dir.glob(".tmp-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prune(index_dir: Path, live: str) -> None:
    """Keep the live version and the one before it; drop older versions and abandoned temp folders."""
    versions = sorted(p for p in index_dir.glob("v-*") if p.is_dir())
    for old in [v for v in versions if v.name != live][: -(KEEP_VERSIONS - 1) or None]:
        shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob(".tmp-*"):  # writers without the lock (benchmarks) leave none behind
        if time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)
    for pointer in index_dir.glob(f".{CURRENT}.*"):
        pointer.unlink(missing_ok=True)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush ``path`` (a file, or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_jsonl(path: Path, records: Iterator[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
