"""What an extractive answer is made of: never a title line, lists with their items, the documents' other
voices only when asked, windows that cover every chunk once. Real model and ingest, small corpora."""

from pathlib import Path

import numpy as np
import pytest

from rag_service.answer.extractive import ExtractiveAnswerer
from rag_service.config import Settings
from rag_service.documents.windows import WINDOW_CHARS, window_groups
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline

TIPPECANOE = (
    "Battle of Tippecanoe\n\n"
    "The Battle of Tippecanoe was fought on November 7, 1811, near present-day Battle Ground, Indiana. "
    "Tension had been growing between American settlers and Native Americans for years before the battle. "
    "Governor William Henry Harrison led the American forces against Tecumseh's confederacy. "
    "The defeat weakened the confederacy, and Harrison later ran for president on the victory.\n"
)
TOURISM = (
    "Space travel\n\n"
    "Commercial space travel is growing quickly around the world today. "
    "Development of commercial space travel on the international level can lead to:\n"
    "- new jobs in the regions that host launch sites;\n"
    "- scientific exchanges between countries;\n"
    "- cultural ties between the nations that take part.\n"
    "Prices for a seat are still very high for most customers.\n"
)
ARTICLE = (
    "Harbour plans\n\n"
    "The city council approved a plan to rebuild the old harbour wall over three years. "
    "The mayor said the works will begin next spring and cost about forty million euros.\n\n"
    "ana_k\n"
    "I think the harbour money would be better spent on schools and the hospital in our town.\n"
    "marco77\n"
    "The new wall is long overdue, the storms of last winter flooded the whole seafront street.\n"
)


@pytest.fixture(scope="module")
def small(tmp_path_factory, embedder) -> Pipeline:
    tmp = tmp_path_factory.mktemp("composition")
    (tmp / "docs").mkdir()
    (tmp / "docs" / "harbour.txt.meta.json").write_text(
        '{"title": "Harbour plans", '
        '"sections": [{"name": "comments", "starts_at": "ana_k", "voice": "reader"}]}'
    )
    for name, text in {"tippecanoe.txt": TIPPECANOE, "tourism.txt": TOURISM, "harbour.txt": ARTICLE}.items():
        (tmp / "docs" / name).write_text(text, encoding="utf-8")
    settings = Settings(seeds_dir=tmp / "docs", index_dir=tmp / "index", answerability_threshold=0.0)
    ingest_seeds(settings, embedder)
    return Pipeline.load(settings, embedder)


@pytest.mark.parametrize(
    "question",
    ["events leading up to the battle of tippecanoe", "battle of tippecanoe", "Battle of Tippecanoe"],
)
def test_a_title_line_is_never_the_answer(small: Pipeline, question: str) -> None:
    answer = small.ask(question)
    assert not answer.not_found
    assert all(c.quote.strip() != "Battle of Tippecanoe" for c in answer.citations)
    assert not answer.text.startswith("Battle of Tippecanoe [")


def test_a_when_question_is_answered_by_the_sentence_with_the_date(small: Pipeline) -> None:
    answer = small.ask("when was the battle of tippecanoe fought")
    assert "1811" in answer.citations[0].quote


def test_a_sentence_introducing_a_list_brings_the_list_in_one_exact_citation(small: Pipeline) -> None:
    answer = small.ask("What can commercial space travel lead to?")
    listed = [c for c in answer.citations if "can lead to:" in c.quote]
    assert listed, answer.text
    quote = listed[0].quote
    assert "new jobs" in quote and "scientific exchanges" in quote and "cultural ties" in quote
    assert "Prices" not in quote
    text = small.index.documents[listed[0].source].text
    assert text[listed[0].start : listed[0].end] == quote


def test_reader_comments_are_answered_from_the_comments_only_when_asked(small: Pipeline) -> None:
    about_comments = small.ask("What do the reader comments say about the harbour?")
    assert about_comments.citations and all(c.voice == "reader" for c in about_comments.citations)
    assert about_comments.text.startswith(
        "A reader in the comments of \u201cHarbour plans\u201d says: \u201c"
    )
    assert all(len(c.quote.split()) >= 8 for c in about_comments.citations), "one-line fragments"
    plain = small.ask("What will the harbour works cost?")
    assert all(c.voice == "author" for c in plain.citations)


def test_comment_detection_knows_no_document_names() -> None:
    source = Path(ExtractiveAnswerer.__module__.replace(".", "/") + ".py").read_text()
    assert "cast235" not in source.lower()


def test_windows_cover_every_chunk_once_within_one_section(small: Pipeline) -> None:
    chunks = small.index.content.chunks
    groups = window_groups(chunks)
    assert [row for g in groups for row in g] == list(range(len(chunks)))
    for g in groups:
        first, last = chunks[g.start], chunks[g.stop - 1]
        assert {chunks[r].source for r in g} == {first.source}
        assert {chunks[r].section for r in g} == {first.section}
        assert last.end - first.start <= WINDOW_CHARS or len(g) == 1
    vectors = small.index.content.window_vectors
    assert vectors.shape == (len(groups), small.embedder.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
