"""axe-core on the chat page in each state: empty, answered, a source open (text and PDF page), the
documents panel open with its management controls. Zero violations of every rule axe has, including
the experimental ones (label-content-name-mismatch, which citation links once failed, is one)."""

from __future__ import annotations

from pathlib import Path

from tests.documents import writers
from tests.web.conftest import KEY
from tests.web.test_chat_page import ask, last_answer


def violations(page, axe_source: str) -> list[str]:
    """axe's violations on the page as it is now, one line each (rule, impact, first offending node)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's Content-Security-Policy (which allows
        # only its own scripts) is left as it is and the page itself never loads axe.
        page.evaluate(axe_source)
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'rule',"
        " values: axe.getRules().map((r) => r.ruleId)}})).violations"
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}" for v in found]


def test_chat_page_has_no_accessibility_violations(page, managed_server, axe_source, tmp_path: Path) -> None:
    page.goto(managed_server.url)
    page.locator("#question").wait_for()
    states: dict[str, list[str]] = {"empty": violations(page, axe_source)}

    ask(page, "Who heads Roscosmos?")
    assert "Komarov" in last_answer(page).inner_text()
    states["answered"] = violations(page, axe_source)

    last_answer(page).locator(".text .cite").first.click()
    page.locator("#source-text mark#highlight").wait_for()
    states["source open"] = violations(page, axe_source)
    page.keyboard.press("Escape")

    page.click("#documents-toggle")
    page.locator("#document-list li").first.wait_for()
    states["documents panel"] = violations(page, axe_source)

    pdf = tmp_path / "crossings.pdf"
    pdf.write_bytes(writers.multipage_pdf())
    page.set_input_files("#file-input", str(pdf))
    page.fill("#api-key", KEY)
    states["documents panel, key asked"] = violations(page, axe_source)
    page.click("#key-form button[type=submit]")
    page.locator("#upload-status li.done").wait_for(timeout=60_000)
    states["documents panel, uploaded"] = violations(page, axe_source)

    ask(page, writers.PAGE_TWO_QUESTION)
    last_answer(page).locator(".text .cite").first.click()
    page.locator("#page-view .page-mark").first.wait_for()
    states["PDF page open"] = violations(page, axe_source)

    assert {state: found for state, found in states.items() if found} == {}


def test_the_check_sees_a_label_that_hides_its_visible_text(page, managed_server, axe_source) -> None:
    """The check itself can fail: a citation-style link whose aria-label drops its visible text."""
    page.goto(managed_server.url)
    page.locator("#question").wait_for()
    page.evaluate(
        "() => { const b = document.createElement('button'); b.textContent = 'Report title';"
        " b.setAttribute('aria-label', 'Show source 1'); document.querySelector('main').append(b); }"
    )
    assert any(v.startswith("label-content-name-mismatch") for v in violations(page, axe_source))
