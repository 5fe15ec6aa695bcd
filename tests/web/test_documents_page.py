"""The documents panel in real Chromium against a real server: upload a PDF from the page, see its page 2
cited and shown with the passage marked, delete it, and see answers stop citing it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import LiveServer, seeds_server
from tests.documents import writers
from tests.web.conftest import KEY
from tests.web.test_chat_page import ask, last_answer

DROP = """([name, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "application/pdf" }));
  const zone = document.getElementById("drop-zone");
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}"""


def open_documents(page) -> None:
    page.click("#documents-toggle")
    page.locator("#documents-panel").wait_for(state="visible")
    page.locator("#document-list li").first.wait_for()


def test_upload_ask_open_page_and_delete(page, managed_server, tmp_path, artifacts) -> None:
    pdf = tmp_path / "crossings.pdf"
    pdf.write_bytes(writers.multipage_pdf())
    page_requests: list[str] = []
    page.on("request", lambda r: page_requests.append(urlsplit(r.url).path))
    page.goto(managed_server.url)
    open_documents(page)
    assert page.locator("#document-list li").count() == 2
    assert page.locator("#manage").is_visible()

    # Upload by the button's file chooser: the key is asked for once, then the file goes up.
    page.set_input_files("#file-input", str(pdf))
    page.locator("#key-form").wait_for(state="visible")
    page.fill("#api-key", KEY)
    page.click("#key-form button[type=submit]")
    page.locator("#upload-status li.done").wait_for(timeout=60_000)
    assert "added as crossings.pdf" in page.locator("#upload-status li.done").inner_text()
    entry = page.locator("#document-list li[data-name='crossings.pdf']")
    entry.wait_for()
    assert "PDF" in entry.inner_text() and "pages" in entry.inner_text()
    page.screenshot(path=str(artifacts / "documents-uploaded.png"), full_page=True)

    # A hostile file dropped on the page gets its reason, per file, and is not listed.
    page.evaluate(DROP, ["locked.pdf", base64.b64encode(writers.multipage_pdf(encrypt=True)).decode()])
    failed = page.locator("#upload-status li.error")
    failed.wait_for(timeout=30_000)
    assert "encrypted PDF" in failed.inner_text()
    assert page.locator("#key-form").is_hidden()  # the key was kept for this tab

    # The answer cites page 2; its marker opens the page, rendered, with the passage marked.
    ask(page, writers.PAGE_TWO_QUESTION)
    answer = last_answer(page)
    assert "Varnholt" in answer.locator(".text").inner_text()
    assert "page 2" in answer.locator(".sources").inner_text()
    answer.locator(".text .cite").first.click()
    page.locator("#page-view").wait_for(state="visible")
    page.locator("#page-view .page-mark").first.wait_for()
    image = page.locator("#page-image")
    # The tab holds a key, so the page image was fetched with it and is shown from a blob URL.
    assert "/api/documents/crossings.pdf/pages/2.png" in page_requests
    assert image.get_attribute("src").startswith("blob:")
    assert page.evaluate("document.getElementById('page-image').naturalWidth") > 500
    assert "page 2" in page.locator("#source-meta").inner_text()
    mark_box = page.locator("#page-view .page-mark").first.bounding_box()
    image_box = image.bounding_box()
    assert image_box["y"] < mark_box["y"] < image_box["y"] + image_box["height"] / 3  # near the top of page 2
    page.screenshot(path=str(artifacts / "documents-pdf-page.png"), full_page=True)
    page.click("#source-view")
    page.locator("#source-text mark#highlight").wait_for()
    assert "Varnholt" in page.locator("#source-text mark#highlight").inner_text()
    assert page.locator("#page-view").is_hidden()

    # Delete it (confirmed), and answers stop citing it.
    page.keyboard.press("Escape")
    open_documents(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#document-list li[data-name='crossings.pdf'] button.delete")
    page.locator("#document-list li[data-name='crossings.pdf']").wait_for(state="detached")
    ask(page, writers.PAGE_TWO_QUESTION)
    assert "crossings.pdf" not in last_answer(page).inner_text()
    assert not (managed_server.tmp / "seeds" / "crossings.pdf").exists()


def test_management_is_hidden_without_a_key(page, live_server_without_key) -> None:
    page.goto(live_server_without_key.url)
    open_documents(page)
    assert page.locator("#document-list li").count() == 2
    assert page.locator("#manage").is_hidden()
    assert page.locator("#document-list button.delete").count() == 0


@pytest.fixture
def live_server_without_key(tmp_path: Path, embedder) -> Iterator[LiveServer]:
    with seeds_server(tmp_path, embedder, RAG_API_KEY="") as server:
        yield server
