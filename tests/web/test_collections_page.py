"""Collections on the chat page, in real Chromium against a real server: a reader key in the header
shows a private collection in the picker; each collection has its own answers, sources, documents and
conversation; forgetting the key takes the private collection away again."""

from __future__ import annotations

import httpx

from tests.web.conftest import KEY
from tests.web.test_chat_page import ask, last_answer
from tests.web.test_documents_page import open_documents

POLICY = "The holiday allowance of the staff is 27 days a year, agreed with the works council."
QUESTION = "How many holiday days do staff get?"


def _private_collection(url: str) -> str:
    admin = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=admin, timeout=120) as client:
        assert client.post("/api/collections", json={"name": "hr"}).status_code == 201
        files = [("files", ("policy.txt", POLICY.encode(), "text/plain"))]
        assert client.post("/api/documents?collection=hr", files=files).status_code == 200
        made = client.post("/api/keys", json={"label": "hr team", "role": "reader", "collection": "hr"})
        assert made.status_code == 201
        return str(made.json()["key"])


def _options(page) -> list[str]:
    return page.eval_on_selector_all("#collection option", "els => els.map((e) => e.value)")


def test_a_reader_key_opens_a_private_collection(page, managed_server, artifacts) -> None:
    key = _private_collection(managed_server.url)
    page.goto(managed_server.url)
    page.wait_for_function("() => document.querySelectorAll('#collection option').length > 0")
    assert _options(page) == ["default"]  # the private collection is not even named

    page.fill("#access-key", key)
    page.press("#access-key", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#collection option').length === 2")
    assert page.locator("#collection option[value=hr]").inner_text() == "hr (private)"
    page.select_option("#collection", "hr")
    ask(page, QUESTION)
    answer = last_answer(page)
    assert "27 days" in answer.locator(".text").inner_text()
    answer.locator(".text .cite").first.click()
    page.locator("#source-panel").wait_for(state="visible")
    assert "works council" in page.locator("#source-text mark#highlight").inner_text()
    page.keyboard.press("Escape")
    open_documents(page)
    listed = page.locator("#document-list li").all_inner_texts()
    assert len(listed) == 1 and "policy.txt" in listed[0]  # hr's documents only
    assert page.locator("#manage").is_hidden()  # a reader key cannot add or delete
    page.screenshot(path=str(artifacts / "collections-private.png"), full_page=True)
    page.keyboard.press("Escape")

    page.select_option("#collection", "default")  # its own conversation, and no holiday answer in it
    assert page.locator(".msg.assistant").count() == 0
    ask(page, QUESTION)
    assert "27 days" not in last_answer(page).locator(".text").inner_text()
    page.select_option("#collection", "hr")  # hr's conversation is kept
    assert "27 days" in last_answer(page).locator(".text").inner_text()
    assert page.locator(".msg.user").count() == 1

    page.click("#forget-key")
    page.wait_for_function("() => document.querySelectorAll('#collection option').length === 1")
    assert page.locator("#collection").input_value() == "default"
    assert page.evaluate("sessionStorage.getItem('rag-service.api-key')") is None
