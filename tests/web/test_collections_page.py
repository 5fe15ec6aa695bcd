"""Collections on the chat page, in real Chromium against a real server: a reader key in the header
shows a private collection in the picker; each collection has its own answers, sources, documents and
conversation; forgetting the key takes the private collection away again."""

from __future__ import annotations

import httpx

from tests.web.conftest import KEY
from tests.web.test_accessibility import violations
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


def test_an_admin_creates_and_deletes_a_collection_from_the_page(page, managed_server, axe_source) -> None:
    page.goto(managed_server.url)
    page.wait_for_function("() => document.querySelectorAll('#collection option').length > 0")
    page.click("#documents-toggle")
    assert page.locator("#collection-admin").is_hidden()  # no key: nothing to administer
    page.fill("#access-key", KEY)
    page.press("#access-key", "Enter")
    page.locator("#collection-admin").wait_for(state="visible")
    assert page.locator("#delete-collection").is_hidden()  # default cannot be deleted
    assert violations(page, axe_source) == []  # the header's picker and key field, the admin controls
    page.fill("#new-collection-name", "manuals")
    page.select_option("#new-collection-visibility", "public")
    page.click("#new-collection-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('collection').value === 'manuals'")
    assert "Created public collection manuals" in page.locator("#collection-admin-status").inner_text()
    page.wait_for_function("() => document.querySelectorAll('#document-list li').length === 0")  # empty
    listed = httpx.get(f"{managed_server.url}/api/collections", timeout=10).json()
    assert {c["name"]: c["visibility"] for c in listed} == {"default": "public", "manuals": "public"}

    page.fill("#new-collection-name", "Bad Name")  # the browser's own check stops it before any request
    assert not page.evaluate("document.getElementById('new-collection-name').checkValidity()")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-collection")
    page.wait_for_function("() => document.getElementById('collection').value === 'default'")
    assert _options(page) == ["default"]
    assert "Deleted collection manuals" in page.locator("#collection-admin-status").inner_text()
