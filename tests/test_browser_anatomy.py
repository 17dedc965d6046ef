"""End-to-end: the anatomy of a step in headless Chromium: the live map frozen at step t
with its arrows, the true length on hover, a click that sets the start, and the → and ←
keys that step through it."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _server import wait_for_app
from playwright.sync_api import expect

from momentum_viz import simulate
from momentum_viz.app.settings import from_query_params, surface_of
from momentum_viz.numerics.anatomy import step_anatomy
from momentum_viz.views.anatomy import anatomy_header

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = ".st-key-race_map canvas.mv-map"
STEP_INPUT = 'input[aria-label="Step t"]'
QUERY = {
    "surface": "quadratic",
    "methods": "sgd,momentum,nesterov",
    "anatomy": "1",
    "anatomy_step": "3",
}
LINK = "/?" + "&".join(f"{k}={v}" for k, v in QUERY.items())


def _step(page) -> str:
    return page.locator(STEP_INPUT).input_value()


def _key(page, key: str, server) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)
    page.wait_for_timeout(500)
    wait_for_app(page, server=server)


def _expected_header() -> dict:
    """The anatomy of the link's step, computed here from the link's settings."""
    settings, _ = from_query_params(QUERY)
    s = surface_of(settings)
    anatomies = {}
    for method in settings.methods:
        run = simulate(s, method, (settings.x0, settings.y0), lr=settings.lr,
                       momentum=settings.momentum, steps=settings.steps)  # fmt: skip
        anatomies[method] = step_anatomy(
            s, run, method, 3, lr=settings.lr, momentum=settings.momentum
        )
    order = {method: i for i, method in enumerate(settings.methods)}
    return anatomy_header(s.bounds, anatomies, 3, order)


def _to_page(canvas, x: float, y: float) -> tuple[float, float]:
    """The page coordinates of map point (x, y), from the canvas's data-plot and
    data-bounds."""
    left, top, width, height = map(float, canvas.get_attribute("data-plot").split(","))
    xmin, xmax, ymin, ymax = map(float, canvas.get_attribute("data-bounds").split(","))
    box = canvas.bounding_box()
    return (
        box["x"] + left + (x - xmin) / (xmax - xmin) * width,
        box["y"] + top + (ymax - y) / (ymax - ymin) * height,
    )


def test_the_still_map_draws_the_arrows_with_their_lengths_on_hover(page, streamlit_process):
    page.goto(streamlit_process.url + LINK)
    wait_for_app(page, server=streamlit_process)
    canvas = page.locator(MAP).first
    expect(canvas).to_have_attribute("data-arrows", re.compile(r"^[1-9]"), timeout=30_000)
    expected = _expected_header()
    # Every arrow and the look-ahead point; frozen at step 3, zoomed on the step's box.
    assert int(canvas.get_attribute("data-arrows")) == len(expected["arrows"]) + 1 == 9
    assert canvas.get_attribute("data-step") == "3"
    shown = [float(v) for v in canvas.get_attribute("data-bounds").split(",")]
    np.testing.assert_allclose(shown, expected["box"], rtol=1e-9)
    assert not page.locator(".st-key-race_map .mv-controls").first.is_visible()
    # Hovering the middle of Momentum's move gives its true length.
    move = next(a for a in expected["arrows"] if a["method"] == "momentum" and a["part"] == "move")
    middle = np.add(move["tail"], 0.5 * np.asarray(move["drawn"]))
    page.mouse.move(*_to_page(canvas, *middle))
    pointer = page.locator(".st-key-race_map .mv-pointer").first
    expect(pointer).to_have_text(move["hover"], timeout=5_000)
    assert f"length {move['length']:.4g}" in move["hover"]


def test_a_click_on_the_still_map_sets_the_start(page, streamlit_process):
    page.goto(streamlit_process.url + LINK)
    wait_for_app(page, server=streamlit_process)
    canvas = page.locator(MAP).first
    expect(canvas).to_have_attribute("data-arrows", re.compile(r"^[1-9]"), timeout=30_000)
    xmin, xmax, ymin, ymax = map(float, canvas.get_attribute("data-bounds").split(","))
    # A point of the zoomed box, away from the arrows' middle: a quarter in from its corner.
    target = (xmin + 0.25 * (xmax - xmin), ymin + 0.25 * (ymax - ymin))
    before = page.url
    page.mouse.click(*_to_page(canvas, *target))
    page.wait_for_function(f"() => location.href !== {before!r}", timeout=30_000)
    wait_for_app(page, server=streamlit_process)
    x0 = float(page.locator('[data-testid="stNumberInput"] input').nth(0).input_value())
    y0 = float(page.locator('[data-testid="stNumberInput"] input').nth(1).input_value())
    pixel = (xmax - xmin) / float(canvas.get_attribute("data-plot").split(",")[2])
    assert (x0, y0) == pytest.approx(target, abs=2 * pixel + 1e-4)
    assert "anatomy=1" in page.url  # still the anatomy, from the new start


def test_arrow_keys_step_through_the_anatomy(page, streamlit_process):
    page.goto(streamlit_process.url + LINK)
    wait_for_app(page, server=streamlit_process)
    expect(page.locator(MAP).first).to_have_attribute("data-step", "3", timeout=30_000)
    assert _step(page) == "3"
    _key(page, "ArrowRight", streamlit_process)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Step t\"]').value === '4'",
        timeout=15_000,
    )
    assert "anatomy_step=4" in page.url
    # The map follows: frozen at step 4 now.
    expect(page.locator(MAP).first).to_have_attribute("data-step", "4", timeout=15_000)
    _key(page, "ArrowLeft", streamlit_process)
    _key(page, "ArrowLeft", streamlit_process)
    page.wait_for_function(
        "() => document.querySelector('input[aria-label=\"Step t\"]').value === '2'",
        timeout=15_000,
    )
