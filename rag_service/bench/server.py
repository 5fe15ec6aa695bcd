"""A real ``rag-service serve`` in a subprocess on a free loopback port: one helper for the benchmark
suite and the test suite, so both start, probe and stop servers the same way.

``wait_until_ok`` is also what the tests use for other servers (llama.cpp's): it polls a URL until it
answers 200 and fails with the tail of the server's log when the process dies or time runs out.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from rag_service.bench.timing import peak_rss_mb


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ok(url: str, process: subprocess.Popen, log: IO[str] | None, timeout: float = 120) -> None:
    """Poll ``url`` until it answers 200; raise with the server's log if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    tail = ""
    if log is not None:
        log.flush()
        log.seek(0)
        tail = log.read()[-4000:]
    state = "exited" if process.poll() is not None else f"did not answer {url} in {timeout:.0f} s"
    raise RuntimeError(f"server {state}: {tail}")


class ServerProcess:
    """``rag-service serve`` over ``seeds`` and ``index`` with extra ``RAG_*`` settings in ``env``.

    The log goes to ``log_path`` (or nowhere); ``ready_seconds`` is the time from launch to the first
    200 of ``/api/health``; ``stop()`` returns the peak memory in MB of the server and its worker
    processes (Linux), also kept in ``peak_mb``.
    """

    def __init__(
        self, seeds: Path, index: Path, *, log_path: Path | None = None, port: int | None = None, **env: str
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: IO[str] | None = open(log_path, "w+") if log_path else None  # noqa: SIM115 - see stop()
        full_env = {
            **os.environ,
            "RAG_SEEDS_DIR": str(seeds),
            "RAG_INDEX_DIR": str(index),
            "HF_HUB_OFFLINE": "1",
            "RAG_WORKERS": "1",  # one process unless a caller asks for more
            "RAG_STORE": "faiss",  # the files given above unless a caller names a database
            **env,
        }
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rag_service.cli", "serve", "--port", str(self.port)],
            env=full_env,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.ready_seconds: float | None = None
        self.peak_mb: float | None = None
        """Peak memory of the server and its workers, set by ``stop()``."""

    def wait_healthy(self, timeout: float = 120) -> ServerProcess:
        wait_until_ok(f"{self.url}/api/health", self.process, self.log, timeout)
        self.ready_seconds = time.perf_counter() - self.started
        return self

    def output(self) -> str:
        """The last 4,000 characters the server logged."""
        if self.log is None:
            return ""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> float | None:
        rss = self.peak_mb = peak_rss_mb(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        if self.log is not None:
            self.log.close()
        return rss
