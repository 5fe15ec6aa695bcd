"""The chat page in real headless Chromium against a real uvicorn serving the real index."""

import json

RECORD_STREAM = """
window.__texts = [];
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.classList && n.classList.contains('assistant')) {
      const t = n.querySelector('.text'); if (t) window.__texts.push(t.textContent);
    }
  }
}).observe(document.getElementById('messages'), {childList: true});
"""


def ask(page, question: str) -> None:
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('.msg.assistant')].pop();"
        " return m && !m.classList.contains('streaming'); }",
        timeout=30_000,
    )


def last_answer(page):
    return page.locator(".msg.assistant").last


def test_conversation_citations_follow_up_and_reload(page, live_server, artifacts) -> None:
    requests: list[dict] = []
    page.on(
        "request", lambda r: requests.append(json.loads(r.post_data)) if r.url.endswith("/api/chat") else None
    )
    page.goto(live_server.url)
    assert page.locator("#empty-state").is_visible()
    page.evaluate(RECORD_STREAM)

    ask(page, "Who heads Roscosmos?")
    answer = last_answer(page)
    final = answer.locator(".text").inner_text()
    assert "Komarov" in final
    seen = [t for t in page.evaluate("window.__texts") if t]
    partial = [t for t in seen if t != final]
    assert len(partial) >= 2, f"the answer did not arrive in pieces: {seen}"
    assert all(final.startswith(t) for t in partial)
    assert answer.locator(".sources li").count() >= 1

    # A citation marker opens the passage, highlighted inside its document.
    answer.locator(".text .cite").first.click()
    panel = page.locator("#source-panel")
    panel.wait_for(state="visible")
    mark = page.locator("#source-text mark#highlight")
    assert "Komarov" in mark.inner_text()
    assert mark.is_visible()
    assert "002_d2227059bacb0655.txt" in page.locator("#source-meta").inner_text()
    doc_text = page.locator("#source-text").inner_text()
    assert doc_text.index(mark.inner_text()) > 0
    page.screenshot(path=str(artifacts / "chat-citation.png"), full_page=True)

    # Escape closes the passage and returns focus to the marker.
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('cite')")

    # A follow-up is sent with the history.
    ask(page, "How many space launches does Russia plan in 2017?")
    assert "30" in last_answer(page).inner_text()
    assert requests[0]["history"] == []
    assert [m["role"] for m in requests[1]["history"]] == ["user", "assistant"]
    assert requests[1]["history"][0]["content"] == "Who heads Roscosmos?"

    # The conversation survives a reload.
    page.reload()
    page.locator(".msg.assistant").nth(1).wait_for()
    assert page.locator(".msg.user").count() == 2
    assert "30" in page.locator(".msg.assistant").nth(1).inner_text()
    assert not page.locator("#empty-state").is_visible()
    page.screenshot(path=str(artifacts / "chat-after-reload.png"), full_page=True)

    # "New conversation" forgets it.
    page.click("#new-conversation")
    assert page.locator(".msg").count() == 0
    page.reload()
    assert page.locator(".msg").count() == 0


def test_not_found_state_and_errors_are_shown(page, live_server, artifacts) -> None:
    page.goto(live_server.url)
    ask(page, "What is the recipe for borscht?")
    answer = last_answer(page)
    assert "not-found" in (answer.get_attribute("class") or "")
    assert "Not in the documents" in answer.inner_text()
    assert answer.locator(".cite").count() == 0

    page.route("**/api/chat", lambda route: route.abort())
    ask(page, "Who heads Roscosmos?")
    error = last_answer(page)
    assert "error" in (error.get_attribute("class") or "")
    assert error.get_attribute("role") == "alert"
    assert "cannot reach the server" in error.inner_text()
    page.unroute("**/api/chat")
    page.screenshot(path=str(artifacts / "chat-not-found-and-error.png"), full_page=True)


def test_server_error_detail_is_shown(page, live_server) -> None:
    page.goto(live_server.url)
    page.evaluate(
        "localStorage.setItem('rag-service.conversation.v1', JSON.stringify("
        "Array.from({length: 30}, (_, i) => ({role: i % 2 ? 'assistant' : 'user', content: 'x'}))))"
    )
    page.reload()
    # The page sends at most 20 history messages, so this succeeds instead of hitting the server's limit.
    ask(page, "Who heads Roscosmos?")
    assert "Komarov" in last_answer(page).inner_text()


def test_keyboard_only_and_phone_width(browser, live_server, artifacts) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server.url)
        assert page.evaluate("document.activeElement.id") == "question"
        page.keyboard.type("Which countries did Komarov name as BRICS?")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('.msg.assistant:not(.streaming) .cite')")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "horizontal scrolling on a phone"
        page.locator(".msg.assistant .text .cite").first.focus()
        page.keyboard.press("Enter")
        page.locator("#source-panel").wait_for(state="visible")
        assert page.locator("mark#highlight").is_visible()
        page.screenshot(path=str(artifacts / "chat-phone.png"))
        page.keyboard.press("Escape")
        page.locator("#source-panel").wait_for(state="hidden")
    finally:
        context.close()


