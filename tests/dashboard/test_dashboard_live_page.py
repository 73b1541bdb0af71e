"""The page itself, in headless Chromium, against a gateway whose ledger the test fills: how it reads the stream,
where it resumes it, and what its timeline and dead-letter panel say."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from gateway.dashboard import views
from gateway.service import Gateway
from schemas.message_types import MessageType
from swsim.network import api_key, operator_key

from .helpers import SEED, dead_letter, record, sample
from .test_dashboard_browser import CHROMIUM, FLAGS
from .test_views import REJECTED_EXISTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make setup` installs Debian's chromium"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    p = browser.new_page(viewport={"width": 1600, "height": 1100})
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    p.close()
    assert not errors, errors


def _open(page: Page, url: str) -> None:
    page.goto(f"{url}/dashboard#key={operator_key(SEED)}")
    page.wait_for_selector("#conn.live", timeout=15_000)


def test_a_line_separator_in_an_event_and_the_event_id(gw: Gateway, url: str, page: Page) -> None:
    """A frame whose JSON holds a raw U+2028 (valid JSON) was cut there by a regular expression: JSON.parse threw,
    the page reconnected, got the same frame, and so on. And the page resumes from the last event's id, and says
    what a stream that fell behind skipped."""
    view = views.message_view(gw.ledger.message_by_seq(record(gw.ledger)))  # type: ignore[arg-type]
    view.update(seq=987, summary="evil\u2028x\u2029y")
    frame = f"id: 987\nevent: message\ndata: {json.dumps(view, ensure_ascii=False)}\n\n"
    frame += 'id: 990\nevent: skipped\ndata: {"after": 987, "upto": 990}\n\n'  # a stream that fell behind
    asked: list[str | None] = []

    def stream(route: Route) -> None:
        asked.append(route.request.headers.get("last-event-id"))
        if len(asked) == 1:
            route.fulfill(status=200, content_type="text/event-stream", body=frame.encode())
        else:
            route.continue_()

    page.route("**/dashboard/api/stream", stream)
    page.goto(f"{url}/dashboard#key={operator_key(SEED)}")
    page.wait_for_selector('#feed li[data-seq="987"]', timeout=10_000)
    assert "evil" in page.inner_text('#feed li[data-seq="987"]')
    for _ in range(100):  # the body ends, so the page reconnects (after a second)
        if len(asked) > 1:
            break
        page.wait_for_timeout(100)
    assert asked[1:2] == ["990"]  # it went on from the last event it had
    assert "messages #988–#990 are not shown" in page.inner_text("#feed")


def test_nothing_is_lost_between_the_first_load_and_the_stream(gw: Gateway, url: str, page: Page) -> None:
    record(gw.ledger)
    between: list[int] = []

    def stream(route: Route) -> None:  # the first load is done; the stream is not open yet
        if not between:
            between.append(record(gw.ledger, corr=None))
        route.continue_()

    page.route("**/dashboard/api/stream", stream)
    _open(page, url)
    page.wait_for_selector(f'#feed li[data-seq="{between[0]}"]', timeout=10_000)
    assert page.locator("#feed li.msg").count() == 2  # each once


def test_a_long_timeline_followed_live(gw: Gateway, url: str, page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past SEARCH_LIMIT messages the followed timeline froze on the first ones, titled as all of them; a step was
    red when its text held "Rejected" or "19010", whatever the message said."""
    monkeypatch.setattr(views, "SEARCH_LIMIT", 3)
    seqs = [record(gw.ledger, corr="BL-LONG") for _ in range(2)]
    seqs.append(record(gw.ledger, sample(MessageType.DC101, declaration_number="790020260019010345"), "BL-LONG"))
    seqs.append(record(gw.ledger, REJECTED_EXISTS, "BL-LONG"))  # "19001 Bill already filed", status 03
    _open(page, url)
    page.wait_for_selector("#timeline .step", timeout=10_000)
    assert page.inner_text("#tl-title") == "BL-LONG (consignment, latest 3 of 4 messages: steps 2–4)"
    steps = page.eval_on_selector_all(
        "#timeline .step", "els => els.map(e => [+e.dataset.seq, e.classList.contains('reject')])"
    )
    assert steps == [[seqs[1], False], [seqs[2], False], [seqs[3], True]]
    assert str(page.text_content(f'#timeline .step[data-seq="{seqs[1]}"] text')).startswith("2. ")
    newest = record(gw.ledger, corr="BL-LONG")  # live: the newest step comes in, the oldest shown goes
    page.wait_for_selector(f'#timeline .step[data-seq="{newest}"]', timeout=10_000)
    assert page.inner_text("#tl-title") == "BL-LONG (consignment, latest 3 of 5 messages: steps 3–5)"


def test_dead_letter_panel_shows_the_newest(gw: Gateway, url: str, page: Page) -> None:
    ids = [dead_letter(gw, f"s{i}") for i in range(25)]
    _open(page, url)
    assert page.inner_text("#dlq-count") == "(newest 20 of 25)"
    assert page.inner_text("#dlq li").startswith(f"#{ids[-1]} ")
    late = dead_letter(gw, "late")  # the next tick shows it on top
    page.wait_for_function(f"document.querySelector('#dlq li').textContent.startsWith('#{late} ')", timeout=10_000)


@pytest.mark.parametrize(("key", "says"), [("op_wrong", "not one this gateway knows"), (None, "a party's")])
def test_a_refused_key_is_explained(gw: Gateway, url: str, page: Page, key: str | None, says: str) -> None:
    """A wrong key showed 'error: overview: HTTP 401', which does not say what to do."""
    page.goto(f"{url}/dashboard#key={key or api_key(SEED, next(iter(gw.registry.parties)))}")
    page.wait_for_function("document.getElementById('conn').textContent.startsWith('error:')", timeout=10_000)
    text = page.inner_text("#conn")
    assert says in text, text
    assert "swsim parties" in text, text


def test_a_search_typed_in_lower_case_finds_the_consignment_and_follows_it(gw: Gateway, url: str, page: Page) -> None:
    """Search was exact: 'bl-typed' found nothing. Found, the timeline must grow as the consignment's messages come."""
    first = record(gw.ledger, corr="BL-TYPED")
    record(gw.ledger, corr="BL-OTHER")  # the page follows this one at first
    _open(page, url)
    page.fill("#q", "bl-typed")
    page.click("#search button")
    page.wait_for_function("document.getElementById('tl-title').textContent.startsWith('BL-TYPED')", timeout=10_000)
    assert page.eval_on_selector_all("#timeline .step", "els => els.map(e => +e.dataset.seq)") == [first]
    later = record(gw.ledger, corr="BL-TYPED")
    page.wait_for_selector(f'#timeline .step[data-seq="{later}"]', timeout=10_000)
    assert page.inner_text("#tl-title") == "BL-TYPED (consignment, 2 messages)"
