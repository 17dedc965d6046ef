"""End-to-end: the anatomy of a step in headless Chromium, stepped with the → and ← keys."""

from __future__ import annotations

import pytest
from _server import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = '[data-testid="stPlotlyChart"] .js-plotly-plot'
STEP_INPUT = 'input[aria-label="Step t"]'
LINK = "/?surface=quadratic&methods=sgd,momentum,nesterov&anatomy=1&anatomy_step=3"


def _step(page) -> str:
    return page.locator(STEP_INPUT).input_value()


def _key(page, key: str, server) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)
    page.wait_for_timeout(500)
    wait_for_app(page, server=server)


def test_arrow_keys_step_through_the_anatomy(page, streamlit_process):
    page.goto(streamlit_process.url + LINK)
    wait_for_app(page, server=streamlit_process)
    page.locator(MAP).first.locator(".main-svg").first.wait_for(timeout=30_000)
    assert _step(page) == "3"
    # Arrowheads are drawn (annotations with an arrow path) and the map is still.
    assert page.locator(MAP).first.locator(".annotation-arrow-g path").count() >= 8
    assert page.locator(MAP).first.locator(".slider-container").count() == 0
    _key(page, "ArrowRight", streamlit_process)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Step t\"]').value === '4'",
        timeout=15_000,
    )
    assert "anatomy_step=4" in page.url
    _key(page, "ArrowLeft", streamlit_process)
    _key(page, "ArrowLeft", streamlit_process)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Step t\"]').value === '2'",
        timeout=15_000,
    )
