"""The saved index: a versioned folder of plain files, switched in atomically.

Layout under the index folder::

    CURRENT                 name of the live version folder (replaced with os.replace: atomic)
    v-<time>-<hash>/
        manifest.json       format version, model, dimension, chunking, source hashes, file hashes
        documents.jsonl     each document's text, metadata and sections (citations point into these)
        chunks.jsonl        chunk id, source, section, start, end, text, sentence rows
        sentences.jsonl     sentence spans and the text that was embedded
        chunks.faiss        FAISS inner-product index of chunk vectors (flat or HNSW)
        sentences.npy       float32 sentence vectors (numpy format, loaded with allow_pickle=False)

A writer builds a new version in a temporary folder, fsyncs it, renames it into place and only then
points ``CURRENT`` at it. A crash at any point leaves ``CURRENT`` naming a complete earlier version.
Readers verify every file against the sha256 in the manifest, so a truncated or swapped file is caught
at load with a message to re-run ingest. Nothing is pickled.
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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag_service.documents import Document, DocumentMeta, Section
from rag_service.errors import IndexMismatchError, IndexMissingError
from rag_service.models import Chunk, Sentence

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
DATA_FILES = ("documents.jsonl", "chunks.jsonl", "sentences.jsonl", "chunks.faiss", "sentences.npy")
KEEP_VERSIONS = 2
RERUN = "re-run `rag-service ingest` to rebuild it"


@dataclass
class IndexContent:
    """Everything an index holds, in memory. Row ``i`` of ``chunk_vectors`` belongs to ``chunks[i]``."""

    documents: list[Document]
    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    """Model, dimension, chunking and index parameters recorded in the manifest."""


@dataclass
class LoadedIndex:
    content: IndexContent
    faiss_index: faiss.Index
    manifest: dict[str, Any]
    version: str

    # Derived once per loaded index (an index never changes after loading); the request path reads these.
    @cached_property
    def documents(self) -> dict[str, Document]:
        return {d.name: d for d in self.content.documents}

    @cached_property
    def titles(self) -> dict[str, str]:
        return {d.name: d.meta.title for d in self.content.documents}

    @cached_property
    def chunks_per_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for chunk in self.content.chunks:
            counts[chunk.source] = counts.get(chunk.source, 0) + 1
        return counts


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


def write_index(index_dir: Path, content: IndexContent) -> str:
    """Write ``content`` as a new version and make it current. Returns the version name."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", (_document_record(d) for d in content.documents))
        _write_jsonl(tmp / "chunks.jsonl", (_chunk_record(c) for c in content.chunks))
        _write_jsonl(tmp / "sentences.jsonl", (_sentence_record(s) for s in content.sentences))
        index = build_faiss(
            content.chunk_vectors,
            content.settings.get("index_type", "flat"),
            content.settings.get("hnsw_m", 32),
        )
        faiss.write_index(index, str(tmp / "chunks.faiss"))
        with open(tmp / "sentences.npy", "wb") as fh:
            np.save(fh, np.ascontiguousarray(content.sentence_vectors, dtype=np.float32), allow_pickle=False)
        manifest = {
            "format_version": FORMAT_VERSION,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **content.settings,
            "sources": {d.name: d.sha256 for d in content.documents},
            "counts": {
                "documents": len(content.documents),
                "chunks": len(content.chunks),
                "sentences": len(content.sentences),
            },
            "files": {name: _file_digest(tmp / name) for name in DATA_FILES},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        for name in (*DATA_FILES, MANIFEST):
            _fsync(tmp / name)
        digest = hashlib.sha256(json.dumps(manifest["files"], sort_keys=True).encode()).hexdigest()[:10]
        version = f"v-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{digest}"
        final = index_dir / version
        if final.exists():  # same content written twice within a second: keep the existing copy
            shutil.rmtree(tmp)
        else:
            os.rename(tmp, final)
        _fsync(index_dir)
        pointer = index_dir / f".{CURRENT}.{uuid.uuid4().hex}"
        pointer.write_text(version + "\n", encoding="utf-8")
        _fsync(pointer)
        os.replace(pointer, index_dir / CURRENT)
        _fsync(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, version)
    return version


def current_version(index_dir: Path) -> str:
    pointer = index_dir / CURRENT
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {index_dir}: run `rag-service ingest` to build it") from None
    if not version or "/" in version or not (index_dir / version).is_dir():
        raise IndexMismatchError(f"{pointer} names a missing index version {version!r}: {RERUN}")
    return version


def read_manifest(index_dir: Path, version: str) -> dict[str, Any]:
    path = index_dir / version / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(f"index manifest {path} is missing or damaged: {RERUN}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index in {index_dir} has format version {manifest.get('format_version')}, "
            f"this rag-service reads version {FORMAT_VERSION}: {RERUN}"
        )
    return manifest


def load_index(
    index_dir: Path, *, model: str | None = None, dimension: int | None = None, verify: bool = True
) -> LoadedIndex:
    """Load the current version, refusing one built with another model or dimension, or damaged."""
    version = current_version(index_dir)
    folder = index_dir / version
    manifest = read_manifest(index_dir, version)
    if model is not None and manifest.get("embedding_model") != model:
        raise IndexMismatchError(
            f"index was built with embedding model {manifest.get('embedding_model')!r} but the service uses "
            f"{model!r}: {RERUN} with the configured model"
        )
    if dimension is not None and manifest.get("dimension") != dimension:
        raise IndexMismatchError(
            f"index has dimension {manifest.get('dimension')} but the embedding model gives "
            f"{dimension}: {RERUN}"
        )
    if verify:
        for name in DATA_FILES:
            expected = manifest.get("files", {}).get(name)
            path = folder / name
            if not path.is_file() or expected is None or _file_digest(path) != expected:
                raise IndexMismatchError(
                    f"index file {path} is missing or does not match its manifest: {RERUN}"
                )
    try:
        documents = [_document_from(r) for r in _read_jsonl(folder / "documents.jsonl")]
        chunks = [_chunk_from(r) for r in _read_jsonl(folder / "chunks.jsonl")]
        sentences = [_sentence_from(r) for r in _read_jsonl(folder / "sentences.jsonl")]
        faiss_index = faiss.read_index(str(folder / "chunks.faiss"))
        sentence_vectors = np.load(folder / "sentences.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexMismatchError(f"index in {folder} cannot be read ({exc}): {RERUN}") from exc
    if faiss_index.ntotal != len(chunks) or len(sentence_vectors) != len(sentences):
        raise IndexMismatchError(f"index in {folder} has vectors and records of different lengths: {RERUN}")
    if faiss_index.ntotal:
        chunk_vectors = faiss_index.reconstruct_n(0, faiss_index.ntotal)
    else:
        chunk_vectors = np.zeros((0, manifest.get("dimension", 0)), dtype=np.float32)
    settings: dict[str, Any] = {
        k: manifest[k]
        for k in ("embedding_model", "dimension", "chunking", "index_type", "hnsw_m")
        if k in manifest
    }
    content = IndexContent(documents, chunks, sentences, chunk_vectors, sentence_vectors, settings)
    return LoadedIndex(content, faiss_index, manifest, version)


@contextlib.contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index folder (ingest from the CLI and the API may race)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prune(index_dir: Path, live: str) -> None:
    """Keep the live version and the one before it; drop older versions and abandoned temp folders."""
    versions = sorted(p for p in index_dir.glob("v-*") if p.is_dir())
    for old in [v for v in versions if v.name != live][: -(KEEP_VERSIONS - 1) or None]:
        shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob(".tmp-*"):
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


def _fsync(path: Path) -> None:
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


def _document_record(d: Document) -> dict[str, Any]:
    return {
        "name": d.name,
        "sha256": d.sha256,
        "meta": d.meta.as_dict(),
        "sections": [[s.name, s.start, s.end, s.voice] for s in d.sections],
        "text": d.text,
    }


def _document_from(r: dict[str, Any]) -> Document:
    sections = tuple(Section(name, start, end, voice) for name, start, end, voice in r["sections"])
    return Document(r["name"], r["text"], DocumentMeta(**r["meta"]), sections, r["sha256"])


def _chunk_record(c: Chunk) -> dict[str, Any]:
    return {
        "id": c.id,
        "source": c.source,
        "section": c.section,
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "sentences": list(c.sentence_ids),
    }


def _chunk_from(r: dict[str, Any]) -> Chunk:
    return Chunk(r["id"], r["source"], r["section"], r["start"], r["end"], r["text"], tuple(r["sentences"]))


def _sentence_record(s: Sentence) -> dict[str, Any]:
    return {"source": s.source, "section": s.section, "start": s.start, "end": s.end, "text": s.text}


def _sentence_from(r: dict[str, Any]) -> Sentence:
    return Sentence(r["source"], r["section"], r["start"], r["end"], r["text"])
