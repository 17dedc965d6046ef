"""End-to-end: the offline HTML download is the live map itself.

Downloaded from the running app as a user does, opened from ``file://`` in a context with
the network off and every request but the file itself refused, it draws exactly what the
app's live map draws (the same paths, surface, settings and drawing-area pixels), plays
from the keyboard, has its colour bar beside the map and its settings in its title line.
"""

from __future__ import annotations

import pytest
from _server import wait_for_app

from momentum_viz.app.exports import file_stem, settings_line
from momentum_viz.app.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = "canvas.mv-map"

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
    html = _download(page, "Download animation (HTML, plays offline)")
    csv = _download(page, "Download trajectories (CSV)")
    stem = file_stem(Settings())
    assert (html.suggested_filename, csv.suggested_filename) == (f"{stem}.html", f"{stem}.csv")
    path = tmp_path / html.suggested_filename  # opened by its name: .html
    html.save_as(path)
    assert path.stat().st_size < 1_000_000

    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    try:
        requests: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        context.route("http*://**/*", lambda route: route.abort())
        offline = context.new_page()
        errors: list[str] = []
        offline.on("pageerror", lambda error: errors.append(str(error)))
        offline.goto(path.as_uri())
        offline.locator(f"{MAP}[data-draws]").wait_for(timeout=10_000)
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
    finally:
        context.close()
