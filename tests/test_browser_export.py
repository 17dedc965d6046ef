"""End-to-end: the offline HTML download is the live map itself.

Downloaded from the running app as a user does, opened from ``file://`` in a context with
the network off and every request but the file itself refused, it draws exactly what the
app's live map draws (the same paths, surface, settings and drawing-area pixels), plays
from the keyboard, has its colour bar beside the map and its settings in its title line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _server import wait_for_app

from momentum_viz.app.exports import file_stem, settings_line
from momentum_viz.app.prepared_deck import PREPARED_DECK
from momentum_viz.app.settings import Settings, title_of
from momentum_viz.app.tabs.race import DOWNLOADS

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = "canvas.mv-map"


@contextmanager
def _opened_offline(browser, path: Path, *, height: int) -> Iterator[tuple]:
    """The downloaded file opened from ``file://`` in a 1280-wide context with the network
    off and every http(s) request refused, its map drawn: (page, the URLs it requested,
    its script errors)."""
    context = browser.new_context(viewport={"width": 1280, "height": height}, offline=True)
    try:
        requests: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        context.route("http*://**/*", lambda route: route.abort())
        offline = context.new_page()
        errors: list[str] = []
        offline.on("pageerror", lambda error: errors.append(str(error)))
        offline.goto(path.as_uri())
        offline.locator(f"{MAP}[data-draws]").wait_for(timeout=10_000)
        yield offline, requests, errors
    finally:
        context.close()


# The map object of the page (in the app its root is a component's shadow root).
_STATE_JS = """() => {
    const hosts = [document.getElementById("mv-map"),
                   ...[...document.querySelectorAll("*")].map((e) => e.shadowRoot)];
    const root = hosts.find((r) => r && r.__momentumVizMap);
    const map = root.__momentumVizMap;
    const canvas = root.querySelector("canvas.mv-map");
    const [left, top, width, height] = canvas.dataset.plot.split(",").map(Number);
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const pixels = canvas.getContext("2d").getImageData(
        Math.round(left * ratio), Math.round(top * ratio),
        Math.round(width * ratio), Math.round(height * ratio)).data;
    let hash = 0;
    for (let i = 0; i < pixels.length; i++) hash = (hash * 31 + pixels[i]) % 1000000007;
    return {
        paths: map.paths().map((p) => [p.method.key, Array.from(p.points, String)]),
        surface: canvas.dataset.surface,
        settled: canvas.dataset.settled,
        plot: canvas.dataset.plot,
        replay_ms: map.race.header.replay_ms,
        steps: map.race.header.steps,
        hash,
    };
}"""

# The colour bar: painted pixels in a thin column just right of the drawing area.
_COLORBAR_JS = """(canvas) => {
    const [left, top, width, height] = canvas.dataset.plot.split(",").map(Number);
    const font = Number(canvas.dataset.font);
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const x = Math.round((left + width + 0.6 * font + 7) * ratio);
    const data = canvas.getContext("2d").getImageData(
        x, Math.round((top + 0.3 * height) * ratio), 1, Math.round(0.6 * height * ratio)).data;
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 250) painted++;
    return painted / (data.length / 4);
}"""


def _download(page, label: str):
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    return info.value


def test_the_offline_html_plays_offline_and_draws_what_the_live_map_draws(
    page, browser, streamlit_process, tmp_path
):
    page.goto(streamlit_process.url)
    wait_for_app(page, server=streamlit_process)
    page.locator(f"{MAP}[data-draws]").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the surface's image decodes, the map redraws
    live = page.evaluate(_STATE_JS)
    page.get_by_text(DOWNLOADS).click()  # the downloads are drawn once it is open
    html = _download(page, "Download animation (HTML, plays offline)")
    csv = _download(page, "Download trajectories (CSV)")
    stem = file_stem(Settings())
    assert (html.suggested_filename, csv.suggested_filename) == (f"{stem}.html", f"{stem}.csv")
    path = tmp_path / html.suggested_filename  # opened by its name: .html
    html.save_as(path)
    assert path.stat().st_size < 1_000_000

    with _opened_offline(browser, path, height=900) as (offline, requests, errors):
        offline.wait_for_timeout(500)
        assert offline.evaluate(_STATE_JS) == live
        assert settings_line(Settings()) in offline.locator(".mv-settings").inner_text()
        assert offline.locator(MAP).evaluate(_COLORBAR_JS) > 0.9  # beside the map
        # Tab reaches Play first; Enter plays the whole run, then it stops at the end.
        offline.keyboard.press("Tab")
        play = offline.locator("button.mv-play")
        assert play.evaluate("(b) => b === document.activeElement")
        offline.keyboard.press("Enter")
        assert play.get_attribute("aria-label") == "Pause"
        step = offline.locator(".mv-step")
        offline.wait_for_function(
            "() => /^step [1-9]\\d* \\//.test(document.querySelector('.mv-step').textContent)"
        )
        offline.wait_for_function(
            "() => document.querySelector('button.mv-play').ariaLabel === 'Play'",
            timeout=live["replay_ms"] * 4,
        )
        assert step.inner_text() == f"step {live['steps']} / {live['steps']}"
        assert errors == []
        assert all(url.startswith(("file:", "blob:")) for url in requests), requests


def _offline_slide(page) -> dict:
    canvas = page.locator(MAP)
    settled = dict(pair.split("=") for pair in canvas.get_attribute("data-settled").split(";"))
    return {
        "title": page.locator(".mv-slide-title").inner_text(),
        "count": page.locator(".mv-slide-count").inner_text(),
        "surface": canvas.get_attribute("data-surface"),
        "lr": float(settled["lr"]),
        "momentum": float(settled["momentum"]),
        "draws": int(canvas.get_attribute("data-draws")),
    }


def _expected(number: int) -> dict:
    slide = PREPARED_DECK.slides[number - 1]
    settings = slide.settings()
    return {
        "title": slide.title,
        "count": f"{number} / {len(PREPARED_DECK.slides)}",
        "surface": title_of(settings),
        "lr": settings.lr,
        "momentum": settings.momentum,
    }


def _press(page, key: str, number: int) -> dict:
    """Press ``key``; wait until slide ``number`` is shown and its map drawn; its state."""
    before = int(page.locator(MAP).get_attribute("data-draws"))
    page.keyboard.press(key)
    page.wait_for_function(
        "([count, draws]) => document.querySelector('.mv-slide-count').textContent === count"
        " && Number(document.querySelector('canvas.mv-map').dataset.draws) > draws",
        arg=[_expected(number)["count"], before],
        timeout=10_000,
    )
    shown = _offline_slide(page)
    assert {k: v for k, v in shown.items() if k != "draws"} == _expected(number), key
    return shown


def test_the_deck_html_presents_every_slide_offline_with_the_present_keys(
    page, browser, streamlit_process, tmp_path
):
    """The prepared deck, downloaded from the Lecture panel as one HTML file and opened
    from ``file://`` with the network off: every slide's map draws that slide's race, the
    slide keys step (PageDown/PageUp, →/←, Home/End), Space plays, nothing scrolls."""
    page.goto(streamlit_process.url)
    wait_for_app(page, server=streamlit_process)
    panel = page.locator(
        '[data-testid="stSidebar"] [data-testid="stExpander"]', has_text="Lecture: slides"
    )
    panel.locator("summary").click()
    panel.get_by_role("button", name=re.compile("^Open the prepared deck")).click()
    wait_for_app(page, timeout=90_000, server=streamlit_process)
    html = _download(page, "Download the deck (HTML, plays offline)")
    assert html.suggested_filename == "momentum-in-ten-views.html"
    path = tmp_path / html.suggested_filename
    html.save_as(path)
    assert path.stat().st_size < 1_000_000

    with _opened_offline(browser, path, height=720) as (offline, requests, errors):
        assert {k: v for k, v in _offline_slide(offline).items() if k != "draws"} == _expected(1)
        count = len(PREPARED_DECK.slides)
        for number in range(2, count + 1):
            _press(offline, "PageDown", number)
        _press(offline, "PageUp", count - 1)
        _press(offline, "ArrowRight", count)
        _press(offline, "Home", 1)
        _press(offline, "End", count)
        _press(offline, "ArrowLeft", count - 1)
        _press(offline, "Home", 1)
        # Space plays the shown slide's replay, from the page (no button focused).
        offline.evaluate("() => document.activeElement?.blur()")
        offline.keyboard.press("Space")
        assert offline.locator("button.mv-play").get_attribute("aria-label") == "Pause"
        assert offline.evaluate("() => [window.scrollX, window.scrollY]") == [0, 0]
        assert errors == []
        assert all(url.startswith(("file:", "blob:")) for url in requests), requests
