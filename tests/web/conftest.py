"""Real headless Chromium (Debian's package) driven by Playwright. `playwright install` cannot download
browsers here, so the system binary is used. A missing browser fails the tests that need it, naming it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, MissingTool, seeds_server

KEY = "page-key-42"
AXE = Path(__file__).resolve().parents[2] / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        raise MissingTool(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The server sends a Content-Security-Policy; anything it blocks shows up as a console error.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"JavaScript errors or blocked content on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def managed_server(tmp_path: Path, embedder) -> Iterator[LiveServer]:
    with seeds_server(tmp_path, embedder, RAG_API_KEY=KEY) as server:
        yield server


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's rules, fetched from the npm registry by ``make test`` into .venv (never served by the
    page): a missing copy fails with the command that fetches it rather than skipping the checks."""
    if not AXE.exists():
        raise MissingTool(f"axe-core is missing at {AXE}: `make test` fetches it from the npm registry")
    return AXE.read_text(encoding="utf-8")
