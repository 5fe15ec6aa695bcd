import shutil
from pathlib import Path

import pytest

from rag_service.config import Settings
from rag_service.errors import ConfigError
from rag_service.prompts import PACKAGED, VARIABLES, load_prompts
from tests.conftest import ROOT

PROMPTS = ROOT / "prompts"


def test_repository_prompts_load_with_their_variables() -> None:
    prompts = load_prompts(PROMPTS)
    assert set(prompts.answer.input_variables) == {"passages", "question"}
    assert set(prompts.condense.input_variables) == {"history", "question"}
    assert prompts.system.input_variables == []
    text = prompts.answer.format(passages="[1] A passage.", question="What?")
    assert "[1] A passage." in text and "What?" in text


def test_answer_prompt_says_what_the_issue_asks() -> None:
    prompts = load_prompts(PROMPTS)
    both = (prompts.system.format() + prompts.answer.template).lower()
    assert "square brackets" in both and "[1]" in both  # markers after each claim
    assert "only" in both and "do not contain an answer" in both  # only the passages; say so plainly
    assert "not instructions" in both  # passages are data


@pytest.fixture
def prompts_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS, folder)
    return folder


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("answer.txt", "Question: {question}", "missing {passages}"),
        ("answer.txt", "{passages} {question} {language}", "unknown {language}"),
        ("condense.txt", "{history}", "missing {question}"),
        ("system.txt", "You are {name}.", "unknown {name}"),
        ("answer.txt", "{passages} {question} {unclosed", "not a valid template"),
    ],
)
def test_bad_prompt_files_are_refused_naming_the_file(
    prompts_copy: Path, file: str, text: str, message: str
) -> None:
    (prompts_copy / file).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_prompts(prompts_copy)
    assert file in str(info.value) and message in str(info.value)


def test_missing_prompt_file(prompts_copy: Path) -> None:
    (prompts_copy / "condense.txt").unlink()
    with pytest.raises(ConfigError, match=r"condense\.txt cannot be read"):
        load_prompts(prompts_copy)


def test_literal_braces_are_allowed(prompts_copy: Path) -> None:
    (prompts_copy / "system.txt").write_text('Answer in JSON like {{"a": 1}}.', encoding="utf-8")
    assert load_prompts(prompts_copy).system.format() == 'Answer in JSON like {"a": 1}.'


def test_the_packaged_templates_are_the_default() -> None:
    assert PROMPTS.resolve() == PACKAGED.resolve()  # the package's templates are the checkout's prompts/
    assert load_prompts() == load_prompts(PACKAGED)
    assert Settings().prompts_dir is None


def test_every_prompt_file_is_known() -> None:
    assert {p.name for p in PROMPTS.glob("*.txt")} == set(VARIABLES)


def test_service_start_reports_a_broken_prompt(prompts_copy: Path, tmp_path: Path, embedder) -> None:
    import time

    from fastapi.testclient import TestClient

    from rag_service.api.app import create_app
    from rag_service.ingest import ingest_seeds
    from tests.conftest import make_settings

    (prompts_copy / "answer.txt").write_text("{question}", encoding="utf-8")
    settings = make_settings(tmp_path, prompts_dir=prompts_copy)
    ingest_seeds(settings, embedder)
    with TestClient(create_app(settings)) as client:
        for _ in range(300):
            detail = client.get("/api/health").json()["detail"]
            if "loading" not in detail:
                break
            time.sleep(0.1)
        assert "answer.txt" in detail and "missing {passages}" in detail
