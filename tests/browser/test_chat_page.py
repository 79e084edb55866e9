"""The chat page in Debian's Chromium against a live `applylens serve`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import HOSTILE_SUBJECT, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FALLBACK_LOG = "[Chat] Streaming disabled, falling back to non-streaming"
# Every API process re-reads the streaming flag at least once a second.
FLAG_PROPAGATION_SECONDS = 2.5
ANSWER_TIMEOUT_MS = 30_000


class PageRecorder:
    """A page with its console messages and API requests recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str]] = []
        self.page_errors: list[str] = []
        page.on("console", lambda msg: self.console.append((msg.type, msg.text)))
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on(
            "request",
            lambda req: self.requests.append((req.method, req.url.split("?")[0])),
        )

    def errors(self, *expected_statuses: int) -> list[str]:
        """Return console errors and uncaught exceptions, leaving out
        Chromium's own report of an HTTP status the test expects."""
        expected = tuple(
            f"the server responded with a status of {status} "
            for status in expected_statuses
        )
        logged = [
            text
            for kind, text in self.console
            if kind == "error" and not any(part in text for part in expected)
        ]
        return logged + self.page_errors

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, url in self.requests if m == method and url.endswith(path))

    def ask(self, question: str) -> None:
        self.page.fill("#question", question)
        self.page.press("#question", "Enter")

    def wait_for_answers(self, count: int) -> Any:
        """Wait until `count` assistant turns hold a finished answer."""
        self.page.wait_for_function(
            """count => {
                const turns = document.querySelectorAll('.turn-assistant');
                if (turns.length < count) return false;
                const body = turns[count - 1].querySelector('.body').textContent;
                const stopping = document.querySelector('#stop:not([disabled])');
                return body && body !== '…' && !stopping;
            }""",
            arg=count,
            timeout=ANSWER_TIMEOUT_MS,
        )
        return self.page.locator(".turn-assistant").nth(count - 1)


@pytest.fixture
def chat(browser: Any, live_server: LiveServer) -> Iterator[PageRecorder]:
    live_server.set_streaming("on")
    context = browser.new_context(timezone_id="America/Los_Angeles")
    page = context.new_page()
    recorder = PageRecorder(page)
    page.goto(live_server.base_url + "/")
    page.select_option("#window-select", "90")
    try:
        yield recorder
    finally:
        context.close()


def test_question_streams_answer_with_citations(
    chat: PageRecorder, artifacts_dir: Path
) -> None:
    chat.ask("find interviews")
    answer = chat.wait_for_answers(1)

    assert answer.locator(".citation").count() > 0
    assert answer.locator(".body").inner_text().strip() != ""
    assert chat.count("GET", "/api/chat/stream") == 1
    assert chat.count("POST", "/api/chat") == 0
    assert chat.page.locator("#streaming-note").is_hidden()
    assert chat.count("POST", "/api/ux/chat/opened") == 1
    assert chat.errors() == []
    chat.page.screenshot(path=str(artifacts_dir / "chat-answer.png"), full_page=True)


def test_answer_times_in_browser_time_zone(chat: PageRecorder) -> None:
    chat.ask("add my interviews to my calendar")
    text = chat.wait_for_answers(1).inner_text()

    # The page's browser runs in America/Los_Angeles.
    assert re.search(r"\d\d:\d\d P[SD]T", text), text
    assert " UTC" not in text


def test_citation_date_in_browser_time_zone(chat: PageRecorder) -> None:
    chat.ask("find interviews")
    answer = chat.wait_for_answers(1)

    first = answer.locator(".citation time").first
    iso = first.get_attribute("datetime")
    shown = first.inner_text()
    expected = chat.page.evaluate(
        """iso => new Date(iso).toLocaleString(undefined,
             {dateStyle: 'medium', timeStyle: 'short'})""",
        iso,
    )
    assert iso
    assert shown == expected


