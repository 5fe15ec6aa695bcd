"""Embedding: text to unit vectors with the packaged all-MiniLM-L6-v2, offline.

``base`` holds the ``Embedder`` protocol and ``BaseEmbedder`` (batching, the query cache and fair query
micro-batching around one abstract ``_encode``); ``onnx_backend`` (the default, ONNX Runtime on a graph
exported once from the packaged weights) and ``torch_backend`` (sentence-transformers) implement it and
give the same vectors. The pipeline chooses one (``RAG_EMBEDDING_BACKEND``).
"""
