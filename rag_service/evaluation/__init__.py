"""Evaluation: score answers against expected citations (``rag-service eval``) and retrieval against a
public BEIR benchmark (``rag-service bench-retrieval``)."""
