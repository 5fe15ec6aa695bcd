"""Take the documentation's screenshot of the chat page: a cited answer with its PDF page open.

    .venv/bin/python scripts/screenshot.py      # or: make screenshot (writes docs/img/chat-page.png)

A real server over the seeds plus one real PDF manual (the libtasn1 manual of the held-apart set),
driven by Debian's Chromium through Playwright, as the browser tests do. Re-run it when the page
changes; the picture is committed so the README and the site show it without a build.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from rag_service.bench.server import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What does asn1Coding generate?"


def main(out: Path = ROOT / "docs" / "img" / "chat-page.png") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        shutil.copy(ROOT / "eval" / "other-docs" / "libtasn1-manual.pdf", seeds)
        server = ServerProcess(seeds, Path(tmp) / "index", log_path=Path(tmp) / "server.log", RAG_WORKERS="1")
        server.wait_healthy(timeout=300)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_page(viewport={"width": 1280, "height": 760})
                page.goto(server.url)
                page.fill("#question", QUESTION)
                page.press("#question", "Enter")
                page.wait_for_function(
                    "() => { const m = [...document.querySelectorAll('.msg.assistant')].pop();"
                    " return m && !m.classList.contains('streaming'); }",
                    timeout=60_000,
                )
                page.locator(".msg.assistant .text .cite").first.click()
                page.wait_for_function(
                    "() => { const i = document.getElementById('page-image');"
                    " return i && i.naturalWidth > 0; }",
                    timeout=60_000,
                )
                page.wait_for_timeout(500)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            server.stop()
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
