"""How the race reacts in a real browser, against a bare one-slider page in the same run.

Starts two servers with the same Streamlit (``app.py`` and ``benchmarks/bare_page.py``: one
γ select_slider in the sidebar and one Plotly line chart computed from γ), opens both in
one headless Chromium (Debian's, via Playwright) at 1280×720 and, alternating app and bare
page in every repeat (so drift of this shared machine hits both alike), measures:

1. **γ key → map**: ArrowLeft on the focused γ slider (``.st-key-momentum``), then the time
   until (a) the map shows new paths and (b) the rerun has finished (the app root's
   ``data-test-script-state`` went "running", then "notRunning"). Each press goes to a γ
   the page has not shown yet, so the server computes it (nothing is served from cache).
2. **first chart**: navigation start → the first chart drawn (app: the race map; bare: its
   chart), in a fresh browser context (cold browser cache) on a warm server.
3. **bytes per γ move**: websocket frames received (payload length) plus the bodies of any
   HTTP responses, from the key press until the rerun has finished.
4. **drag**: mouse down on the γ thumb, moves (``--drag-moves``, about 1 s) to the left
   end and back, then mouse up; counts the path pictures the map drew before mouse up (a
   new picture = its paths differ from the one before) and the γ stops the thumb crossed.
   A Streamlit slider reports only on release, so the bare page draws 0.
5. **size**: the race map's drawing area at 1280×720 and 1024×768 (sidebar open), and
   whether the drawing area and the map's Play control are inside the first screen.

Timings are printed as min–median–max over the repeats and as app/bare ratios of the
medians (with the range of the per-repeat ratios); bytes as median and max per move.

The race map is found by its DOM contract (``.st-key-race_map canvas.mv-map`` with
``data-draws``, ``data-shown``, ``data-settled``, ``data-plot``; ``button.mv-play``; see
momentum_viz/app/live_map.js). For the app, (a) is when ``data-shown`` names the new γ
(the map draws paths sent in advance, before any rerun) and (b) when ``data-settled``
does too (the rerun's own data has arrived) and the script has finished.

Run from the project root: ``.venv/bin/python benchmarks/bench_browser.py``
(``--repeat N``, ``--quick`` for one short repeat, ``--query`` for the app's link).
With the defaults it takes about 3 minutes on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.streamlit_server import (
    APP_IDLE_SELECTOR,
    CHROMIUM_ARGS,
    chromium,
    chromium_path,
    machine_summary,
    start_streamlit,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response, WebSocket

APP_SCRIPT = "app.py"
BARE_SCRIPT = "benchmarks/bare_page.py"
GAMMA_INPUT = ".st-key-momentum input[type=range]"
# The thumb is the element two levels above the slider's (visually hidden) range input.
GAMMA_THUMB = GAMMA_INPUT + " >> xpath=../.."
GAMMA_TRACK = '.st-key-momentum [role="group"] > div'
SIZES = ((1280, 720), (1024, 768))
TIMEOUT_MS = 90_000  # generous: another test run may share the two cores

# In-page helpers, installed in every page before its scripts run. ``kind`` is how the
# picture is read: "canvas" (the race-map component) or "chart" (the bare page's chart).
# signature() is a string that changes when the drawn paths change (null while nothing
# is drawn); plotArea() the drawing area and playBox() the Play control, both in viewport
# coordinates.
PAGE_HELPERS_JS = """
window.__bench = (() => {
    // Playwright's CSS selectors pierce open shadow roots; document.querySelector does not.
    const deep = (root, selector) => {
        if (!root) return null;
        const found = root.querySelector(selector);
        if (found) return found;
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) {
                const inner = deep(el.shadowRoot, selector);
                if (inner) return inner;
            }
        }
        return null;
    };
    const canvas = () => deep(document.querySelector('.st-key-race_map'), 'canvas.mv-map');
    const graph = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
    const sum = (values) => {
        let s = 0;
        for (let i = 0; i < values.length; i++) s += Number(values[i]) || 0;
        return s;
    };
    const traceSig = (gd, keep) => {
        if (!gd || !gd._fullData || !gd.querySelector('.scatterlayer .trace')) return null;
        const parts = gd._fullData.filter(keep).map(
            (t) => `${(t.x || []).length}:${sum(t.x || []).toPrecision(12)}:` +
                   `${sum(t.y || []).toPrecision(12)}`);
        return parts.length ? parts.join('|') : null;
    };
    const box = (r) => ({left: r.left, top: r.top, width: r.width, height: r.height,
                         right: r.right, bottom: r.bottom});
    return {
        kind() {
            if (canvas()) return 'canvas';
            if (graph('chart')) return 'chart';
            return null;
        },
        signature(kind) {
            if (kind === 'canvas') {
                const c = canvas();
                return c && Number(c.getAttribute('data-draws')) > 0
                    ? c.getAttribute('data-shown') : null;
            }
            if (kind === 'chart') return traceSig(graph('chart'), () => true);
            return null;
        },
        settled(kind) {
            const c = kind === 'canvas' ? canvas() : null;
            return c ? c.getAttribute('data-settled') : null;
        },
        draws(kind) {
            const c = kind === 'canvas' ? canvas() : null;
            return c ? Number(c.getAttribute('data-draws')) : null;
        },
        plotArea(kind) {
            if (kind === 'canvas') {
                const c = canvas();
                if (!c) return null;
                const r = c.getBoundingClientRect();
                return {rect: box(r), plot: c.getAttribute('data-plot')};
            }
            const drag = document.querySelector('.st-key-chart .nsewdrag');
            return drag ? {rect: box(drag.getBoundingClientRect()), plot: null} : null;
        },
        playBox(kind) {
            let play = null;
            if (kind === 'canvas') play = deep(document.querySelector('.st-key-race_map'),
                                               'button.mv-play');
            return play ? box(play.getBoundingClientRect()) : null;
        },
        label() {
            const c = canvas();
            return c && Number(c.getAttribute('data-draws')) > 0
                ? c.getAttribute('aria-label') : null;
        },
        scriptState() {
            const app = document.querySelector('[data-testid="stApp"]');
            return app ? app.getAttribute('data-test-script-state') : null;
        },
    };
})();
"""

# Arm the watchers of one γ move: the key press's own timestamp, the script state's changes
# (a MutationObserver: a short rerun can be over between two frames) and, once per frame,
# the picture. Results land in window.__move; ``done`` once both have happened.
ARM_MOVE_JS = """({kind, before}) => {
    const b = window.__bench, m = {tKey: null, tPaths: null, tRunning: null, tIdle: null,
                                   shown: null, done: false};
    window.__move = m;
    document.addEventListener('keydown', (e) => { if (m.tKey === null) m.tKey = e.timeStamp; },
                              {capture: true, once: true});
    const app = document.querySelector('[data-testid="stApp"]');
    // Records, not the attribute now: a fast rerun can go running → notRunning between
    // two callbacks, and only the records' old values then show that it ran.
    const observer = new MutationObserver((records) => {
        if (m.tKey === null) return;
        const now = performance.now();
        const state = app.getAttribute('data-test-script-state');
        const ran = state === 'running' || records.some((r) => r.oldValue === 'running');
        if (m.tRunning === null && ran) m.tRunning = now;
        if (m.tRunning !== null && m.tIdle === null && state === 'notRunning') m.tIdle = now;
    });
    observer.observe(app, {attributes: true, attributeOldValue: true,
                           attributeFilter: ['data-test-script-state']});
    const frame = () => {
        if (m.tKey !== null && m.tPaths === null) {
            const sig = b.signature(kind);
            if (sig !== null && sig !== before) { m.tPaths = performance.now(); m.shown = sig; }
            // A rerun shorter than one React commit never shows "running" in the DOM (seen
            // on the bare page under load): the new picture is then the end of the run.
            // Not for the canvas, which draws the new paths before its rerun starts.
            if (kind !== 'canvas' && m.tPaths !== null && m.tRunning === null
                && b.scriptState() === 'notRunning') {
                m.tIdle = m.tPaths; m.unseen = true;
            }
        }
        // The canvas: finished once the rerun's own data names the γ drawn, and the
        // script is idle.
        if (kind === 'canvas' && m.tPaths !== null && m.tSettled == null
            && b.settled(kind) === m.shown && b.scriptState() === 'notRunning') {
            m.tSettled = performance.now();
            m.tIdle = Math.max(m.tIdle ?? 0, m.tSettled);
            if (m.tRunning === null) m.unseen = true;
        }
        const finished = m.tIdle !== null && (kind !== 'canvas' || m.tSettled != null);
        if (m.tPaths !== null && finished) { m.done = true; observer.disconnect(); }
        else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""

# Arm the watchers of a drag: from pointer down to pointer up, every frame, the picture and
# the thumb's value; a picture or value that differs from the frame before counts once.
ARM_DRAG_JS = """({kind, input}) => {
    const b = window.__bench;
    const el = document.querySelector(input);
    const d = {down: null, up: null, pictures: 0, stops: 0, drawsDown: null, drawsUp: null,
               rerunBeforeUp: false};
    window.__drag = d;
    let sig = b.signature(kind), value = el.getAttribute('aria-valuetext');
    window.addEventListener('pointerdown', (e) => {
        d.down = e.timeStamp; d.drawsDown = b.draws(kind);
    }, {capture: true, once: true});
    window.addEventListener('pointerup', (e) => {
        d.up = e.timeStamp; d.drawsUp = b.draws(kind);
    }, {capture: true, once: true});
    const frame = () => {
        if (d.down !== null && d.up === null) {
            const s = b.signature(kind), v = el.getAttribute('aria-valuetext');
            if (s !== null && s !== sig) { d.pictures++; sig = s; }
            if (v !== value) { d.stops++; value = v; }
            if (b.scriptState() === 'running') d.rerunBeforeUp = true;
        }
        if (d.up === null) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""


# -- statistics and parsing (unit-tested in tests/test_bench_browser.py) ------------------
@dataclass(frozen=True)
class Spread:
    """min, median and max of a non-empty series of repeats."""

    low: float
    median: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no values to summarize")
        return cls(min(values), statistics.median(values), max(values), len(values))

    def format(self, unit: str = "s", digits: int = 2) -> str:
        """'0.41–0.52–0.77 s' (min–median–max)."""
        return f"{self.low:.{digits}f}–{self.median:.{digits}f}–{self.high:.{digits}f} {unit}"


def ratio_text(app: Sequence[float], bare: Sequence[float]) -> str:
    """app/bare: the ratio of the medians, and the range of the per-repeat ratios.

    The per-repeat ratios pair the i-th app value with the i-th bare one, measured next to
    each other; they show how much the ratio itself moved while the machine drifted.
    """
    if not app or not bare:
        return "n/a"
    bare_median = statistics.median(bare)
    if bare_median <= 0:
        return "n/a"
    text = f"{statistics.median(app) / bare_median:.1f}×"
    pairs = [a / b for a, b in zip(app, bare, strict=False) if b > 0]
    if len(pairs) > 1:
        text += f" (per repeat {min(pairs):.1f}–{max(pairs):.1f}×)"
    return text


def parse_plot(text: str) -> tuple[float, float, float, float]:
    """The canvas's ``data-plot`` "left,top,width,height" (CSS px) as four floats."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise ValueError(f"data-plot must be 'left,top,width,height', got {text!r}")
    left, top, width, height = (float(p) for p in parts)
    if width < 0 or height < 0:
        raise ValueError(f"data-plot has a negative size: {text!r}")
    return left, top, width, height


def drawing_area(measured: dict) -> dict[str, float]:
    """The drawing area in viewport px from PAGE_HELPERS_JS's plotArea(): the canvas's box
    offset by its ``data-plot``, or (a Plotly chart) the drag layer's box as it is."""
    rect = measured["rect"]
    if measured.get("plot") is None:
        return {k: rect[k] for k in ("left", "top", "width", "height")}
    left, top, width, height = parse_plot(measured["plot"])
    return {"left": rect["left"] + left, "top": rect["top"] + top, "width": width,
            "height": height}  # fmt: skip


def on_screen(box: dict[str, float] | None, width: int, height: int) -> bool:
    """True when the whole box lies inside a viewport of width × height (no scrolling)."""
    if box is None:
        return False
    right = box["left"] + box["width"]
    bottom = box["top"] + box["height"]
    return box["left"] >= 0 and box["top"] >= 0 and right <= width + 0.5 and bottom <= height + 0.5


# -- the browser side --------------------------------------------------------------------
class ByteCounter:
    """Bytes the page received over its websockets and HTTP responses while armed."""

    def __init__(self, page: Page) -> None:
        self.armed = False
        self.ws_bytes = 0
        self._responses: list[Response] = []
        page.on("websocket", self._on_websocket)
        page.on("response", self._on_response)

    def _on_websocket(self, ws: WebSocket) -> None:
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if self.armed:
            self.ws_bytes += len(payload)

    def _on_response(self, response: Response) -> None:
        if self.armed:
            self._responses.append(response)

    def start(self) -> None:
        self.ws_bytes, self._responses, self.armed = 0, [], True

    def stop(self) -> int:
        """Disarm; return the bytes received since :meth:`start` (websocket + HTTP bodies)."""
        self.armed = False
        http = 0
        for response in self._responses:
            try:
                http += response.request.sizes()["responseBodySize"]
            except Exception:  # a response the browser dropped (navigation): not received
                continue
        return self.ws_bytes + http


@dataclass
class Target:
    """One page under test: its name, URL, open page and what its picture is."""

    name: str
    url: str
    page: Page
    counter: ByteCounter
    kind: str = ""
    moves: list[dict] = field(default_factory=list)
    move_bytes: list[int] = field(default_factory=list)
    first_chart: list[float] = field(default_factory=list)
    drags: list[dict] = field(default_factory=list)


def wait_idle(page: Page, settle_ms: int = 500) -> None:
    """Wait until the script run has finished, then a little longer for the last drawing."""
    page.wait_for_selector(APP_IDLE_SELECTOR, state="attached", timeout=TIMEOUT_MS)
    page.wait_for_timeout(settle_ms)


def wait_drawn(page: Page, kind: str | None = None) -> str:
    """Wait until the page's picture is drawn; return its kind (see PAGE_HELPERS_JS)."""
    handle = page.wait_for_function(
        """(kind) => {
            const k = kind || window.__bench.kind();
            return k && window.__bench.signature(k) !== null ? k : null;
        }""",
        arg=kind,
        timeout=TIMEOUT_MS,
        polling="raf",
    )
    return handle.json_value()


def open_target(browser_page: Page, name: str, url: str) -> Target:
    target = Target(name, url, browser_page, ByteCounter(browser_page))
    browser_page.goto(url)
    target.kind = wait_drawn(browser_page)
    wait_idle(browser_page)
    return target


# One slide change in present mode: the key press's timestamp, then the first frame on which
# the map's accessible label (set with the race data, which names surface, methods, start,
# α and γ) names a new view and has been drawn.
ARM_SLIDE_JS = """(before) => {
    const m = {tKey: null, tDrawn: null, draws: window.__bench.draws('canvas')};
    window.__slide = m;
    // On window, capture phase, as the page's key map listens (it stops the key there).
    window.addEventListener('keydown', (e) => { if (m.tKey === null) m.tKey = e.timeStamp; },
                              {capture: true, once: true});
    const frame = () => {
        const label = window.__bench.label();
        // The new race's label, and a picture drawn since the key (not only its data).
        const drawn = window.__bench.draws('canvas') > m.draws;
        if (m.tKey !== null && label !== null && label !== before && drawn) {
            m.tDrawn = performance.now();
            return;
        }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""
# Slides 1 → 7 of the prepared deck all show the live race map, each a different view.
SLIDE_PRESSES = 6


def measure_slides(browser: Browser, url: str, passes: int) -> list[list[float]]:
    """Seconds from PageDown to the next slide's map drawn, on the prepared deck's slides
    1 → 7, per pass (the first pass computes each slide; later ones find it cached)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(PAGE_HELPERS_JS)
    try:
        page = context.new_page()
        page.goto(url)
        wait_drawn(page, "canvas")
        wait_idle(page)
        results = []
        for _ in range(passes):
            times = []
            for _ in range(SLIDE_PRESSES):
                page.wait_for_function(
                    "() => window.__momentumVizKeys?.state?.presenting", timeout=TIMEOUT_MS
                )
                before = page.evaluate("() => window.__bench.label()")
                page.evaluate(ARM_SLIDE_JS, before)
                page.keyboard.press("PageDown")
                page.wait_for_function("() => window.__slide.tDrawn", timeout=TIMEOUT_MS)
                m = page.evaluate("() => window.__slide")
                times.append((m["tDrawn"] - m["tKey"]) / 1000)
                wait_idle(page, 300)
            results.append(times)
            page.keyboard.press("Home")
            page.wait_for_timeout(500)
            wait_drawn(page, "canvas")
            wait_idle(page)
        return results
    finally:
        context.close()


def measure_first_chart(browser: Browser, target: Target, size: tuple[int, int]) -> float:
    """Seconds from navigation start to the first chart drawn, in a fresh context."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.add_init_script(PAGE_HELPERS_JS)
        page.goto(target.url, wait_until="commit")
        handle = page.wait_for_function(
            """(kind) => window.__bench && window.__bench.signature(kind) !== null
                         && performance.now()""",
            arg=target.kind,
            timeout=TIMEOUT_MS,
            polling="raf",
        )
        seconds = handle.json_value() / 1000
        wait_idle(page, 0)  # let the run finish before the context closes
        return seconds
    finally:
        context.close()


def measure_move(target: Target, key: str = "ArrowLeft") -> dict:
    """One keyboard step of γ: seconds to new paths and to the rerun's end, and bytes."""
    page = target.page
    page.bring_to_front()
    wait_idle(page, 300)  # also lets frames of earlier work arrive before counting starts
    slider = page.locator(GAMMA_INPUT)
    slider.focus()
    before = page.evaluate("(kind) => window.__bench.signature(kind)", target.kind)
    value_before = slider.get_attribute("aria-valuetext")
    target.counter.start()
    page.evaluate(ARM_MOVE_JS, {"kind": target.kind, "before": before})
    page.keyboard.press(key)
    try:
        page.wait_for_function("() => window.__move.done", timeout=TIMEOUT_MS, polling=50)
    except Exception as exc:  # say what was seen: γ, the script state, the picture
        seen = page.evaluate("() => window.__move")
        value = slider.get_attribute("aria-valuetext")
        raise RuntimeError(f"{target.name}: {key} from γ {value_before} → {value}: {seen}") from exc
    page.wait_for_timeout(300)  # messages after the run's end (none expected) still count
    received = target.counter.stop()
    m = page.evaluate("() => window.__move")
    value_after = slider.get_attribute("aria-valuetext")
    if value_after == value_before:
        raise RuntimeError(f"{target.name}: {key} did not move γ (still {value_after})")
    return {
        "paths": (m["tPaths"] - m["tKey"]) / 1000,
        "finished": (m["tIdle"] - m["tKey"]) / 1000,
        "bytes": received,
        "gamma": value_after,
        "shown": m["shown"],
        "unseen_run": bool(m.get("unseen")),
    }


def measure_drag(target: Target, moves: int = 80, seconds: float = 2.0) -> dict:
    """Drag the γ thumb slowly to the track's left end and back; count what was drawn."""
    page = target.page
    page.bring_to_front()
    wait_idle(page, 300)
    thumb = page.locator(GAMMA_THUMB).bounding_box()
    track = page.locator(GAMMA_TRACK).first.bounding_box()
    if thumb is None or track is None:
        raise RuntimeError(f"{target.name}: the γ slider's thumb or track is not visible")
    x0, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    left_end = track["x"] + 2
    page.evaluate(ARM_DRAG_JS, {"kind": target.kind, "input": GAMMA_INPUT})
    page.mouse.move(x0, y)
    page.mouse.down()
    half = max(moves // 2, 1)
    t0 = time.perf_counter()
    for i in range(1, moves + 1):  # there and back: the same stops twice
        fraction = i / half if i <= half else (moves - i) / (moves - half)
        page.mouse.move(x0 + (left_end - x0) * fraction, y)
        # Paced by the clock: each move costs a round trip to the browser already.
        wait = t0 + seconds * i / moves - time.perf_counter()
        if wait > 0:
            page.wait_for_timeout(wait * 1000)
    page.mouse.up()
    page.wait_for_function("() => window.__drag.up !== null", timeout=TIMEOUT_MS)
    d = page.evaluate("() => window.__drag")
    page.wait_for_timeout(1500)  # a release on a new stop reruns: let it finish
    wait_idle(page, 300)
    duration = (d["up"] - d["down"]) / 1000
    draws = None
    if d["drawsDown"] is not None and d["drawsUp"] is not None:
        draws = d["drawsUp"] - d["drawsDown"]
    return {
        "seconds": duration,
        "pictures": d["pictures"],
        "stops": d["stops"],
        "draws": draws,
        "rerun_before_up": d["rerunBeforeUp"],
    }


def measure_size(target: Target, width: int, height: int) -> dict:
    """The map's drawing area and Play control at width × height (sidebar open)."""
    page = target.page
    page.bring_to_front()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(target.url)
    wait_drawn(page, target.kind)
    wait_idle(page, 800)
    measured = page.evaluate("(kind) => window.__bench.plotArea(kind)", target.kind)
    area = drawing_area(measured) if measured else None
    play = page.evaluate("(kind) => window.__bench.playBox(kind)", target.kind)
    sidebar = page.locator('[data-testid="stSidebar"]').first.bounding_box()
    return {
        "area": area,
        "area_on_screen": on_screen(area, width, height),
        "play": play,
        "play_on_screen": on_screen(play, width, height),
        "sidebar": sidebar["width"] if sidebar else 0.0,
    }


@contextmanager
def browser_session() -> Iterator[Browser]:
    """Debian's Chromium, headless, under Playwright."""
    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium not found (apt-get install chromium)")
    with chromium(executable) as browser:
        yield browser


# -- the run -----------------------------------------------------------------------------
def _print_row(label: str, app: str, bare: str, ratio: str) -> None:
    print(f"  {label:<36} {app:<24} {bare:<24} {ratio}", flush=True)


def _timed_row(label: str, app: Sequence[float], bare: Sequence[float]) -> None:
    _print_row(label, Spread.of(app).format(), Spread.of(bare).format(), ratio_text(app, bare))


def _kib(values: Sequence[int]) -> str:
    return f"{statistics.median(values) / 1024:.1f} / {max(values) / 1024:.1f} KiB"


def _drag_text(drags: Sequence[dict]) -> str:
    """Pictures drawn before mouse up, per second, and per stop the thumb crossed (a map
    that keeps up draws one picture per stop: the rate is then the thumb's)."""
    pictures = [d["pictures"] for d in drags]
    rates = [d["pictures"] / d["seconds"] for d in drags if d["seconds"] > 0]
    stops = sum(d["stops"] for d in drags)
    coverage = f", {sum(pictures) / stops:.2f} per stop crossed" if stops else ""
    return f"{statistics.median(pictures):g} ({statistics.median(rates):.1f}/s{coverage})"


def run(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()
    query = f"?{args.query}" if args.query else ""
    with ExitStack() as stack:
        app_server = stack.enter_context(start_streamlit(script=APP_SCRIPT))
        bare_server = stack.enter_context(start_streamlit(script=BARE_SCRIPT))
        browser = stack.enter_context(browser_session())
        print(f"machine: {machine_summary(('numpy', 'plotly', 'streamlit', 'playwright'))}")
        print(f"browser: Chromium {browser.version} (headless, {', '.join(CHROMIUM_ARGS)})")
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        stack.callback(context.close)
        context.add_init_script(PAGE_HELPERS_JS)
        # Warm both servers (imports, caches) and keep one open page each for the moves.
        app = open_target(context.new_page(), "app", app_server.url + "/" + query)
        bare = open_target(context.new_page(), "bare", bare_server.url + "/")
        label = {"canvas": "canvas component", "chart": "Plotly chart"}[app.kind]
        print(
            f"app: {APP_SCRIPT}{query} (race map: {label}); bare: {BARE_SCRIPT}; "
            f"{args.repeat} repeat(s), app and bare alternating; 1280×720"
        )
        for r in range(args.repeat):
            order = (app, bare) if r % 2 == 0 else (bare, app)
            for target in order:
                target.first_chart.append(measure_first_chart(browser, target, (1280, 720)))
            for target in order:
                for _ in range(args.moves):
                    target.moves.append(measure_move(target))
            if r < args.drags:
                for target in order:
                    target.drags.append(measure_drag(target, args.drag_moves, args.drag_seconds))
            print(f"  repeat {r + 1}/{args.repeat} done ({time.perf_counter() - t_start:.0f} s)")
        sizes = {size: measure_size(app, *size) for size in args.sizes}
        slides = measure_slides(browser, app_server.url + "/?" + prepared_deck_query(), 2)

    print()
    _print_row("", "app (min–median–max)", "bare (min–median–max)", "app/bare")
    for key, label in (
        ("paths", "γ key → map shows new paths"),
        ("finished", "γ key → rerun finished"),
    ):
        _timed_row(label, [m[key] for m in app.moves], [m[key] for m in bare.moves])
    _timed_row("navigation → first chart drawn", app.first_chart, bare.first_chart)
    bare_finished = [m["finished"] for m in bare.moves]
    _timed_row("PageDown → next slide's map drawn (first visit)", slides[0], bare_finished)
    _timed_row("PageDown → next slide's map drawn (again)", slides[-1], bare_finished)
    print("    (present mode, the prepared deck's slides 1 → 7; bare: γ key → rerun finished)")
    app_bytes, bare_bytes = [m["bytes"] for m in app.moves], [m["bytes"] for m in bare.moves]
    _print_row(
        "bytes per γ move (median / max)",
        _kib(app_bytes),
        _kib(bare_bytes),
        ratio_text(app_bytes, bare_bytes),
    )
    _print_row(
        "drag: path pictures before mouseup", _drag_text(app.drags), _drag_text(bare.drags), ""
    )
    unseen = {t.name: sum(m["unseen_run"] for m in t.moves) for t in (app, bare)}
    if any(unseen.values()):
        print(
            f"    (reruns over before the page showed 'running', so finished = new paths: "
            f"app {unseen['app']}/{len(app.moves)}, bare {unseen['bare']}/{len(bare.moves)})"
        )
    stops = [d["stops"] for d in app.drags + bare.drags]
    seconds = [d["seconds"] for d in app.drags + bare.drags]
    print(
        f"    (each drag: {args.drag_moves} mouse moves over {Spread.of(seconds).format()}, "
        f"thumb crossed {Spread.of(stops).format('stops', 0)}; a rerun started before "
        f"mouseup: app {any(d['rerun_before_up'] for d in app.drags)}, "
        f"bare {any(d['rerun_before_up'] for d in bare.drags)})"
    )
    app_draws = [d["draws"] for d in app.drags if d["draws"] is not None]
    if app_draws:
        print(f"    (canvas data-draws during the drags: {app_draws})")
    for (width, height), s in sizes.items():
        area = s["area"]
        area_text = f"{area['width']:.0f} × {area['height']:.0f} px" if area else "not found"
        print(
            f"  race map {width}×{height} (sidebar {s['sidebar']:.0f} px wide): drawing area "
            f"{area_text}, on first screen: {'yes' if s['area_on_screen'] else 'NO'}; "
            f"Play on first screen: {'yes' if s['play_on_screen'] else 'NO'}"
            + ("" if s["play"] else " (no Play control found)")
        )
    print(f"wall time {time.perf_counter() - t_start:.0f} s")


def prepared_deck_query() -> str:
    """The link's query that presents the prepared deck from its first slide."""
    from momentum_viz.app.deck import deck_link
    from momentum_viz.app.prepared_deck import PREPARED_DECK

    return f"deck={deck_link(PREPARED_DECK)}&slide=1"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5, help="repeats (app and bare alternate)")
    p.add_argument("--quick", action="store_true", help="one repeat, one move, a short drag")
    p.add_argument("--moves", type=int, default=2, help="γ key presses per repeat and page")
    p.add_argument("--drags", type=int, default=2, help="repeats that also drag (first N)")
    p.add_argument("--drag-moves", type=int, default=80, help="mouse moves per drag (≥ 60)")
    p.add_argument("--drag-seconds", type=float, default=1.0, help="pauses per drag, in total")
    p.add_argument("--query", default="", help="the app's link, e.g. surface=multiwell")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat, args.moves, args.drags, args.drag_seconds = 1, 1, 1, 1.0
    args.sizes = SIZES[:1] if args.quick else SIZES
    if args.repeat < 1 or args.moves < 1 or args.drag_moves < 2:
        p.error("--repeat and --moves must be ≥ 1, --drag-moves ≥ 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
