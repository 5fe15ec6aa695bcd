import os
from pathlib import Path

import pytest

from rag_service.documents import list_sources, load_document
from rag_service.errors import DocumentError
from tests.conftest import GLAVKOSMOS, SEEDS, SPUTNIK


def test_seed_files_are_the_originals_unchanged() -> None:
    shared = SEEDS.parent.parent / "shared" / "seeds"
    if not shared.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{shared} must be beside the checkout in CI")
        pytest.skip(f"{shared} is not beside this checkout")
    for name in (GLAVKOSMOS, SPUTNIK):
        assert (SEEDS / name).read_bytes() == (shared / name).read_bytes()


def test_lists_only_txt_and_md_in_name_order(tmp_path: Path) -> None:
    for name in ("b.md", "a.txt", "notes.json", "a.txt.meta.json", ".hidden.txt"):
        (tmp_path / name).write_text("Some text here.", encoding="utf-8")
    assert [s.name for s in list_sources(tmp_path)] == ["a.txt", "b.md"]


def test_sidecar_gives_title_and_reader_section() -> None:
    source = next(s for s in list_sources(SEEDS) if s.name == SPUTNIK)
    doc = load_document(source)
    assert doc.meta.title == "Russia Aims to Develop New Cooperation in Space Exploration"
    assert [s.name for s in doc.sections] == ["body", "comments"]
    comments = doc.sections[1]
    assert comments.voice == "reader"
    assert doc.text[comments.start :].lstrip().startswith("cast235")
    assert "cast235" not in doc.text[: comments.start]


def test_title_guessed_without_sidecar(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("\n\n# A Heading\n\nBody text.", encoding="utf-8")
    doc = load_document(list_sources(tmp_path)[0])
    assert doc.meta.title == "A Heading"
    assert [s.name for s in doc.sections] == ["body"]


def test_sidecar_change_changes_the_hash(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("Body text.", encoding="utf-8")
    before = list_sources(tmp_path)[0].sha256
    (tmp_path / "x.txt.meta.json").write_text('{"title": "X"}', encoding="utf-8")
    assert list_sources(tmp_path)[0].sha256 != before


@pytest.mark.parametrize(
    ("content", "sidecar", "message"),
    [
        (b"\xff\xfe bad bytes", None, "not valid UTF-8"),
        (b"Body.", "{not json", "not valid JSON"),
        (b"Body.", '{"sections": [{"name": "comments", "starts_at": "nowhere"}]}', "not in the text"),
        (b"Body.", '{"sections": [{"name": "comments"}]}', "needs a 'name' and a 'starts_at'"),
    ],
)
def test_bad_seed_files_give_clear_errors(
    tmp_path: Path, content: bytes, sidecar: str | None, message: str
) -> None:
    (tmp_path / "x.txt").write_bytes(content)
    if sidecar is not None:
        (tmp_path / "x.txt.meta.json").write_text(sidecar, encoding="utf-8")
    with pytest.raises(DocumentError, match=message):
        load_document(list_sources(tmp_path)[0])


def test_missing_seeds_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="does not exist"):
        list_sources(tmp_path / "nope")
