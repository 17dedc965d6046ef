"""End-to-end: the real app in headless Chromium (Playwright driving Debian's chromium).

Skipped with a reason where no browser is installed; under CI=true a missing browser fails
(see conftest.py). Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _server import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
MAP = '[data-testid="stPlotlyChart"] .js-plotly-plot'


def _outcome(page, method: str) -> str:
    """The text of the method's row in the outcome table."""
    return page.locator('[data-testid="stTable"] tr', has_text=method).first.inner_text()


def _open(page, url: str, server) -> None:
    page.goto(url)
    wait_for_app(page, server=server)
    page.locator(MAP).first.locator(".main-svg").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # let plotly finish its first draw


def _surface_drawn(page) -> tuple[int, int]:
    """(background images, length of the iso-line path data) of the first map."""
    chart = page.locator(MAP).first
    images = chart.locator("image").count()
    lengths = chart.evaluate(
        """(el) => Array.from(el.querySelectorAll('.scatterlayer .trace path.js-line'))
              .map((p) => (p.getAttribute('d') || '').length)"""
    )
    return images, max(lengths, default=0)


def _step_label(page) -> str:
    """The animation slider's current-value label, e.g. "step 1000"."""
    return page.locator(MAP).first.locator("text.slider-label").first.text_content() or ""


def test_app_draws_the_race_and_reacts_to_gamma(page, streamlit_process):
    ARTIFACTS.mkdir(exist_ok=True)
    _open(page, streamlit_process.url + "/?surface=multiwell", streamlit_process)
    assert page.locator('[data-testid="stException"]').count() == 0
    images, iso = _surface_drawn(page)
    assert images == 1 and iso > 1000, (images, iso)
    page.screenshot(path=str(ARTIFACTS / "race.png"))

    before = _outcome(page, "Momentum")
    sgd_before = _outcome(page, "SGD")
    slider = page.locator('input[type="range"][aria-label="Momentum γ"]')
    slider.focus()
    for _ in range(8):  # γ 0.9 → 0.5 in steps of the slider's stops
        slider.press("ArrowLeft")
    page.wait_for_timeout(300)
    wait_for_app(page, server=streamlit_process)
    page.wait_for_timeout(500)
    after = _outcome(page, "Momentum")
    assert after != before, (before, after)
    assert _outcome(page, "SGD") == sgd_before
    assert "momentum=0.5" in page.url


def test_play_animates_and_keeps_the_surface(page, streamlit_process):
    ARTIFACTS.mkdir(exist_ok=True)
    _open(page, streamlit_process.url + "/?surface=rosenbrock", streamlit_process)
    images_before, iso_before = _surface_drawn(page)
    assert images_before == 1 and iso_before > 500, (images_before, iso_before)
    first = _step_label(page)
    page.locator(MAP).first.locator(".updatemenu-button", has_text="Play").first.click()
    labels = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and len(set(labels)) < 3:
        page.wait_for_timeout(400)
        labels.append(_step_label(page))
    assert len(set(labels) | {first}) >= 3, (first, labels)  # the frames advance
    images, iso = _surface_drawn(page)
    assert images == 1, "the background image must still be drawn after Play"
    assert iso >= 0.9 * iso_before, ("the iso-lines must still be drawn after Play", iso)
    page.screenshot(path=str(ARTIFACTS / "playing.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
