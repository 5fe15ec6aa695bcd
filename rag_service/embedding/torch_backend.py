"""The sentence-transformers backend: the reference implementation, on the CPU and offline."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from rag_service.config import PACKAGED_MODEL
from rag_service.embedding.base import BaseEmbedder, TokenStates, resolve_model_path
from rag_service.errors import ConfigError


class TorchEmbedder(BaseEmbedder):
    """sentence-transformers on the CPU, offline."""

    def __init__(self, model: str = PACKAGED_MODEL, *, threads: int = 0, **kwargs: int) -> None:
        super().__init__(model, **kwargs)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
        if threads:
            torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(resolve_model_path(model), device="cpu")
        except Exception as exc:  # the library raises many types for a bad path
            raise ConfigError(
                f"cannot load embedding model {model!r} ({exc}); set RAG_EMBEDDING_MODEL to a local "
                f"sentence-transformers model folder, or leave it unset for {PACKAGED_MODEL}"
            ) from exc
        model_object = self._model
        get_dimension = getattr(model_object, "get_embedding_dimension", None)
        if get_dimension is None:
            get_dimension = model_object.get_sentence_embedding_dimension
        dimension = get_dimension()
        if dimension is None:
            raise ConfigError(f"embedding model {model!r} does not report its dimension")
        self.dimension = int(dimension)

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts,
            batch_size=max(len(texts), 1),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _token_states(self, texts: list[str]) -> TokenStates:
        import torch

        batch = self._model.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self._model.max_seq_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = batch.pop("offset_mapping").numpy()
        transformer: Any = self._model[0].auto_model
        with torch.inference_mode():
            hidden = transformer(**batch).last_hidden_state.numpy()
        return TokenStates(hidden.astype(np.float32), batch["attention_mask"].numpy(), offsets)
