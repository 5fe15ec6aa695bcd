import time
from pathlib import Path

import pytest

from rag_service.documents.chunking import (
    embedding_text,
    link_sentences,
    make_splitter,
    normalise,
    split_document,
)
from rag_service.documents.files import SourceFile, list_sources, load_document
from rag_service.models import Document, DocumentMeta, Section
from tests.conftest import SEEDS


def _seed_documents() -> list[Document]:
    return [load_document(s) for s in list_sources(SEEDS)]


@pytest.mark.parametrize(("size", "overlap"), [(800, 120), (300, 50), (120, 0), (5000, 0)])
def test_every_chunk_and_sentence_round_trips_to_the_original(size: int, overlap: int) -> None:
    splitter = make_splitter(size, overlap)
    for doc in _seed_documents():
        chunks, sentences = split_document(doc, splitter)
        assert chunks and sentences
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert doc.section_at(chunk.start).name == chunk.section
            assert doc.section_at(chunk.end - 1).name == chunk.section, "chunk crosses a section boundary"
        for sentence in sentences:
            assert embedding_text(doc.text[sentence.start : sentence.end]) == sentence.text
        if size >= 800:
            covered = set()
            for chunk in chunks:
                covered.update(range(chunk.start, chunk.end))
            assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace()), "text lost"


def test_chunk_ids_are_stable_and_unique() -> None:
    splitter = make_splitter(300, 50)
    for doc in _seed_documents():
        first = [c.id for c in split_document(doc, splitter)[0]]
        second = [c.id for c in split_document(doc, splitter)[0]]
        assert first == second
        assert len(set(first)) == len(first)


def test_chunk_id_survives_an_edit_elsewhere_in_the_file() -> None:
    text = "First paragraph about rockets.\n\nSecond paragraph about satellites and orbits."

    def doc(t: str) -> Document:
        return Document("x.txt", t, DocumentMeta("x"), (Section("body", 0, len(t)),), "h")

    splitter = make_splitter(50, 0)
    before = split_document(doc(text), splitter)[0]
    after = split_document(doc("Preface added.\n\n" + text), splitter)[0]
    assert before[-1].id == after[-1].id
    assert before[-1].start != after[-1].start


def test_normalise_keeps_paragraphs_and_maps_offsets() -> None:
    text = "  Hello\u00a0  world.\n\n\n   Next\tline\nHere  "
    norm = normalise(text)
    assert norm.text == "Hello world.\n\nNext line\nHere"
    start, end = norm.to_original(norm.text.index("world"), norm.text.index("world") + 5)
    assert text[start:end] == "world"
    start, end = norm.to_original(0, len(norm.text))
    assert text[start:end] == text.strip()


def test_abbreviations_do_not_split_sentences() -> None:
    glavkosmos = _seed_documents()[0]
    _, sentences = split_document(glavkosmos, make_splitter(800, 120))
    texts = [s.text for s in sentences]
    assert "Author: Mr. Dmitry Loskutov" in texts
    assert "Ms. Anna Migas" in texts


def test_initials_and_company_forms_do_not_split_sentences() -> None:
    from rag_service.documents.chunking import _sentence_spans

    text = (
        "The bridge was bought by Robert P. McCulloch in 1968. It stands near a U.S. Army base. "
        "He met J.R.R. Tolkien there. Acme Inc. makes rockets. The end."
    )
    assert [text[a:b] for a, b in _sentence_spans(text)] == [
        "The bridge was bought by Robert P. McCulloch in 1968.",
        "It stands near a U.S. Army base.",
        "He met J.R.R. Tolkien there.",
        "Acme Inc. makes rockets.",
        "The end.",
    ]


def _brute_force_rows(chunk, sentences, first_row):
    return tuple(
        first_row + i
        for i, s in enumerate(sentences)
        if s.source == chunk.source and s.start < chunk.end and s.end > chunk.start
    )


def test_sentence_links_match_the_exhaustive_comparison() -> None:
    splitter = make_splitter(300, 60)
    for doc in _seed_documents():
        chunks, sentences = split_document(doc, splitter)
        linked = link_sentences(chunks, sentences, 7)
        assert [c.sentence_ids for c in linked] == [_brute_force_rows(c, sentences, 7) for c in chunks]
        assert all(c.sentence_ids for c in linked)


def _big_document(size: int) -> Document:
    base = "".join(d.text for d in _seed_documents())
    text = (base * (size // len(base) + 1))[:size]
    return Document("big.txt", text, DocumentMeta("Big"), (Section("body", 0, len(text)),), "x")


def test_chunking_and_linking_grow_linearly_with_document_size() -> None:
    """A 20 MB file once took minutes in this step (every chunk compared with every sentence). Linear
    work makes 8x the text cost about 8x; quadratic work would cost 64x. The bound sits between."""
    splitter = make_splitter(800, 120)
    seconds = []
    for size in (500_000, 4_000_000):
        doc = _big_document(size)
        started = time.process_time()
        chunks, sentences = split_document(doc, splitter)
        link_sentences(chunks, sentences, 0)
        seconds.append(time.process_time() - started)
    print(f"0.5 MB: {seconds[0]:.2f} s, 4 MB: {seconds[1]:.2f} s (ratio {seconds[1] / seconds[0]:.1f})")
    assert seconds[1] / seconds[0] < 20


def test_an_abbreviation_inside_brackets_does_not_end_a_sentence() -> None:
    # man-db's FAQ (tests/documents/data): "… a different output encoding (e.g. UTF-8) from that …" was cut
    # after "(e.g.", and an answer led with "UTF-8) from that provided by the translators."
    path = Path(__file__).parent / "documents" / "data" / "man-db-faq.txt"
    document = load_document(SourceFile(path.name, path, "test"))
    texts = [s.text for s in split_document(document, make_splitter(800, 120))[1]]
    assert any(t.startswith("man uses the obsolete catgets") and "(e.g. UTF-8) from that" in t for t in texts)
    assert not any(t.startswith("UTF-8)") for t in texts)
