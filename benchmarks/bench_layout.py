"""Measure how the charts are laid out in a real browser: are they projectable?

Starts the app (``streamlit run app.py`` on a free port, headless), opens it in Chromium
(Playwright, Debian's /usr/bin/chromium) with the sidebar open at 1280×720, 1024×768 and
390×844, and prints for each size:

* the race map's drawing area (the live map's canvas, ``data-plot``: the map itself, in
  CSS px) and whether the whole drawing area, the Play button and the legend lie on the
  first screen (no scrolling); the size of the text drawn on the canvas (``data-font``)
  and of the legend and controls beside it;
* the drawing areas of the loss chart, the (α, γ) map and the two basin maps (at 1280×720
  and 1024×768), and whether any of their text runs past the chart's edge.

Goal (projectable): at 1280×720 the map's drawing area ≥ 450 px high, Play and legend on the
first screen; at 1024×768 ≥ 380 px; chart text ≥ 18 px at ≥ 4.5:1; the (α, γ) and basin
maps ≥ 300 px. With ``--screenshots DIR`` it also saves a screenshot of every view.

Run: ``.venv/bin/python benchmarks/bench_layout.py`` (from the project root; ``--app``,
``--lecture`` to measure the lecture mode too, ``--screenshots test-artifacts/layout``).
The figures are in README.md ("Benchmarks").
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.streamlit_server import CHROMIUM_ARGS, chromium_path, start_streamlit

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1280, 720), (1024, 768), (390, 844))
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
RACE_MAP = ".st-key-race_map canvas.mv-map"  # the live map (momentum_viz/app/live_map.js)
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# Run in the page on a chart's graph div: drawing area, key boxes (viewport coordinates)
# and every SVG text with its computed size and fill.
MEASURE_JS = """(gd) => {
    const box = (el) => {
        if (!el) return null;
        const r = el.getBoundingClientRect();
        return {x: r.x, y: r.y, w: r.width, h: r.height, bottom: r.bottom, right: r.right};
    };
    const s = gd._fullLayout._size;
    const outer = gd.getBoundingClientRect();
    const texts = [];
    for (const t of gd.querySelectorAll('text')) {
        const r = t.getBoundingClientRect();
        const cs = getComputedStyle(t);
        // Hidden text (the slider's transparent step labels) is not chart text.
        if (!t.textContent.trim() || r.width === 0 || cs.fill.startsWith('rgba(0, 0, 0, 0)')
            || cs.fillOpacity === '0' || cs.opacity === '0') continue;
        texts.push({
            text: t.textContent.trim().slice(0, 40),
            size: parseFloat(cs.fontSize),
            fill: cs.fill,
            clipped: r.right > outer.right + 1 || r.x < outer.x - 1,
        });
    }
    const play = Array.from(gd.querySelectorAll('.updatemenu-button'))
        .find((b) => b.textContent.includes('Play'));
    const rect = play ? play.querySelector('rect') : null;
    return {
        drawing: {w: s.w, h: s.h},
        plot: box(gd.querySelector('.nsewdrag')),
        chart: box(gd),
        play: box(play),
        playRect: rect ? {fill: getComputedStyle(rect).fill,
                          stroke: getComputedStyle(rect).stroke} : null,
        legend: box(gd.querySelector('.legend')),
        slider: box(gd.querySelector('.slider-container')),
        texts,
    };
}"""


@contextmanager
def streamlit_app(app: str) -> Iterator[str]:
    """Run ``streamlit run app`` on a free port; yield its URL; stop it afterwards."""
    # A private HOME keeps the developer's ~/.streamlit out of the measurement.
    with tempfile.TemporaryDirectory(prefix="bench-layout-home-") as home:
        with start_streamlit(script=app, env=dict(os.environ, HOME=home)) as server:
            yield server.url


def _rgb(css: str) -> tuple[float, float, float]:
    """'rgb(38, 39, 48)' or '#262730' → (r, g, b) in 0..255."""
    css = css.strip()
    if css.startswith("#"):
        return tuple(int(css[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    inner = css[css.index("(") + 1 : css.index(")")].replace("/", ",").split(",")
    return tuple(float(v) for v in inner[:3])  # type: ignore[return-value]


def luminance(color: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = "#ffffff") -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _wait(page, timeout: float = 60_000, chart: bool = True) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=timeout)
    if chart:
        page.locator(CHART).first.locator(".main-svg").first.wait_for(timeout=timeout)
    page.wait_for_timeout(800)


# Elements whose content is wider than their box: cut off, or reachable only by scrolling.
OVERFLOW_JS = """() => Array.from(document.querySelectorAll(
        '[data-testid="stTable"], [data-testid="stMarkdownContainer"] table, .katex-display'))
    .filter((el) => el.getBoundingClientRect().width > 0
        && el.scrollWidth > el.clientWidth + 3)
    .map((el) => `${el.getAttribute('data-testid') || el.className}: `
        + `${el.scrollWidth} px of content in ${el.clientWidth} px`)"""


def _fonts(texts: list[dict]) -> str:
    """'14 px #808495 (3.7:1) ×12; …' over the distinct (size, fill) pairs."""
    counts: dict[tuple[float, str], int] = {}
    for t in texts:
        key = (round(t["size"], 1), t["fill"])
        counts[key] = counts.get(key, 0) + 1
    parts = []
    for (size, fill), n in sorted(counts.items()):
        hexa = "#{:02x}{:02x}{:02x}".format(*(round(c) for c in _rgb(fill)))
        parts.append(f"{size:g} px {hexa} ({contrast(fill):.1f}:1) ×{n}")
    return "; ".join(parts)


def _on_screen(box: dict | None, height: int) -> str:
    if box is None:
        return "absent"
    inside = box["y"] >= 0 and box["bottom"] <= height
    return f"{'yes' if inside else 'NO'} (y {box['y']:.0f}–{box['bottom']:.0f})"


def _box(locator) -> dict | None:
    b = locator.bounding_box()
    if b is None:
        return None
    return {"x": b["x"], "y": b["y"], "w": b["width"], "h": b["height"],
            "bottom": b["y"] + b["height"], "right": b["x"] + b["width"]}  # fmt: skip


def measure_race(page, url: str, width: int, height: int, shots: Path | None, tag: str) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    _wait(page)
    canvas = page.locator(f"{RACE_MAP}[data-draws]").first
    canvas.wait_for(timeout=60_000)
    left, top, w, h = (float(v) for v in canvas.get_attribute("data-plot").split(","))
    outer = _box(canvas)
    plot = {"x": outer["x"] + left, "y": outer["y"] + top, "w": w, "h": h,
            "bottom": outer["y"] + top + h, "right": outer["x"] + left + w}  # fmt: skip
    print(f"  race map drawing area: {w:.0f} × {h:.0f} px (canvas {outer['w']:.0f} px wide)")
    print(f"    drawing area on first screen: {_on_screen(plot, height)}")
    play, legend = _box(page.locator("button.mv-play")), _box(page.locator(".mv-legend"))
    print(f"    Play on first screen:         {_on_screen(play, height)}")
    print(f"    legend on first screen:       {_on_screen(legend, height)}")
    sizes = page.locator(".mv-key, button.mv-play, .mv-step").evaluate_all(
        "(els) => els.map((e) => [parseFloat(getComputedStyle(e).fontSize),"
        " getComputedStyle(e).color])"
    )
    print(f"    map text (canvas): {canvas.get_attribute('data-font')} px #262730 "
          f"({contrast('#262730'):.1f}:1)")  # fmt: skip
    print(f"    legend and controls: {_fonts([{'size': s, 'fill': c} for s, c in sizes])}")
    charts = page.locator(CHART)
    if charts.count() > 0:
        loss = charts.nth(0).evaluate(MEASURE_JS)
        print(f"  loss chart drawing area: {loss['plot']['w']:.0f} × {loss['plot']['h']:.0f} px")
        print(f"    text: {_fonts(loss['texts'])}")
    overflow = page.evaluate(OVERFLOW_JS)
    print(f"  race tab: content wider than its box: {overflow or 'none'}")
    if shots:
        page.screenshot(path=str(shots / f"race-{tag}.png"))
        page.screenshot(path=str(shots / f"race-{tag}-full.png"), full_page=True)


def measure_tab(page, url: str, view: str, shots: Path | None, tag: str) -> None:
    page.goto(f"{url}&view={view}")
    _wait(page, 120_000, chart=view != "theory")
    overflow = page.evaluate(OVERFLOW_JS)
    print(f"  {view}: content wider than its box: {overflow or 'none'}")
    charts = page.locator(CHART)
    for i in range(charts.count()):
        m = charts.nth(i).evaluate(MEASURE_JS)
        clipped = [t["text"] for t in m["texts"] if t["clipped"]]
        print(
            f"  {view} chart {i + 1}: drawing area {m['plot']['w']:.0f} × "
            f"{m['plot']['h']:.0f} px; text {_fonts(m['texts'])}"
            + (f"; CLIPPED {clipped}" if clipped else "")
        )
    if shots:
        page.screenshot(path=str(shots / f"{view}-{tag}.png"), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="app.py")
    parser.add_argument("--lecture", action="store_true", help="also measure lecture=1")
    parser.add_argument("--screenshots", type=Path, help="save screenshots in this folder")
    parser.add_argument("--query", default="surface=multiwell&methods=sgd,momentum,nesterov")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    variants = [("", "")] + ([("&lecture=1", "-lecture")] if args.lecture else [])
    with streamlit_app(args.app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
        )
        context = browser.new_context()
        page = context.new_page()
        _wait_first(page, base)
        for extra, suffix in variants:
            url = f"{base}/?{args.query}{extra}"
            for width, height in SIZES:
                tag = f"{width}x{height}{suffix}"
                print(f"{tag} ({args.query}{extra}):")
                measure_race(page, url, width, height, args.screenshots, tag)
                if width >= 1024 and not suffix:
                    theory_url = f"{base}/?surface=multiwell"
                    for view in ("parameter-map", "basin-map", "theory"):
                        measure_tab(page, theory_url, view, args.screenshots, tag)
        browser.close()


def _wait_first(page, base: str) -> None:
    """Warm the server (imports, caches) so the first measured page is not a cold start."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(base)
    _wait(page, 120_000)


if __name__ == "__main__":
    main()
