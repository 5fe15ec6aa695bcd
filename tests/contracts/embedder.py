"""The ``Embedder`` contract, written once and run for every backend (``tests/test_embedding.py``).

A subclass provides the ``implementation`` fixture; every test here must pass for it.
"""

from __future__ import annotations

import threading

import numpy as np

TEXTS = ["Who heads Roscosmos?", "Space junk keeps amassing in orbit.", "x", "A long text " * 80]


class EmbedderContract:
    def test_documents_are_unit_float32_rows(self, implementation) -> None:
        vectors = implementation.embed_documents(TEXTS)
        assert vectors.shape == (len(TEXTS), implementation.dimension) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_order_and_batching_do_not_change_vectors(self, implementation) -> None:
        together = implementation.embed_documents(TEXTS)
        alone = np.stack([implementation.embed_documents([t])[0] for t in reversed(TEXTS)])[::-1]
        assert np.all(np.sum(together * alone, axis=1) > 0.9999)

    def test_query_matches_document_vector(self, implementation) -> None:
        query = implementation.embed_query(TEXTS[0])
        assert query.shape == (implementation.dimension,) and query.dtype == np.float32
        assert float(query @ implementation.embed_documents([TEXTS[0]])[0]) > 0.9999

    def test_similar_texts_are_closer_than_unrelated_ones(self, implementation) -> None:
        a, b, c = implementation.embed_documents(
            ["Who is the head of Roscosmos?", "Who leads the Russian space agency?", "Bake the bread."]
        )
        assert float(a @ b) > float(a @ c) + 0.2

    def test_concurrent_queries_each_get_their_own_vector(self, implementation) -> None:
        texts = [f"question number {i} about rockets" for i in range(24)]
        expected = implementation.embed_documents(texts)
        got: dict[int, np.ndarray] = {}

        def ask(i: int) -> None:
            got[i] = implementation.embed_query(texts[i])

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(float(got[i] @ expected[i]) > 0.9999 for i in range(len(texts)))

    def test_name_and_dimension_identify_the_model(self, implementation) -> None:
        assert implementation.name and implementation.dimension > 0

    def test_passages_pool_spans_from_the_same_pass(self, implementation) -> None:
        text = "Rockets need fuel to fly. Bread needs flour and water. The sea is salty."
        spans = [(0, 25), (26, 54), (55, len(text)), (0, len(text) + 5)]
        passes = implementation.embed_passages([text, "x"], [spans, []])
        assert np.allclose(passes.vectors, implementation.embed_documents([text, "x"]), atol=1e-5)
        pooled = passes.spans[0]
        assert pooled[3] is None  # reaches past the text's last token: it cannot be pooled
        alone = implementation.embed_documents([text[a:b] for a, b in spans[:3]])
        for i, vector in enumerate(pooled[:3]):
            assert vector is not None and abs(float(np.linalg.norm(vector)) - 1) < 1e-4
            # In context, yet still nearest to its own sentence among the three.
            assert int(np.argmax(alone @ vector)) == i
        assert passes.spans[1] == []
