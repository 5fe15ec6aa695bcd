import codecs
import os
from pathlib import Path

import pytest

from rag_service.documents.files import list_sources, load_document, scan_sources
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
        (b"\xc3\x28 bad bytes", None, "not valid UTF-8"),
        (b"\xff\xfe\x00\xd8", None, "not valid UTF-16"),
        (b"PK\x03\x04\x00\x00binary", None, "binary file"),
        (b"", None, "empty"),
        (b" \n\t\n", None, "empty"),
        (b"Body.", "[1, 2]", "must hold a JSON object"),
        (b"Body.", '{"sections": "comments"}', "must be a list"),
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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (codecs.BOM_UTF8 + "Café on the Moon.".encode(), "Café on the Moon."),
        (codecs.BOM_UTF16_LE + "Café on the Moon.".encode("utf-16-le"), "Café on the Moon."),
        (codecs.BOM_UTF16_BE + "Café on the Moon.".encode("utf-16-be"), "Café on the Moon."),
    ],
)
def test_byte_order_marks_are_decoded_and_dropped(tmp_path: Path, raw: bytes, expected: str) -> None:
    (tmp_path / "x.txt").write_bytes(raw)
    assert load_document(list_sources(tmp_path)[0]).text == expected


def test_links_out_of_the_folder_and_special_files_are_skipped(tmp_path: Path) -> None:
    """A link to /proc/self/environ would publish the server's environment (its API key included)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (tmp_path / "outside.txt").write_text("A secret outside the documents folder.", encoding="utf-8")
    (seeds / "good.txt").write_text("A good document about rockets.", encoding="utf-8")
    (seeds / "env.txt").symlink_to("/proc/self/environ")
    (seeds / "shadow.txt").symlink_to("/etc/shadow")
    (seeds / "outside.txt").symlink_to(tmp_path / "outside.txt")
    (seeds / "null.txt").symlink_to("/dev/null")
    (seeds / "inside.txt").symlink_to(seeds / "good.txt")  # a link that stays inside is fine
    (seeds / "folder.txt").mkdir()
    os.mkfifo(seeds / "fifo.txt")  # reading it would block the ingest forever
    (seeds / "good.txt.meta.json").write_text('{"title": "Good"}', encoding="utf-8")
    (seeds / "leaky.md").write_text("Leaky document.", encoding="utf-8")
    (seeds / "leaky.md.meta.json").symlink_to("/proc/self/environ")
    sources, skipped = scan_sources(seeds)
    assert [s.name for s in sources] == ["good.txt", "inside.txt"]
    reasons = {s.name: s.reason for s in skipped}
    assert set(reasons) == {
        "env.txt",
        "shadow.txt",
        "outside.txt",
        "null.txt",
        "folder.txt",
        "fifo.txt",
        "leaky.md",
    }
    for name in ("env.txt", "shadow.txt", "outside.txt", "null.txt", "leaky.md"):
        assert "outside the documents folder" in reasons[name]
    assert "a folder" in reasons["folder.txt"] and "FIFO" in reasons["fifo.txt"]
    assert all(str(tmp_path) not in reason for reason in reasons.values())
    assert load_document(sources[1]).text == "A good document about rockets."


def test_a_link_swapped_to_point_outside_after_listing_is_not_read(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("Harmless text.", encoding="utf-8")
    (seeds / "b.txt").symlink_to(seeds / "a.txt")
    source = next(s for s in list_sources(seeds) if s.name == "b.txt")
    (seeds / "b.txt").unlink()
    (seeds / "b.txt").symlink_to("/proc/self/environ")
    with pytest.raises(DocumentError, match="outside the documents folder"):
        load_document(source)
