"""The documentation site, the README front page and the repository's layout promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rag_service.config import Settings
from rag_service.config_docs import rows
from rag_service.prompts import PACKAGED, load_prompts
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built as `make docs` and CI build it: --strict, so a broken link, a missing anchor, a
    missing image or a page left out of the navigation fails the build."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_every_setting_is_on_the_configuration_page(site: Path) -> None:
    page = (site / "configuration.html").read_text(encoding="utf-8")  # the offline plugin: no folder URLs
    for name in Settings.model_fields:
        assert f"RAG_{name.upper()}" in page, f"RAG_{name.upper()} is not on the configuration page"


def test_every_setting_has_a_meaning_and_a_default() -> None:
    table = rows()
    assert len(table) == len(Settings.model_fields)
    for variable, default, meaning in table:
        assert default and len(meaning.split()) >= 2, variable


def test_the_charts_are_drawn_from_the_data(site: Path) -> None:
    for name in ("trade-off", "operating-points", "scifact", "latency"):
        svg = (site / "img" / f"{name}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and "<svg" in svg
    scifact = (site / "img" / "scifact.svg").read_text(encoding="utf-8")
    assert "0.717" in scifact  # the hybrid nDCG@10 of docs/scifact-retrieval.json, as text in the chart


def test_the_site_has_the_pages_the_readme_links_to(site: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert len(links) >= 10
    for link in links:
        assert (ROOT / link).is_file(), link
        if link.endswith(".md") and link != "docs/index.md":
            assert (site / Path(link).relative_to("docs").with_suffix(".html")).is_file(), link


def test_the_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    text = "\n".join(lines)
    for must in (
        "make serve",
        "make test",
        "rag-service ask",
        "curl",
        "from openai import OpenAI",
        "make docs",
    ):
        assert must in text, must
    assert (ROOT / "docs" / "img" / "chat-page.png").stat().st_size > 20_000


def test_a_checkout_reads_the_prompts_at_the_top_of_the_repository() -> None:
    assert PACKAGED.resolve() == (ROOT / "prompts").resolve()
    assert load_prompts().answer.input_variables == ["passages", "question"]


@pytest.mark.slow
def test_the_wheel_carries_the_same_prompt_files(tmp_path: Path) -> None:
    """Built from the tracked files, as a fresh clone holds them: the wheel's templates are the bytes
    of ``prompts/``, so an installed ``rag-service`` works from any folder with the same prompts."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    source = tmp_path / "source"
    for name in filter(None, tracked):
        path, target = ROOT / name.decode(), source / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            target.symlink_to(path.readlink())
        elif path.is_file():
            target.write_bytes(path.read_bytes())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            ".",
            "-w",
            str(tmp_path),
        ],
        cwd=source,
        check=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("rag_service-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for prompt in (ROOT / "prompts").iterdir():
            assert archive.read(f"rag_service/prompt_templates/{prompt.name}") == prompt.read_bytes()
