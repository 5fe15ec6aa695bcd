"""The ``IndexStore`` contract (``rag_service.store.protocol``), written once and run for every store
(``tests/test_store.py``). A subclass provides ``store`` (an empty store) and the shared ``settings`` and
``embedder`` fixtures come from ``tests/conftest.py``."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from rag_service.documents.files import load_document, scan_sources
from rag_service.errors import IndexMismatchError, IndexMissingError
from rag_service.ingest import build_content, index_settings
from rag_service.retrieval.hybrid import HybridRetriever, SearchParams
from rag_service.store.files import build_faiss


def _content(settings, embedder, extra: str | None = None):
    if extra:
        (settings.seeds_dir / "extra.txt").write_text(extra, encoding="utf-8")
    sources, _ = scan_sources(settings.seeds_dir)
    return build_content([load_document(s) for s in sources], embedder, settings)


class StoreContract:
    def fail_writes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make the store's next write fail part-way (each implementation knows where it can)."""
        raise NotImplementedError

    def test_an_empty_store_says_to_ingest(self, store) -> None:
        with pytest.raises(IndexMissingError, match="rag-service ingest"):
            store.current_version()
        with pytest.raises(IndexMissingError, match="rag-service ingest"):
            store.load()

    def test_what_is_written_is_loaded_back_exactly(self, store, settings, embedder) -> None:
        content = _content(settings, embedder)
        wanted = index_settings(settings, embedder)
        with store.writer():
            version = store.write(content, wanted, ({"name": "bad.txt", "reason": "bad.txt: empty"},))
        loaded = store.load(wanted)
        assert loaded.version == version == store.current_version()
        assert loaded.content.chunks == content.chunks and loaded.content.sentences == content.sentences
        assert [d.name for d in loaded.content.documents] == [d.name for d in content.documents]
        assert np.allclose(loaded.content.chunk_vectors, content.chunk_vectors, atol=1e-6)
        assert np.array_equal(loaded.content.sentence_vectors, content.sentence_vectors)
        assert loaded.manifest.settings == wanted and loaded.manifest.skipped[0]["name"] == "bad.txt"
        for chunk in loaded.content.chunks:
            assert loaded.documents[chunk.source].text[chunk.start : chunk.end] == chunk.text

    def test_dropping_a_collection_deletes_every_version(self, store, settings, embedder) -> None:
        wanted = index_settings(settings, embedder)
        with store.writer():
            store.write(_content(settings, embedder), wanted)
            store.write(_content(settings, embedder, "Lunar bases need water ice."), wanted)
        store.drop_collection()
        with pytest.raises(IndexMissingError):
            store.current_version()

    def test_a_new_version_replaces_the_old_for_new_readers_only(self, store, settings, embedder) -> None:
        wanted = index_settings(settings, embedder)
        with store.writer():
            store.write(_content(settings, embedder), wanted)
        before = store.load(wanted)
        with store.writer():
            store.write(_content(settings, embedder, "Lunar bases need water ice."), wanted)
        after = store.load(wanted)
        assert after.version != before.version and "extra.txt" in after.documents
        assert "extra.txt" not in before.documents  # a loaded index never changes

    def test_a_failed_write_leaves_the_previous_version_current(
        self, store, settings, embedder, monkeypatch
    ) -> None:
        wanted = index_settings(settings, embedder)
        with store.writer():
            version = store.write(_content(settings, embedder), wanted)
        broken = _content(settings, embedder, "A document that never lands.")
        self.fail_writes(monkeypatch)
        with pytest.raises(Exception, match="simulated"), store.writer():
            store.write(broken, wanted)
        monkeypatch.undo()
        assert store.current_version() == version
        assert "extra.txt" not in store.load(wanted).documents

    def test_another_model_or_dimension_is_refused(self, store, settings, embedder) -> None:
        wanted = index_settings(settings, embedder)
        with store.writer():
            store.write(_content(settings, embedder), wanted)
        for other in (replace(wanted, embedding_model="other/model"), replace(wanted, dimension=768)):
            with pytest.raises(IndexMismatchError, match="rag-service ingest"):
                store.load(other)

    def test_its_retriever_ranks_as_exact_search_with_bm25(self, store, settings, embedder) -> None:
        """Whatever searches the store (FAISS, SQL), hybrid rankings match FAISS flat + BM25 in process."""
        wanted = index_settings(settings, embedder)
        with store.writer():
            store.write(_content(settings, embedder), wanted)
        index = store.load(wanted)
        reference = replace(index, faiss_index=build_faiss(index.content.chunk_vectors))
        exact = HybridRetriever.for_index(reference)
        retriever = store.retriever(index, 64)
        questions = ["How many launches are planned?", "What do readers say in the comments?", "budget"]
        for question, vector in zip(questions, embedder.embed_documents(questions), strict=True):
            for mode in ("dense", "lexical", "hybrid"):
                params = SearchParams(top_k=5, mode=mode)
                got = [(h.chunk.id, round(h.score, 5)) for h in retriever.search(question, vector, params)]
                want = [(h.chunk.id, round(h.score, 5)) for h in exact.search(question, vector, params)]
                assert got == want, (question, mode)
            dense = retriever.dense(vector, 3)
            assert [r for r, _ in dense] == [r for r, _ in exact.dense(vector, 3)]
            assert np.allclose([s for _, s in dense], [s for _, s in exact.dense(vector, 3)], atol=1e-5)

    def test_one_writer_at_a_time(self, store) -> None:
        order: list[str] = []

        def second() -> None:
            with store.writer():
                order.append("second in")

        with store.writer():
            order.append("first in")
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.5)
            order.append("first out")
        thread.join(10)
        assert order == ["first in", "first out", "second in"]
