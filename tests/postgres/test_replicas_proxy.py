"""The compose ``postgres`` profile's front door for real: Debian's nginx run with ``docker/nginx.conf``
(only the replicas' addresses and the port changed) in front of two real ``rag-service serve``
processes on one real PostgreSQL, each with its own empty-but-seeds folder, as two machines would be.
Requests through the one port reach both replicas; what one receives, the other answers; a replica
killed while questions are in flight costs those questions a 503 with ``Retry-After`` (never a 502 or
a hang), within 2 s, and the next ones are answered by the survivor."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from rag_service.bench.server import free_port
from rag_service.store.postgres.local import LocalPostgres
from tests.conftest import ROOT, LiveServer, make_settings
from tests.postgres.conftest import fresh_database

pytestmark = pytest.mark.slow
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
KEY = "proxy-key-456"
LUNAR = "Lunar bases need water ice from the Shackleton crater near the Moon's south pole."
QUESTION = "What do lunar bases need from the Shackleton crater?"


def _proxy_config(tmp: Path, replicas: list[LiveServer], port: int) -> Path:
    text = (ROOT / "docker" / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"^\s*server rag-postgres:8000 (.*);$", text, re.M)
    assert upstream, "docker/nginx.conf names the compose service rag-postgres:8000"
    servers = "\n".join(f"        server 127.0.0.1:{r.port} {upstream.group(1)};" for r in replicas)
    text = text.replace(upstream.group(0), servers).replace("listen 8000;", f"listen 127.0.0.1:{port};")
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp}/nginx.pid;")
    path = tmp / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def _served(server: LiveServer) -> int:
    return server.output().count("/api/health")


def test_two_replicas_behind_the_proxy_share_everything_and_survive_one_killed(
    tmp_path: Path, postgres: LocalPostgres
) -> None:
    url = fresh_database(postgres)
    make_settings(tmp_path / "a")
    (tmp_path / "b" / "seeds").mkdir(parents=True)
    env = {"RAG_STORE": "postgres", "RAG_DATABASE_URL": url, "RAG_API_KEY": KEY}
    first = LiveServer(tmp_path / "a", **env)
    first.wait_healthy()
    second = LiveServer(tmp_path / "b", **env, RAG_INGEST_ON_START="never")
    port = free_port()
    proxy = None
    try:
        second.wait_healthy()
        config = _proxy_config(tmp_path, [first, second], port)
        with open(tmp_path / "nginx.log", "wb") as log:
            proxy = subprocess.Popen(
                [NGINX, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off; error_log stderr;"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        front = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{front}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proxy.poll() is None and time.monotonic() < deadline, (tmp_path / "nginx.log").read_text()
            time.sleep(0.2)
        before = (_served(first), _served(second))
        for _ in range(6):
            assert httpx.get(f"{front}/api/health", timeout=10).status_code == 200
        assert _served(first) > before[0] and _served(second) > before[1]  # round-robin over both

        upload = httpx.post(
            f"{front}/api/documents",
            files=[("files", ("lunar.txt", LUNAR.encode()))],
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=300,
        )
        assert upload.status_code == 200, upload.text
        for _ in range(4):  # whichever replica answers, it knows the upload
            answer = httpx.post(f"{front}/api/ask", json={"question": QUESTION}, timeout=60)
            assert answer.status_code == 200 and "lunar.txt" in {
                c["source"] for c in answer.json()["citations"]
            }

        def ask(_: int) -> tuple[int, float, httpx.Headers, str]:
            started = time.monotonic()
            response = httpx.post(f"{front}/api/ask", json={"question": QUESTION}, timeout=30)
            return response.status_code, time.monotonic() - started, response.headers, response.text

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(ask, n) for n in range(40)]
            time.sleep(0.05)
            first.process.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            results = [f.result() for f in futures]
        assert time.monotonic() - killed_at < 30
        for status, seconds, headers, text in results:
            assert status in (200, 503), (status, text)
            assert seconds < 2.0 or status == 200, (status, seconds)
            if status == 503:
                assert headers["retry-after"] and "retry" in text
        after = [httpx.post(f"{front}/api/ask", json={"question": QUESTION}, timeout=30) for _ in range(4)]
        assert [r.status_code for r in after] == [200] * 4
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        second.stop()
        first.stop()
