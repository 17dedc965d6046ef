"""End-to-end: the real app in headless Chromium (Playwright driving Debian's chromium).

Skipped with a reason where no browser is installed; under CI=true a missing browser fails
(see conftest.py). Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _server import free_port, grab_slider_thumb, next_frames, start_streamlit, wait_for_app

from momentum_viz.app.settings import SLIDER_STOPS, stops_with

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# The live race map (momentum_viz/app/live_map.js; its DOM contract is at the top there).
MAP = "canvas.mv-map"
PLOTLY = '[data-testid="stPlotlyChart"] .js-plotly-plot'
SLIDER = '[data-testid="stSidebar"] .st-key-{key} input[type="range"]'
GAMMA = SLIDER.format(key="momentum")


def _until(page, check, what, timeout: float = 30.0):
    """Poll ``check()`` (every ~20 ms, letting the page's events run) until it returns
    something truthy, and return that; fail after ``timeout`` s with ``what()``."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, what()
        page.wait_for_timeout(20)
    return value


def _outcome(page, method: str) -> str:
    """The text of the method's row in the outcome table."""
    return page.locator('[data-testid="stTable"] tr', has_text=method).first.inner_text()


def _open(page, url: str, server) -> None:
    page.goto(url)
    wait_for_app(page, server=server)
    page.locator(f"{MAP}[data-draws]").first.wait_for(timeout=30_000)
    # The surface's image decodes after the first draw; the map redraws over it.
    _until(page, lambda: _pixels(page)["painted"] > 0.95, lambda: ("surface", _pixels(page)))
    _settled(page)


def _settled(page, polls: int = 5) -> None:
    """Wait until the map's box has not moved for ``polls`` polls (50 ms apart): on a
    first load the page's style sheet can apply after the map's first draw (Streamlit's
    own spacing above it for a frame or two), and a layout is measured once settled."""
    boxes: list[dict] = []

    def still() -> bool:
        boxes.append(page.locator(MAP).first.bounding_box())
        return len(boxes) >= polls and all(box == boxes[-1] for box in boxes[-polls:])

    _until(page, lambda: still() or page.wait_for_timeout(30), lambda: boxes[-polls:])


def _plot_box(page) -> dict[str, float]:
    """The drawing area in page coordinates (from the canvas's data-plot)."""
    canvas = page.locator(MAP).first
    left, top, width, height = map(float, canvas.get_attribute("data-plot").split(","))
    box = canvas.bounding_box()
    return {"left": box["x"] + left, "top": box["y"] + top, "width": width, "height": height}


_PIXELS_JS = """(canvas) => {
    const [left, top, width, height] = canvas.dataset.plot.split(',').map(Number);
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const data = canvas.getContext('2d').getImageData(
        Math.round(left * ratio), Math.round(top * ratio),
        Math.round(width * ratio), Math.round(height * ratio)).data;
    let painted = 0, dark = 0, hash = 0;
    for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if (data[i + 3] > 0 && !(r > 250 && g > 250 && b > 250)) painted++;
        if (r + g + b < 300) dark++;
        hash = (hash * 31 + r * 7 + g * 3 + b) % 1000000007;
    }
    return {painted: painted / (data.length / 4), dark, hash};
}"""


def _pixels(page) -> dict:
    """Of the drawing area: the share of painted pixels (the surface's image), the
    number of dark ones (iso-lines, paths) and a hash of them all."""
    return page.locator(MAP).first.evaluate(_PIXELS_JS)


def _shown(page) -> tuple[str, str]:
    """(data-shown, data-settled) of the map: what it draws, what the server sent."""
    canvas = page.locator(MAP).first
    return canvas.get_attribute("data-shown"), canvas.get_attribute("data-settled")


def _click_and_wait(page, chart, x: float, y: float, server) -> None:
    """Hover until plotly has found the point under the mouse, click, and wait until the
    click has changed the link and the rerun has finished."""
    before = page.url
    page.mouse.move(x, y)
    _until(page, lambda: chart.evaluate("(gd) => (gd._hoverdata || []).length > 0"),
           lambda: ("no hover point at", x, y))  # fmt: skip
    page.mouse.click(x, y)
    _until(page, lambda: page.url != before, lambda: ("the click changed nothing", page.url))
    wait_for_app(page, server=server)


def _wait_shown(page, expected: str, timeout: float = 5_000) -> None:
    """Wait until the map draws ``expected`` ("lr=…;momentum=…"); it redraws at the next
    animation frame after the thumb moves, not in the same instant."""
    deadline = time.monotonic() + timeout / 1000
    while _shown(page)[0] != expected:
        assert time.monotonic() < deadline, (_shown(page), expected)
        page.wait_for_timeout(20)


def _step_label(page) -> str:
    """The replay's step label under the map, e.g. "step 1000 / 1000"."""
    return page.locator(".mv-step").first.text_content() or ""


def _step(page) -> int:
    """The step the replay shows (1000 of "step 1000 / 1000")."""
    return int(_step_label(page).split()[1])


def test_app_draws_the_race_and_reacts_to_gamma(page, streamlit_process):
    ARTIFACTS.mkdir(exist_ok=True)
    _open(page, streamlit_process.url + "/?surface=multiwell", streamlit_process)
    assert page.locator('[data-testid="stException"]').count() == 0
    pixels = _pixels(page)
    assert pixels["painted"] > 0.95 and pixels["dark"] > 500, pixels  # surface, lines
    page.screenshot(path=str(ARTIFACTS / "race.png"))

    before = _outcome(page, "Momentum")
    sgd_before = _outcome(page, "SGD")
    slider = page.locator(GAMMA)
    slider.focus()
    for _ in range(8):  # γ 0.9 → 0.5 in steps of the slider's stops
        slider.press("ArrowLeft")
    # The map shows the thumb's γ at once, from the paths sent in advance. (Streamlit's
    # slider itself may drop a key pressed while a rerun lands: the thumb is the truth.)
    value = float(slider.get_attribute("aria-valuetext"))
    assert value <= 0.6, value
    _wait_shown(page, f"lr=0.3;momentum={value}")  # drawn at the next animation frame
    page.wait_for_function(f"() => location.search.includes('momentum={value}&')", timeout=30_000)
    wait_for_app(page, server=streamlit_process)
    _until(page, lambda: _outcome(page, "Momentum") != before, lambda: ("outcome", before))
    assert _outcome(page, "SGD") == sgd_before


def test_play_animates_and_keeps_the_surface(page, streamlit_process):
    ARTIFACTS.mkdir(exist_ok=True)
    _open(page, streamlit_process.url + "/?surface=rosenbrock", streamlit_process)
    before = _pixels(page)
    assert _step_label(page) == "step 1000 / 1000"  # it opens on the finished runs
    page.locator("button.mv-play").click()
    labels = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and len(set(labels)) < 3:
        next_frames(page, 10)
        labels.append(_step_label(page))
    assert len(set(labels)) >= 3, labels  # the steps advance
    steps = [int(label.split()[1]) for label in labels]
    assert steps == sorted(steps) and steps[0] < 1000, steps
    during = _pixels(page)
    assert during["painted"] > 0.95, during  # the surface stays under the replay
    assert during["hash"] != before["hash"]
    page.screenshot(path=str(ARTIFACTS / "playing.png"))
    assert page.locator('[data-testid="stException"]').count() == 0


def test_replay_is_operable_from_the_keyboard(page, streamlit_process):
    """Play/Pause, one step back and forward and the step slider, by keyboard alone,
    with a visible focus ring (≥ 3:1 against the page)."""
    _open(page, streamlit_process.url + "/?surface=multiwell", streamlit_process)
    play = page.locator("button.mv-play")
    play.focus()
    ring = play.evaluate(
        "(b) => { const s = getComputedStyle(b);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring[0] == "solid" and float(ring[1].rstrip("px")) >= 2, ring
    assert _contrast(ring[2], "rgb(255, 255, 255)") >= 3, ring
    page.keyboard.press("Enter")
    # It replays from the start: pause as soon as it has taken a step.
    _until(page, lambda: 0 < _step(page) < 1000, lambda: ("not playing", _step_label(page)))
    page.keyboard.press("Enter")  # pause
    paused = _step_label(page)
    assert 0 < int(paused.split()[1]) < 300, paused
    next_frames(page, 15)  # a playing map would advance every frame or two
    assert _step_label(page) == paused  # paused means paused
    page.keyboard.press("Tab")  # → one step back
    page.keyboard.press("Enter")
    step = int(paused.split()[1])
    assert _step_label(page).startswith(f"step {step - 1} /")
    page.keyboard.press("Tab")  # → the step slider
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _step_label(page).startswith(f"step {step + 1} /")
    frame = page.locator("input.mv-frame")
    assert frame.get_attribute("aria-valuetext").startswith(f"step {step + 1} of")
    page.keyboard.press("Tab")  # → one step forward
    page.keyboard.press("Space")
    assert _step_label(page).startswith(f"step {step + 2} /")
    assert page.locator(MAP).first.get_attribute("aria-label").startswith("Race map on")


def _contrast(color: str, background: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(css: str) -> float:
        channels = [float(v) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(color), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("key", ["momentum", "lr"])
def test_dragging_a_slider_redraws_the_paths_before_any_rerun(page, streamlit_process, key):
    """While the γ (α) thumb is dragged the map follows it from the paths sent in advance,
    with no rerun; on release the table and the link settle on the thumb's value."""
    _open(page, streamlit_process.url + "/?surface=multiwell", streamlit_process)
    before_table = _outcome(page, "Momentum")
    x, y = grab_slider_thumb(page, key)
    shown, hashes = [], []
    for i in range(1, 25):
        page.mouse.move(x - 5 * i, y)
        next_frames(page)  # the map redraws at the next animation frame
        shown.append(_shown(page))
        hashes.append(_pixels(page)["hash"])
    # Before release: new pictures, the server's values unchanged, no rerun started.
    assert len({s for s, _ in shown}) >= 5, shown
    assert {settled for _, settled in shown} == {"lr=0.3;momentum=0.9"}, shown
    assert len(set(hashes)) >= 5
    assert (
        page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        == "notRunning"
    )
    assert _outcome(page, "Momentum") == before_table
    page.mouse.up()
    index = int(page.locator(SLIDER.format(key=key)).get_attribute("value"))
    value = stops_with(SLIDER_STOPS[key], 0.3 if key == "lr" else 0.9)[index]
    settled = {"lr": 0.3, "momentum": 0.9, key: value}
    expected = f"lr={settled['lr']};momentum={settled['momentum']}"
    page.wait_for_function(
        f"() => document.querySelector('.st-key-race_map') && "
        f"[...document.querySelectorAll('*')].some(e => e.shadowRoot && "
        f"e.shadowRoot.querySelector('canvas.mv-map[data-settled=\"{expected}\"]'))",
        timeout=30_000,
    )
    wait_for_app(page, server=streamlit_process)
    assert _shown(page) == (expected, expected)
    assert f"{key}={value}" in page.url
    assert _outcome(page, "Momentum") != before_table


def test_clicking_the_map_sets_the_start_point(page, streamlit_process):
    _open(page, streamlit_process.url + "/?surface=multiwell", streamlit_process)
    plot = _plot_box(page)
    # multiwell's bounds are −4 … 4 on both axes: the point (2.6, −2.8).
    px = plot["left"] + (2.6 + 4) / 8 * plot["width"]
    py = plot["top"] + (4 - -2.8) / 8 * plot["height"]
    page.mouse.click(px, py)
    page.wait_for_function("() => !location.search.includes('x0=-3.5')", timeout=30_000)
    wait_for_app(page, server=streamlit_process)
    x0 = float(page.locator('[data-testid="stNumberInput"] input').nth(0).input_value())
    y0 = float(page.locator('[data-testid="stNumberInput"] input').nth(1).input_value())
    pixel = 8 / plot["width"]  # one CSS pixel in map units
    assert (x0, y0) == pytest.approx((2.6, -2.8), abs=pixel), (x0, y0, pixel)
    assert page.locator('[data-testid="stException"]').count() == 0


# The (α, γ) map's click grid is drawn and its axes laid out (plotly has placed them).
_CLICK_GRID_DRAWN_JS = """(gd) => Boolean(gd._fullData && gd._fullLayout
    && gd._fullData.some((t) => (t.name || '').startsWith('click-grid: converged'))
    && gd._fullLayout.xaxis && gd._fullLayout.xaxis._offset !== undefined
    && gd.querySelector('.scatterlayer .trace'))"""


def test_clicking_a_parameter_map_cell_sets_alpha_and_gamma(page, streamlit_process):
    _open(page, streamlit_process.url + "/?surface=quadratic", streamlit_process)
    page.get_by_role("tab", name="(α, γ) map").click()
    chart = page.locator(PLOTLY).first
    chart.locator(".main-svg").first.wait_for(timeout=30_000)
    wait_for_app(page, server=streamlit_process)
    _until(page, lambda: chart.evaluate(_CLICK_GRID_DRAWN_JS), lambda: "no click grid drawn")
    # A converged cell near the middle of the map: its customdata holds (α, γ).
    target = chart.evaluate(
        """(gd) => {
            const name = 'click-grid: converged';
            const trace = gd._fullData.find((t) => (t.name || '').startsWith(name));
            const i = Math.floor(trace.x.length / 2);
            const fl = gd._fullLayout, box = gd.getBoundingClientRect();
            const xa = fl[trace.xaxis.replace('x', 'xaxis')];
            const ya = fl[trace.yaxis.replace('y', 'yaxis')];
            return {
                lr: trace.customdata[i][0], momentum: trace.customdata[i][1],
                px: box.left + xa._offset + xa.d2p(trace.x[i]),
                py: box.top + ya._offset + ya.d2p(trace.y[i]),
            };
        }"""
    )
    _click_and_wait(page, chart, target["px"], target["py"], streamlit_process)
    lr_text = page.locator('input[type="range"][aria-label="Learning rate α"]').get_attribute(
        "aria-valuetext"
    )
    gamma_text = page.locator('input[type="range"][aria-label="Momentum γ"]').get_attribute(
        "aria-valuetext"
    )
    # The clicked cell or a neighbour (plotly picks the closest marker): within a few
    # percent of the target α and within 0.05 of its γ, and far from the defaults.
    assert float(lr_text) == pytest.approx(target["lr"], rel=0.15), (lr_text, target)
    assert float(gamma_text) == pytest.approx(target["momentum"], abs=0.05), (gamma_text, target)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_first_move_after_a_server_restart_sticks(page, tmp_path):
    """The page reconnects to a restarted server; its first γ move is not undone by the link.

    The new session's first run carries the page's widget values, the move included; the
    address bar still holds the old γ and must not win (it did: the move snapped back).
    """
    port = free_port()
    env = dict(os.environ, HOME=str(tmp_path))
    slider = page.locator(GAMMA)
    app = page.locator('[data-testid="stApp"]')
    with start_streamlit(port=port, env=env) as first:
        _open(page, first.url + "/?surface=multiwell", first)
        assert slider.get_attribute("aria-valuetext") == "0.9"
    # The page notices the server is gone, then reconnects by itself (it retries every ~1 s).
    _until(page, lambda: app.get_attribute("data-test-connection-state") != "CONNECTED",
           lambda: "the page did not notice the server stopped")  # fmt: skip
    with start_streamlit(port=port, env=env) as second:
        _until(page, lambda: app.get_attribute("data-test-connection-state") == "CONNECTED",
               lambda: ("no reconnect", second.log_tail()))  # fmt: skip
        slider.focus()
        slider.press("ArrowLeft")  # 0.9 → 0.85, the next stop down
        _until(page, lambda: "momentum=0.85" in page.url, lambda: (page.url, second.log_tail()))
        wait_for_app(page, server=second)
        assert slider.get_attribute("aria-valuetext") == "0.85", second.log_tail()
        assert "momentum=0.85" in page.url


def test_hostile_link_shows_text_not_markup(page, streamlit_process):
    """Hostile links: a heading and phishing link in a name, an image in ``methods``."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    query = (
        "?%0A%0A%23%20Class%20cancelled%20%E2%80%94%20submit%20your%20password%20at%20"
        "%5Bthis%20page%5D(https://evil.example)%0A%0A=1"
        "&methods=![x](https://evil.example/track.png)"
    )
    page.goto(streamlit_process.url + "/" + query)
    wait_for_app(page, server=streamlit_process)
    alerts = page.locator('[data-testid="stAlert"]')
    text = " ".join(alerts.all_inner_texts())
    assert "Class cancelled" in text and "track.png" in text, text
    for selector in ("a", "img", "h1", "h2", "h3"):
        assert alerts.locator(selector).count() == 0, selector
    assert not [url for url in requests if urlsplit(url).hostname == "evil.example"], requests


# --- the lecture hall: geometry at a projector's 1280×720 --------------


def _edges(left: float, top: float, width: float, height: float) -> dict[str, float]:
    return {"top": top, "bottom": top + height, "left": left, "right": left + width,
            "width": width, "height": height}  # fmt: skip


def _geometry(page) -> dict:
    """Page boxes of the drawing area, the Play button and the legend; the map's font size."""

    def box(locator) -> dict[str, float]:
        b = locator.bounding_box()
        return _edges(b["x"], b["y"], b["width"], b["height"])

    plot = _plot_box(page)
    return {
        "map": _edges(plot["left"], plot["top"], plot["width"], plot["height"]),
        "play": box(page.locator("button.mv-play")),
        "legend": box(page.locator(".mv-legend")),
        "sizes": [
            float(v.rstrip("px"))
            for v in page.locator(".mv-key, button.mv-play, .mv-step").evaluate_all(
                "(els) => els.map((e) => getComputedStyle(e).fontSize)"
            )
        ],
        "scroll": page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop"
        ),
    }


@pytest.mark.parametrize(
    ("width", "height", "min_map", "query"),
    [
        (1280, 720, 450, "surface=multiwell&methods=sgd,momentum,nesterov"),
        (1024, 768, 380, "surface=multiwell&methods=sgd,momentum,nesterov"),
        # A scenario's two-line lead replaces the title: the map still fits.
        (1280, 720, 450, "scenario=escape-local-minimum"),
    ],
    ids=["1280x720", "1024x768", "1280x720-scenario"],
)
def test_race_map_fits_a_projectors_first_screen(
    page, streamlit_process, width, height, min_map, query
):
    """With the sidebar open, the map's drawing area is tall enough, and the map, Play and
    the legend are on the first screen without scrolling; the chart text is ≥ 18 px."""
    page.set_viewport_size({"width": width, "height": height})
    url = f"{streamlit_process.url}/?{query}"
    _open(page, url, streamlit_process)
    assert page.locator('[data-testid="stSidebar"]').first.is_visible()
    geometry = _geometry(page)
    box = geometry["map"]
    assert box["height"] >= min_map and box["width"] >= min_map, box
    for name in ("map", "play", "legend"):
        part = geometry[name]
        assert part["top"] >= 0 and part["bottom"] <= height, (name, part)
        assert part["left"] >= 0 and part["right"] <= width, (name, part)
    assert geometry["scroll"] == 0
    assert geometry["sizes"] and min(geometry["sizes"]) >= 18, geometry["sizes"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"race-{width}x{height}.png"))


def test_lecture_mode_is_kept_in_the_link(page, streamlit_process):
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, streamlit_process.url + "/?surface=multiwell&lecture=1", streamlit_process)
    assert page.get_by_role("heading", name="Momentum, made visible").count() == 0
    # Polled: the map lays itself out again once the page's fonts and theme have settled.
    _until(
        page,
        lambda: (g := _geometry(page))["play"]["bottom"] <= 720 and g["map"]["height"] >= 500,
        lambda: _geometry(page),
    )
    assert page.locator(MAP).first.get_attribute("data-font") == "22"
    # On a 1080p projector the map grows to the screen's height, Play still on screen.
    page.set_viewport_size({"width": 1920, "height": 1080})
    _until(
        page,
        lambda: (
            (g := _geometry(page))["play"]["bottom"] <= 1080 and g["map"]["height"] >= 850 and g
        ),
        lambda: _geometry(page),
    )
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_text("Lecture mode").click()
    _until(page, lambda: "lecture=1" not in page.url, lambda: page.url)
    wait_for_app(page, server=streamlit_process)
    assert "lecture=1" not in page.url
    assert page.get_by_role("heading", name="Momentum, made visible").count() == 1


def test_parameter_map_keeps_its_width_on_a_phone(page, streamlit_process):
    """At 390×844 the (α, γ) map keeps a readable drawing area (its box scrolls sideways)
    instead of being squeezed beside its colour legend (it was 75 px wide)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(streamlit_process.url + "/?surface=multiwell&view=parameter-map")
    wait_for_app(page, server=streamlit_process)
    drag = page.locator(".st-key-parameter_map .nsewdrag").first
    drag.wait_for(timeout=30_000)
    # Plotly lays the map out again once Streamlit has sized its box: wait for that width.
    _until(page, lambda: drag.bounding_box()["width"] >= 250, drag.bounding_box)