def test_streaming_off_falls_back_to_post(
    chat: PageRecorder, live_server: LiveServer
) -> None:
    live_server.set_streaming("off")
    time.sleep(FLAG_PROPAGATION_SECONDS)

    chat.ask("find interviews")
    answer = chat.wait_for_answers(1)

    assert answer.locator(".citation").count() > 0
    assert (("info", FALLBACK_LOG) in chat.console) or any(
        text == FALLBACK_LOG for _, text in chat.console
    )
    assert chat.count("GET", "/api/chat/stream") == 1
    assert chat.count("POST", "/api/chat") == 1
    assert chat.page.locator("#streaming-note").is_visible()
    assert chat.page.locator(".turn-user").count() == 1
    assert chat.errors(503) == []


def test_streaming_back_on_without_reload(
    chat: PageRecorder, live_server: LiveServer
) -> None:
    live_server.set_streaming("off")
    time.sleep(FLAG_PROPAGATION_SECONDS)
    chat.ask("find interviews")
    chat.wait_for_answers(1)

    live_server.set_streaming("on")
    time.sleep(FLAG_PROPAGATION_SECONDS)
    chat.ask("summarize my job search")
    chat.wait_for_answers(2)

    assert chat.count("GET", "/api/chat/stream") == 2
    assert chat.count("POST", "/api/chat") == 1
    assert chat.page.locator("#streaming-note").is_hidden()
    assert chat.errors(503) == []


def test_hostile_subject_renders_as_text(chat: PageRecorder) -> None:
    chat.ask("find Hostile Corp")
    answer = chat.wait_for_answers(1)

    subjects = answer.locator(".citation .subject").all_inner_texts()
    assert HOSTILE_SUBJECT in subjects
    assert answer.locator(".citations img").count() == 0

    card = answer.locator(".citation-open", has_text="Hostile Corp").first
    card.click()
    chat.page.wait_for_selector("#email-dialog[open]")
    assert chat.page.locator("#email-subject").inner_text() == HOSTILE_SUBJECT
    time.sleep(0.5)
    assert chat.page.evaluate("window.__xss") is None
    frame_html = chat.page.locator("#email-html").get_attribute("srcdoc") or ""
    assert "<script" not in frame_html.lower()
    assert "onerror" not in frame_html.lower()


def test_rate_limit_shows_retry_time(browser: Any, limited_server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    chat = PageRecorder(page)
    try:
        page.goto(limited_server.base_url + "/")
        for number in (1, 2):
            chat.ask(f"find interviews {number}")
            chat.wait_for_answers(number)
        chat.ask("find interviews 3")

        note = page.locator("#retry-note")
        note.wait_for(state="visible", timeout=10_000)
        assert re.search(r"ask again at .+ \(in \d+ s\)", note.inner_text())
        assert page.locator("#send").is_disabled()
    finally:
        context.close()


def test_narrow_screen_answer_fits_width(
    browser: Any, live_server: LiveServer, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    chat = PageRecorder(page)
    try:
        page.goto(live_server.base_url + "/")
        assert page.locator("#welcome").is_visible()
        page.select_option("#window-select", "90")
        chat.ask("find interviews")
        chat.wait_for_answers(1)

        overflow = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
        assert page.locator("#welcome").is_hidden()
        page.screenshot(path=str(artifacts_dir / "chat-narrow.png"), full_page=False)
    finally:
        context.close()


def _active_streams(base_url: str) -> float:
    text = httpx.get(base_url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("applylens_chat_streams_active"):
            return float(line.split()[-1])
    raise AssertionError("applylens_chat_streams_active is missing from /metrics")


def test_stop_button_cancels_stream_on_server(
    browser: Any, slow_server: LiveServer
) -> None:
    context = browser.new_context()
    page = context.new_page()
    chat = PageRecorder(page)
    try:
        page.goto(slow_server.base_url + "/")
        page.select_option("#window-select", "90")
        chat.ask("find interviews")
        page.wait_for_function(
            """() => {
                const body = document.querySelector('.turn-assistant .body');
                return body && body.textContent.length > 1;
            }""",
            timeout=ANSWER_TIMEOUT_MS,
        )
        assert _active_streams(slow_server.base_url) == 1

        page.click("#stop")
        page.locator(".stopped").wait_for(state="visible", timeout=5000)
        deadline = time.monotonic() + 5
        while _active_streams(slow_server.base_url) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)

        assert _active_streams(slow_server.base_url) == 0
        assert page.locator("#send").is_enabled()
        assert chat.errors() == []
    finally:
        context.close()
