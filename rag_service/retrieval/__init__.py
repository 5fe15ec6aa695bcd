"""Retrieval: finding the passages for a question.

``lexical`` is BM25 over chunk texts (bm25s, stemmed, English stop words) and the content-word
tokenizer the answerer shares; ``hybrid`` runs dense search (FAISS) and BM25 and fuses them by
reciprocal rank, keeping both raw scores on every hit.
"""
