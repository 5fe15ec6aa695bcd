"""The one place that turns settings into an embedder (ONNX Runtime by default, or torch)."""

from __future__ import annotations

from rag_service.config import Settings
from rag_service.embedding.base import BaseEmbedder
from rag_service.embedding.torch_backend import TorchEmbedder


def make_embedder(settings: Settings) -> BaseEmbedder:
    common = {
        "batch_size": settings.embedding_batch_size,
        "cache_size": settings.query_cache_size,
        "threads": settings.embedding_threads,
    }
    if settings.embedding_backend in ("onnx", "onnx-int8"):
        from rag_service.embedding.onnx_backend import OnnxEmbedder

        quantized = settings.embedding_backend == "onnx-int8"
        return OnnxEmbedder(settings.embedding_model, settings.onnx_dir, quantized=quantized, **common)
    return TorchEmbedder(settings.embedding_model, **common)
