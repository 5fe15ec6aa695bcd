"""One forward pass per chunk gives the chunk, sentence and window vectors (``embedding.passages``)."""

import numpy as np

from rag_service.documents.chunking import embedding_text
from rag_service.documents.windows import window_groups
from rag_service.embedding.passages import content_vectors, place_sentences, window_vectors
from rag_service.ingest import ingest_seeds
from rag_service.store.files import load_index
from tests.conftest import GLAVKOSMOS, make_settings


def test_every_sentence_held_whole_by_a_chunk_is_placed_at_its_own_text(seeds_pipeline) -> None:
    content = seeds_pipeline.index.content
    placements = place_sentences(content.chunks, content.sentences)
    for sentence, placement in zip(content.sentences, placements, strict=True):
        holders = [
            c
            for c in content.chunks
            if c.source == sentence.source and c.start <= sentence.start and sentence.end <= c.end
        ]
        if not holders:
            assert placement.chunk == -1
            continue
        chunk = content.chunks[placement.chunk]
        assert chunk == holders[0]  # the first chunk that holds it whole
        assert embedding_text(chunk.text)[placement.start : placement.end] == sentence.text
    assert sum(p.chunk >= 0 for p in placements) / len(placements) > 0.9


def test_windows_are_length_weighted_means_of_their_chunks(seeds_pipeline) -> None:
    content = seeds_pipeline.index.content
    windows = window_vectors(content.chunks, content.chunk_vectors)
    assert np.allclose(windows, content.window_vectors, atol=1e-6)
    group = max(window_groups(content.chunks), key=len)
    assert len(group) > 1
    weights = np.array([len(content.chunks[r].text) for r in group], dtype=np.float32)
    mean = weights @ content.chunk_vectors[group.start : group.stop]
    assert np.allclose(
        windows[window_groups(content.chunks).index(group)], mean / np.linalg.norm(mean), atol=1e-5
    )


def test_sentences_too_long_for_any_chunk_are_embedded_on_their_own(embedder, seeds_pipeline) -> None:
    content = seeds_pipeline.index.content
    chunks, sentences = content.chunks, content.sentences
    # Pretend no chunk holds any sentence: every sentence falls back to a pass of its own.
    detached = [c.__class__(**{**c.__dict__, "sentence_ids": ()}) for c in chunks]
    vectors = content_vectors(detached, sentences, embedder, {})
    assert vectors.embedded == len(chunks) + len(sentences)
    alone = embedder.embed_documents([s.text for s in sentences[:5]])
    assert np.allclose(vectors.sentences[:5], alone, atol=1e-5)


def test_incremental_ingest_gives_the_vectors_of_a_full_rebuild(tmp_path, counting_embedder) -> None:
    settings = make_settings(tmp_path / "a")
    ingest_seeds(settings, counting_embedder)
    path = settings.seeds_dir / GLAVKOSMOS
    path.write_text(path.read_text(encoding="utf-8").replace("cooperation", "collaboration", 1), "utf-8")
    counting_embedder.embedded.clear()
    report = ingest_seeds(settings, counting_embedder)
    assert 0 < report.embedded < report.chunks  # only the edited chunks went through the model
    fresh = make_settings(tmp_path / "b")
    (fresh.seeds_dir / GLAVKOSMOS).write_text(path.read_text(encoding="utf-8"), "utf-8")
    ingest_seeds(fresh, counting_embedder)
    incremental, rebuilt = load_index(settings.index_dir).content, load_index(fresh.index_dir).content
    assert [s.text for s in incremental.sentences] == [s.text for s in rebuilt.sentences]
    for kind in ("chunk_vectors", "sentence_vectors", "window_vectors"):
        assert np.allclose(getattr(incremental, kind), getattr(rebuilt, kind), atol=1e-5), kind
