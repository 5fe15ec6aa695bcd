"""The CLI as users run it: real subprocesses of the installed ``rag-service`` entry point."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag_service.bench.server import ServerProcess, free_port
from tests.conftest import SPUTNIK, make_settings

ROOT = Path(__file__).resolve().parents[1]


def run(
    tmp: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command run from ``tmp``, as a user of the installed package would: nothing the repository
    holds (the prompt templates included) is in the working directory."""
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
        "RAG_SEEDS_DIR": str(tmp / "seeds"),
        "RAG_INDEX_DIR": str(tmp / "index"),
        "HF_HUB_OFFLINE": "1",
        "RAG_PORT": str(port or free_port()),  # no server there unless a test starts one
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "rag_service.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=tmp,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    make_settings(tmp)
    result = run(tmp, "ingest", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 added" in result.stdout and SPUTNIK in result.stdout
    return tmp


def test_ask_before_ingest_says_what_to_do(tmp_path: Path) -> None:
    make_settings(tmp_path)
    result = run(tmp_path, "ask", "Who heads Roscosmos?")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: no index")
    assert "rag-service ingest" in result.stderr


def test_second_ingest_reports_up_to_date(built: Path) -> None:
    result = run(built, "ingest", "--quiet")
    assert result.returncode == 0
    assert "index up to date" in result.stdout and "embedded 0 texts" in result.stdout


def test_ask_prints_answer_and_numbered_sources(built: Path) -> None:
    result = run(built, "ask", "How many space launches does Russia plan in 2017?")
    assert result.returncode == 0, result.stderr
    assert "30" in result.stdout and "[1]" in result.stdout
    assert "Sources:" in result.stdout and SPUTNIK in result.stdout


def test_ask_uses_a_running_server_and_says_so(built: Path) -> None:
    question = "How many space launches does Russia plan in 2017?"
    local = run(built, "ask", "--json", question)
    assert local.returncode == 0 and "answered by this process" in local.stderr
    server = ServerProcess(built / "seeds", built / "index", RAG_INGEST_ON_START="never").wait_healthy()
    try:
        found = run(built, "ask", "--json", question, port=server.port)  # found on RAG_PORT
        given = run(built, "ask", question, "--url", server.url, port=free_port())
    finally:
        server.stop()
    assert found.returncode == 0, found.stderr
    assert f"answered by the server at http://127.0.0.1:{server.port}" in found.stderr
    assert json.loads(found.stdout)["answer"] == json.loads(local.stdout)["answer"]
    assert given.returncode == 0 and f"the server at {server.url}" in given.stderr
    assert "Sources:" in given.stdout and SPUTNIK in given.stdout


def test_ask_with_a_url_where_no_server_runs_fails_clearly(built: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(built, "ask", "Who heads Roscosmos?", "--url", url)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: no server answers at {url} (ConnectError)"


def test_ask_json_gives_the_structured_result(built: Path) -> None:
    result = run(built, "ask", "--json", "Who heads Roscosmos?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"answer", "citations", "not_found", "retrieved", "timings_ms", "standalone_question"}
    assert data["citations"] and {"n", "source", "title", "section", "start", "end", "quote", "score"} <= set(
        data["citations"][0]
    )


@pytest.mark.parametrize(("args", "message"), [(("ask", "   "), "question is empty")])
def test_bad_input_is_one_clear_line(built: Path, args: tuple[str, ...], message: str) -> None:
    result = run(built, *args)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error:") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_errors_never_print_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_CHUNK_OVERLAP": "900", "RAG_API_KEY": "k-secret-77", "RAG_LLM_API_KEY": "sk-88"}
    result = subprocess.run(
        [sys.executable, "-m", "rag_service.cli", "ingest"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "RAG_CHUNK_OVERLAP (900) must be smaller than RAG_CHUNK_SIZE (800)" in result.stderr
    assert "k-secret-77" not in result.stderr + result.stdout and "sk-88" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [(), ("ingest",), ("ask",), ("serve",)])
def test_help(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = run(tmp_path, *command, "--help")
    assert result.returncode == 0
    assert "usage: rag-service" in result.stdout


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert run(tmp_path, "frobnicate").returncode == 2


def test_help_lists_every_command_in_a_plain_sentence(capsys) -> None:
    from rag_service.cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    shown = capsys.readouterr().out
    commands = next(a for a in parser._actions if a.dest == "command")
    for name, action in zip(commands.choices, commands._choices_actions, strict=True):
        assert name in shown
        sentence = action.help or ""
        assert sentence[:1].isupper() and sentence.endswith("."), (name, sentence)
        assert "`" not in sentence and "``" not in shown, (name, sentence)
