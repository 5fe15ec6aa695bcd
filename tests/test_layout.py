"""The answerer's per-sentence layout (``answer.layout``): computed once per version, stored and read
back, it holds exactly what the line, neighbour and heading rules give, and an answerer built from a
stored layout answers as one that walks the sentences. Real model, real files of several formats."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rag_service.answer import layout as layout_module
from rag_service.answer.layout import SentenceLayout, rows_by_document
from rag_service.answer.lines import line_kinds
from rag_service.answer.neighbours import neighbour_rows
from rag_service.answer.sections import innermost_headings
from rag_service.documents.windows import chunk_windows
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from tests.conftest import first_turns, make_settings
from tests.documents.writers import article_html, multipage_pdf, report_docx

FIELDS = (
    "flags",
    "neighbours",
    "heading_rows",
    "label_codes",
    "words",
    "document",
    "chunk",
    "chunk_windows",
    "document_chunks",
)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, embedder) -> Pipeline:
    """The seeds (an article with reader comments) and an HTML page, a Word report and a PDF with
    headings, lists and tables."""
    settings = make_settings(tmp_path_factory.mktemp("layout"))
    for name, data in {
        "lighthouses.html": article_html(),
        "orchard.docx": report_docx(),
        "manual.pdf": multipage_pdf(),
    }.items():
        (settings.seeds_dir / name).write_bytes(data)
    ingest_seeds(settings, embedder)
    return Pipeline.load(settings, embedder)


def test_the_layout_holds_what_the_rules_give(mixed: Pipeline) -> None:
    index = mixed.index
    sentences = index.content.sentences
    layout = SentenceLayout.of(index)
    kinds = line_kinds(index)
    for name in ("title", "short", "caption", "headline", "question"):
        assert np.array_equal(getattr(layout.lines, name), getattr(kinds, name)), name
    assert kinds.title.any() and kinds.short.any() and kinds.headline.any()
    metadata = kinds.title | kinds.short | kinds.caption
    assert np.array_equal(layout.neighbours, neighbour_rows(index, metadata))
    kept = (layout.neighbours, layout.heading_rows, layout.label_codes, layout.document, layout.chunk)
    assert sum(k.nbytes for k in kept) <= 8 * len(sentences)  # 24 bytes a sentence as int32 rows
    rows, labels = innermost_headings(index)
    assert np.array_equal(layout.heading_rows, rows) and list(layout.heading_labels) == labels
    assert {"Vellmar", "Pests", "Yields"} <= set(labels)
    assert len(layout.labels) < len(labels) / 5  # a code per row, each label once
    assert layout.words.tolist() == [len(s.text.split()) for s in sentences]
    assert np.array_equal(layout.other_voice, [s.voice != "author" for s in sentences])
    assert 0 < layout.other_voice.sum() < len(sentences)
    assert set(layout.spoken) == {(s.section, s.voice) for s in sentences if s.voice != "author"}
    names = [d.name for d in index.content.documents]
    assert [names[d] for d in np.asarray(layout.document)] == [s.source for s in sentences]
    first_chunk = {}
    for position, chunk in enumerate(index.content.chunks):
        for row in chunk.sentence_ids:
            first_chunk.setdefault(row, position)
    assert np.asarray(layout.chunk).tolist() == [first_chunk.get(row, -1) for row in range(len(sentences))]
    assert np.array_equal(layout.chunk_windows, chunk_windows(index.content.chunks))
    per_document = dict(zip(names, layout.document_chunks.tolist(), strict=True))
    assert per_document == {name: sum(c.source == name for c in index.content.chunks) for name in names}
    tables = {(d.name, t.start) for d in index.content.documents for t in d.structure.tables}
    headers = {(sentences[r].source, sentences[r].start) for r in np.flatnonzero(layout.table_header)}
    assert headers == tables and len(tables) >= 2


def test_rows_by_document_keep_row_order_and_skip_documents_with_none(mixed: Pipeline) -> None:
    index = mixed.index
    layout = SentenceLayout.of(index)
    chosen = ~layout.other_voice & (layout.words > 6)
    walked: dict[str, list[int]] = {}
    for row, s in enumerate(index.content.sentences):
        if chosen[row]:
            walked.setdefault(s.source, []).append(row)
    grouped = rows_by_document(chosen, layout.document, index.content.documents)
    assert {name: rows.tolist() for name, rows in grouped.items()} == walked and list(grouped) == list(walked)
    assert rows_by_document(np.zeros(len(chosen), dtype=bool), layout.document, index.content.documents) == {}
    interleaved = rows_by_document(
        np.ones(5, dtype=bool), np.array([1, 0, 1, 0, 1]), index.content.documents[:2]
    )
    first, second = (d.name for d in index.content.documents[:2])
    assert {k: v.tolist() for k, v in interleaved.items()} == {second: [0, 2, 4], first: [1, 3]}
    assert list(interleaved) == [second, first]


def test_a_stored_layout_reads_back_only_for_its_own_rows_and_code(mixed: Pipeline, monkeypatch) -> None:
    layout = SentenceLayout.of(mixed.index)
    content = mixed.index.content
    counts = {
        "documents": len(content.documents),
        "chunks": len(content.chunks),
        "sentences": len(content.sentences),
    }
    assert layout.counts() == counts
    data = layout.to_bytes()
    back = SentenceLayout.from_bytes(data, counts)
    assert back is not None and (back.labels, back.spoken) == (layout.labels, layout.spoken)
    for field in FIELDS:
        assert np.array_equal(getattr(back, field), getattr(layout, field)), field
    for kind in counts:  # another version's records
        assert SentenceLayout.from_bytes(data, {**counts, kind: counts[kind] + 1}) is None
    monkeypatch.setattr(layout_module, "layout_code", lambda: "rules changed since")
    assert SentenceLayout.from_bytes(data, counts) is None  # made by other line rules: computed again


def test_a_layout_of_an_earlier_release_with_the_same_values_is_read_until_a_rule_changes(
    mixed: Pipeline, monkeypatch
) -> None:
    layout = SentenceLayout.of(mixed.index)
    current = layout_module.layout_code()
    assert current in layout_module.SAME_VALUES, "a rule changed: drop SAME_VALUES' dead entry"
    monkeypatch.setattr(layout_module, "layout_code", lambda: layout_module.SAME_VALUES[current])
    earlier = layout.to_bytes()  # stored by the release before
    monkeypatch.setattr(layout_module, "layout_code", lambda: current)
    back = SentenceLayout.from_bytes(earlier, layout.counts())
    assert back is not None and np.array_equal(back.neighbours, layout.neighbours)
    monkeypatch.setattr(layout_module, "layout_code", lambda: "a later rule")
    assert SentenceLayout.from_bytes(earlier, layout.counts()) is None


def test_an_answerer_built_from_a_stored_layout_answers_the_same(mixed: Pipeline, embedder) -> None:
    index = mixed.index
    computed = SentenceLayout.of(index)
    stored = SentenceLayout.from_bytes(computed.to_bytes(), computed.counts())
    assert stored is not None
    from_layout = Pipeline(mixed.settings, embedder, dataclasses.replace(index, sentence_layout=stored))
    walking, reading = mixed._state.answerer, from_layout._state.answerer
    # each document's first and last rows that may answer, as the plain walk over every row finds them
    lines = computed.lines
    may = ~(computed.other_voice | lines.title | lines.short | lines.caption)
    expected = rows_by_document(may, computed.document, index.content.documents)
    count = walking.min_sentences
    assert expected and count >= 2
    for name, rows in expected.items():
        for ends in (walking._document_rows, reading._document_rows):
            assert name in ends
            assert ends.first(name) == rows[:count].tolist()
            assert ends.last(name) == rows[-count:].tolist()
    assert not any(name in walking._document_rows for name in index.documents if name not in expected)
    every = np.arange(len(index.content.sentences))
    assert np.array_equal(walking._scorer.fragment_penalty(every), reading._scorer.fragment_penalty(every))
    assert walking._companions._header_rows == reading._companions._header_rows
    assert walking.voices.voice_terms == reading.voices.voice_terms
    questions = [turn["question"] for _, turn in first_turns()] + [
        "When was the Skarn Point lighthouse built?",
        "How many tonnes of Bramley were harvested?",
        "What pests were found in the orchard?",
        "What do readers think of the article?",
        "How does the orchard survey end?",
    ]
    for question in questions:
        one, other = mixed.ask(question), from_layout.ask(question)
        assert (one.text, one.citations, one.notes) == (other.text, other.citations, other.notes), question


def test_the_layout_code_follows_the_rules_not_their_wording() -> None:
    import ast

    from rag_service.answer.layout_code import _code, _own_rules

    def code(source: str) -> str:
        return _code(ast.parse(source))

    rule = "def kind(line):\n    return line.endswith(':')\n"
    reworded = 'def kind(line):\n    """Why."""\n    # a comment\n    return line.endswith(":")\n'
    changed = "def kind(line):\n    return line.endswith(';')\n"
    assert code(rule) == code(reworded) != code(changed)
    own = (
        "MAX_WORDS = 9\nclass L:\n    def of(cls):\n        return 1\n"
        "    def to_bytes(self):\n        return 2\n"
    )
    kept_otherwise = own.replace("return 2", "return 3") + "HELPER = 4\n"
    assert _own_rules(own) == _own_rules(kept_otherwise)  # how a layout is kept is not a rule
    assert _own_rules(own) != _own_rules(own.replace("return 1", "return 5"))
    assert _own_rules(own) != _own_rules(own.replace("MAX_WORDS = 9", "MAX_WORDS = 8"))
