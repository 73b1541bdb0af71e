"""The live dashboard in a real headless Chromium (Debian's, installed by `make`): start the exchange, open the
page, play the risk-alert scenario, and check what a room would see. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from gateway.http import create_app
from swsim.broker import EmbeddedBroker, free_port
from swsim.demo.driver import Driver
from swsim.demo.scenarios import SCENARIOS
from swsim.network import api_key, default_parties, operator_key
from swsim.node.clock import SimClock
from swsim.serve import BackgroundServer
from swsim.settings import Settings
from swsim.stack import Stack

SEED = "swsim-demo-network"
CHROMIUM = os.environ.get("SWSIM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def served(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    settings = Settings(kafka_bootstrap=broker.bootstrap, topic_prefix="db" + str(time.time_ns())[-8:],
                        data_dir=tmp_path, network_seed=SEED)  # fmt: skip
    stack = Stack.start(settings, SimClock(speed=0))
    server = BackgroundServer(create_app(stack.gateway), "127.0.0.1", free_port())
    assert server.start()
    yield stack, server.url
    server.stop()
    stack.stop()


def _steps(page: Page) -> list[str]:
    return page.eval_on_selector_all("#timeline .step", "els => els.map(e => e.dataset.type)")


def test_dashboard_shows_a_scenario_live(served: tuple[Stack, str]) -> None:
    stack, url = served
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make setup` installs Debian's chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/dashboard#key={operator_key(SEED)}")
        page.wait_for_selector("#conn.live", timeout=15_000)  # the live stream is connected
        assert page.locator("#network .party").count() == len(default_parties(SEED))  # the gateway in the middle

        outcome = SCENARIOS["risk-alert"].run(Driver(stack, lambda _s: None, timeout_s=60))
        assert outcome.ok, outcome.summary

        # live: the feed fills from the stream and the risk alert appears, without reloading the page
        page.wait_for_function("document.querySelectorAll('#feed li.msg').length >= 8", timeout=15_000)
        page.wait_for_function("document.querySelector('#alerts').textContent.includes('risk alert')", timeout=15_000)
        # the consignment's timeline: the expected steps, in order
        page.fill("#q", outcome.bill)
        page.click("#search button")
        page.wait_for_function("document.querySelectorAll('#timeline .step').length >= 5", timeout=15_000)
        steps = _steps(page)
        expected = ["MT2301", "MT9999", "DC101", "CD101", "RA101"]
        it = iter(steps)
        assert all(t in it for t in expected), steps  # a subsequence: these steps, in this order
        assert outcome.bill in page.inner_text("#tl-title")
        # click the declaration: its decoded content, raw JSON/XML and receipts
        page.click('#timeline .step[data-type="DC101"]')
        page.wait_for_selector("#detail pre.decoded", timeout=10_000)
        decoded = page.inner_text("#detail pre.decoded")
        assert outcome.bill in decoded
        assert "DeclarationNumber" in decoded or "declaration_number" in decoded
        assert outcome.bill in page.inner_text("#detail pre.raw")
        assert "Receipts (1)" in page.inner_text("#detail")
        assert "delivered" in page.inner_text("#detail .receipt")
        # Chinese terms where the domain uses them
        body = page.inner_text("body")
        for term in ("风险预警", "双通道", "单一窗口"):
            assert term in body
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-risk-alert.png"), full_page=True)
        assert not errors, errors
        browser.close()


def test_dashboard_data_is_for_the_operator_only(served: tuple[Stack, str]) -> None:
    _, url = served
    trader = next(p.id for p in default_parties(SEED) if p.role.value == "trader")
    assert httpx.get(f"{url}/dashboard").status_code == 200  # the page itself holds no data
    assert httpx.get(f"{url}/dashboard/static/app.js").status_code == 200
    assert httpx.get(f"{url}/dashboard/static/..%2Froutes.py").status_code == 404  # only the listed files
    assert httpx.get(f"{url}/dashboard/api/overview").status_code == 401
    r = httpx.get(f"{url}/dashboard/api/overview", headers={"X-API-Key": api_key(SEED, trader)})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "FORBIDDEN"
    ok = httpx.get(f"{url}/dashboard/api/overview", headers={"X-API-Key": operator_key(SEED)})
    assert ok.status_code == 200
    assert {"parties", "recent", "risk_alerts", "deadletters", "stats", "tax"} <= set(ok.json())
