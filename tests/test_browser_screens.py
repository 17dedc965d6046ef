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
from urllib.parse import parse_qs, urlsplit

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
    "dark": {"color_scheme": "dark"},  # Streamlit's default theme follows the system's
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


def test_sliders_and_selected_choices_stay_visible_in_dark_and_forced_colours(
    screen_page, streamlit_process
):
    page = screen_page
    page.goto(f"{streamlit_process.url}/?surface=multiwell&methods=sgd,momentum")
    wait_for_app(page, timeout=LOAD_TIMEOUT, server=streamlit_process)
    _box_is_drawn(page, "anatomy")  # the race's toggle (before a phone's drawer covers it)
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
    _check_boxes_show_their_state(page)


def _box(page, key: str):
    """The drawn box (a checkbox's square, a toggle's track) of the widget keyed ``key``."""
    return page.locator(f".st-key-{key} [data-testid='stCheckbox'] label > span:has(input) + div")


def _box_is_drawn(page, key: str) -> None:
    """A toggle's track or a checkbox's box differs from the page around it: at least its
    outline (a 2 px ring is 30-38 % of a toggle's or a box's pixels)."""
    widget = page.locator(f".st-key-{key} [data-testid='stCheckbox']")
    widget.scroll_into_view_if_needed()
    ground = _pixels(widget)[1, 1]  # the page around it
    assert _differing(_pixels(_box(page, key)), ground).mean() > 0.25, key


