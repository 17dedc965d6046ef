"""Every student's screen in a real browser: high contrast (Chromium's forced-colours
emulation, as Windows High Contrast does), light or dark, at 1280×720 and on a phone.

Measured, not assumed: a control is visible when the pixels where it is drawn differ from
the background around it. Under forced colours the browser paints backgrounds in the
system's Canvas colour, and Streamlit draws its sliders and its selected choices with
backgrounds only: before momentum_viz/app/screens.py they vanished.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import numpy as np
import pytest
from _server import wait_for_app
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.server]

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 720}},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}
MODES = {
    "forced-light": {"forced_colors": "active", "color_scheme": "light"},
    "forced-dark": {"forced_colors": "active", "color_scheme": "dark"},
}
SLIDERS = ("lr", "momentum", "steps", "noise")
LOAD_TIMEOUT = 90_000
# A pixel "differs" from the background when its channels differ by more than this in sum
# (out of 765): well above antialiasing noise of a flat background.
DIFFERS = 120


@pytest.fixture(params=[(s, m) for s in SIZES for m in MODES], ids="-".join)
def screen_page(request, browser) -> Iterator:
    size, mode = request.param
    context = browser.new_context(**SIZES[size], **MODES[mode])
    try:
        yield context.new_page()
    finally:
        context.close()


def _pixels(locator) -> np.ndarray:
    shot = locator.screenshot(animations="disabled")
    return np.asarray(Image.open(BytesIO(shot)).convert("RGB"), dtype=int)


def _background(page) -> np.ndarray:
    """The sidebar's own colour, read off its top left corner."""
    return _pixels(page.locator('[data-testid="stSidebar"]'))[4, 4]


def _differing(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return np.abs(pixels - colour).sum(axis=-1) > DIFFERS


def test_sliders_and_selected_choices_stay_visible_in_forced_colours(
    screen_page, streamlit_process
):
    page = screen_page
    page.goto(f"{streamlit_process.url}/?surface=multiwell&methods=sgd,momentum")
    wait_for_app(page, timeout=LOAD_TIMEOUT, server=streamlit_process)
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.is_visible():  # a phone: the sidebar is a drawer, closed at first
        expand.click()
    page.locator('[data-testid="stSidebar"] .st-key-noise').wait_for(timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(500)  # the drawer's slide-in animation
    background = _background(page)
    for key in SLIDERS:
        slider = page.locator(f".st-key-{key} [data-testid='stSlider']")
        slider.scroll_into_view_if_needed()
        track = slider.locator("[role='group'] > [data-orientation]")
        drawn = _differing(_pixels(track), background)
        # The track: a line across the box, so most columns hold a differing pixel.
        assert drawn.any(axis=0).mean() > 0.8, (key, drawn.any(axis=0).mean())
        thumb = track.locator("> div:has(input[type='range'])")
        assert _differing(_pixels(thumb), background).mean() > 0.5, key
    pills = page.locator(".st-key-methods button")
    selected = _pixels(pills.nth(0)).reshape(-1, 3)
    unselected = _pixels(pills.nth(2)).reshape(-1, 3)
    # A selected pill is filled: most of it differs from the background, and its typical
    # colour differs from an unselected pill's.
    assert _differing(selected, background).mean() > 0.5
    assert np.abs(np.median(selected, axis=0) - np.median(unselected, axis=0)).sum() > DIFFERS