def test_unsupported_sentences_are_flagged(page, live_server) -> None:
    """The page shows the grounding check's verdict (the stream is replayed from a recorded LLM answer)."""
    sentences = [
        {"text": "Komarov heads Roscosmos.", "citations": [], "supported": True, "score": 0.9},
        {"text": "Mars in 2019.", "citations": [], "supported": False, "score": 0.3},
    ]
    citations = {
        "citations": [],
        "not_found": False,
        "notes": [],
        "standalone_question": "q",
        "retrieved": [],
        "backend": "openai:x",
        "grounding": {"supported_share": 0.5, "mode": "report", "replaced": False, "sentences": sentences},
    }
    text = "Komarov heads Roscosmos. Mars in 2019."
    events = (
        ("delta", {"text": text}),
        ("citations", citations),
        ("done", {"answer": text, "timings_ms": {}}),
    )
    frames = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(status=200, body=frames, headers={"content-type": "text/event-stream"}),
    )
    page.goto(live_server.url)
    ask(page, "Who heads Roscosmos?")
    warning = last_answer(page).locator(".grounding-warning")
    assert (
        "1 of 2 sentences are not supported" in warning.inner_text()
        and "Mars in 2019." in warning.inner_text()
    )


def test_a_documents_own_brackets_and_tags_show_as_text(page, tmp_path, embedder) -> None:
    """Issue #30: a literal "[1]" in a document is never a citation button, a tag never markup."""
    from tests.conftest import make_settings, seeds_server

    seeds = make_settings(tmp_path).seeds_dir
    (seeds / "charter.md").write_text(
        "# Ferry rules\n\nFerry timetables in the northern harbour are set by the harbour charter [1] and "
        "the <b>tide tables</b> published each spring.\n",
        encoding="utf-8",
    )
    with seeds_server(tmp_path, embedder) as server:
        page.goto(server.url)
        ask(page, "What sets the ferry timetables in the northern harbour?")
        answer = last_answer(page)
        text = answer.locator(".text").inner_text()
        assert "harbour charter [1] and the <b>tide tables</b> published" in text
        assert answer.locator(".text b").count() == 0
        buttons = answer.locator(".text button.cite")
        assert buttons.count() >= 1 and "charter" not in buttons.first.inner_text()


def test_a_command_a_sentence_introduces_is_shown_as_code(page, tmp_path, embedder) -> None:
    """A real README's command (``answer.code_blocks``) shows as code; the document's own backticks stay
    plain characters."""
    import shutil
    from pathlib import Path

    from tests.conftest import make_settings, seeds_server

    seeds = make_settings(tmp_path).seeds_dir
    shutil.copy(
        Path(__file__).parent.parent / "documents" / "data" / "apt-readme.md", seeds / "apt-readme.md"
    )
    with seeds_server(tmp_path, embedder) as server:
        page.goto(server.url)
        ask(page, "How do I start building APT?")
        answer = last_answer(page)
        assert answer.locator(".text code").first.inner_text() == "cmake <path to source directory>"
        assert "`" not in answer.locator(".text").inner_text()


def test_the_page_fits_the_window_and_has_an_icon(browser, live_server) -> None:
    """On a desktop window the document itself never scrolls (the conversation and the source scroll
    inside), with an answer and a source open too; the tab shows the page's own icon."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(live_server.url)
        overflow = "document.documentElement.scrollHeight - window.innerHeight"
        assert page.evaluate(overflow) <= 0, "the empty page is taller than the window"
        ask(page, "Who heads Roscosmos?")
        last_answer(page).locator(".text .cite").first.click()
        page.locator("#source-panel").wait_for(state="visible")
        assert page.evaluate(overflow) <= 0, "the page with a source open is taller than the window"
        icon = page.evaluate("document.querySelector('link[rel=icon]').href")
        response = page.request.get(icon)
        assert response.status == 200 and "svg" in response.headers["content-type"]
    finally:
        context.close()


def test_the_words_that_answer_are_in_bold(page, live_server) -> None:
    """A "how many" answer's number (its first citation's answer_span) is bold in the answer and in the
    source's quote; an answer without a span has no bold."""
    page.goto(live_server.url)
    ask(page, "How many space launches does Russia plan in 2017?")
    answer = last_answer(page)
    assert answer.locator(".text strong.answer-span").inner_text() == "30"
    assert answer.locator(".sources li").first.locator("strong.answer-span").inner_text() == "30"
    ask(page, "What does the abstract say about space junk?")
    assert last_answer(page).locator("strong.answer-span").count() == 0