def _check_boxes_show_their_state(page) -> None:
    """The sidebar's checkbox is drawn, and a ticked box looks unlike an empty one."""
    _box_is_drawn(page, "autoplay")
    empty = _pixels(_box(page, "autoplay"))
    page.locator(".st-key-autoplay label").click()
    page.locator(".st-key-autoplay input:checked").wait_for(timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(300)  # the box's fill transition
    ticked = _pixels(_box(page, "autoplay"))
    assert ticked.shape == empty.shape
    middle = empty[empty.shape[0] // 2, empty.shape[1] // 2]  # an empty box's inside
    assert _differing(ticked, middle).mean() > 0.3
    assert np.abs(ticked - empty).sum(axis=-1).mean() > DIFFERS / 2


# --- The phone's race: α and γ under the map ------------------------------------------------

MAP = "canvas.mv-map"


def _shown(page) -> tuple[str, str]:
    canvas = page.locator(MAP)
    return canvas.get_attribute("data-shown") or "", canvas.get_attribute("data-settled") or ""


def _wait_in_map(page, selector: str, timeout: int = LOAD_TIMEOUT) -> None:
    """Wait until an element matching ``selector`` is in the map's shadow root."""
    page.wait_for_function(
        "(selector) => [...document.querySelectorAll('*')]"
        ".some((e) => e.shadowRoot && e.shadowRoot.querySelector(selector))",
        arg=selector,
        timeout=timeout,
    )


def _move(slider, delta: int, event: str) -> None:
    """Move a range input by ``delta`` stops and fire ``event`` ("input": a drag going on;
    "change": the release), as a finger's drag does."""
    slider.evaluate(
        "(el, [delta, event]) => { el.value = String(Number(el.value) + delta);"
        " el.dispatchEvent(new Event(event, {bubbles: true})); }",
        [delta, event],
    )


def test_alpha_and_gamma_sit_under_the_map_on_a_phone(browser, streamlit_process):
    context = browser.new_context(**SIZES["phone"])
    try:
        page = context.new_page()
        page.goto(f"{streamlit_process.url}/?surface=multiwell&methods=sgd,momentum")
        wait_for_app(page, timeout=LOAD_TIMEOUT, server=streamlit_process)
        page.locator(f"{MAP}[data-draws]").wait_for(timeout=LOAD_TIMEOUT)
        canvas = page.locator(MAP).bounding_box()
        lr, momentum = (
            page.locator(f".mv-phone-sliders input[data-param='{p}']") for p in ("lr", "momentum")
        )
        _wait_in_map(page, ".mv-phone-sliders input:not([disabled])")
        # Under the map, on the screen, the map itself the width of the screen less margins.
        for slider in (lr, momentum):
            box = slider.bounding_box()
            assert slider.is_visible() and box["y"] >= canvas["y"] + canvas["height"] - 1
            assert 0 <= box["x"] and box["x"] + box["width"] <= 390
        assert canvas["width"] >= 0.85 * 390, canvas
        # A drag: the map shows the new stop's paths at once, the server is not asked.
        assert _shown(page) == ("lr=0.3;momentum=0.9", "lr=0.3;momentum=0.9")
        _move(lr, -3, "input")
        _wait_in_map(page, 'canvas.mv-map:not([data-shown="lr=0.3;momentum=0.9"])', 10_000)
        shown, settled = _shown(page)
        assert settled == "lr=0.3;momentum=0.9" and shown.endswith(";momentum=0.9"), shown
        # The release: the server takes the value (the sidebar's slider and the link too).
        _move(lr, 0, "change")
        _wait_in_map(page, f'canvas.mv-map[data-settled="{shown}"]')
        wait_for_app(page, timeout=LOAD_TIMEOUT, server=streamlit_process)
        value = shown.split(";")[0].removeprefix("lr=")
        link = parse_qs(urlsplit(page.url).query)
        assert float(link["lr"][0]) == float(value), (page.url, value)
        # One value per parameter: a move of the other control (the sidebar's, relayed as a
        # lecturer's would be) moves the phone's slider too.
        page.evaluate(
            "() => window.dispatchEvent(new CustomEvent('mv-control',"
            " {detail: {kind: 'slider', param: 'momentum', value: 0.5}}))"
        )
        _wait_in_map(page, "input[data-param='momentum'][aria-valuetext='γ = 0.5']", 10_000)
        _wait_in_map(page, f'canvas.mv-map[data-shown="lr={value};momentum=0.5"]', 10_000)
    finally:
        context.close()


def test_the_phone_sliders_stay_off_a_wide_screen(browser, streamlit_process):
    context = browser.new_context(**SIZES["desktop"])
    try:
        page = context.new_page()
        page.goto(f"{streamlit_process.url}/?surface=multiwell&methods=sgd,momentum")
        wait_for_app(page, timeout=LOAD_TIMEOUT, server=streamlit_process)
        page.locator(f"{MAP}[data-draws]").wait_for(timeout=LOAD_TIMEOUT)
        assert page.locator(".mv-phone-sliders").count() == 1
        assert not page.locator(".mv-phone-sliders").is_visible()
    finally:
        context.close()


# --- The viewer's theme: the graphics follow a switch ----------------------------------------

PAPER_JS = (
    "() => document.querySelector('.st-key-losses .js-plotly-plot')?._fullLayout?.paper_bgcolor"
)


def _label_pixels(page) -> np.ndarray:
    """The canvas left of its drawing area: the y axis's tick labels on the page's colour."""
    canvas = page.locator(MAP)
    left = float((canvas.get_attribute("data-plot") or "0").split(",")[0])
    return _pixels(canvas)[:, : int(left) - 8].reshape(-1, 3)


def test_the_graphics_follow_a_switch_of_theme(browser, streamlit_process):
    context = browser.new_context(**SIZES["desktop"], color_scheme="light")
    try:
        page = context.new_page()
        page.goto(f"{streamlit_process.url}/?surface=multiwell&methods=sgd,momentum")
        wait_for_app(page, timeout=LOAD_TIMEOUT, server=streamlit_process)
        page.locator(f"{MAP}[data-draws]").wait_for(timeout=LOAD_TIMEOUT)
        page.wait_for_function(f"() => ({PAPER_JS})() !== undefined", timeout=LOAD_TIMEOUT)
        assert page.locator(".mv-root").get_attribute("data-theme") == "light"
        assert page.evaluate(PAPER_JS) in ("#ffffff", "#fff", "white")
        light_labels = _label_pixels(page)
        # The system turns dark; Streamlit's default theme follows it, and so do the map (at
        # once, in the browser) and the loss chart (the rerun the map asks for).
        page.emulate_media(color_scheme="dark")
        _wait_in_map(page, ".mv-root[data-theme='dark']", 10_000)
        page.wait_for_function(f"() => ({PAPER_JS})() === '#14171c'", timeout=LOAD_TIMEOUT)
        page.wait_for_timeout(300)  # the map's redraw at the next animation frame
        dark_labels = _label_pixels(page)
        # The tick labels: dark ink on white before, light ink on near-black after (the
        # brightest pixels of the margin are the page before and the labels after).
        assert light_labels.min(axis=0).sum() < 200 and light_labels.max(axis=0).sum() > 700
        assert dark_labels.max(axis=0).sum() > 600 and np.median(dark_labels.sum(axis=1)) < 120
    finally:
        context.close()
