"""Accessibility in a real browser (keyboard, screen reader, colour): axe-core on every tab.

axe-core is the rule engine browsers' own audits use; ``axe-playwright-python`` bundles a
copy (no network). A violation of impact "serious" or "critical" fails the test with the
rule, its impact and the offending elements, on a projector-sized screen and on a phone.

The race map (``st.plotly_chart(..., key="map")``) is being replaced by a custom
component with its own keyboard controls; it is audited by axe like everything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _server import StreamlitServer, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Every tab of the page (momentum_viz.app.settings.VIEWS), opened by its link.
VIEWS = ("race", "3d", "theory", "parameter-map", "basin-map")
# The Plotly charts each tab draws, by their Streamlit key (class "st-key-<key>"). The
# tests wait for these to be drawn before they look at the page.
CHARTS: dict[str, tuple[str, ...]] = {
    "race": ("losses",),
    "3d": ("surface3d",),
    "theory": (),
    "parameter-map": ("parameter_map",),
    "basin-map": ("basins_sgd", "basins_momentum"),
}
DESKTOP = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
SERIOUS = ("serious", "critical")
# Generous: another test run may share the machine's two cores.
LOAD_TIMEOUT = 90_000


# The viewer's theme and high contrast: Streamlit's light or dark theme (its default follows
# the system's prefers-color-scheme) and Chromium's forced-colours emulation (Windows High
# Contrast), on a dark system.
MODES = {
    "light": {"color_scheme": "light"},
    "dark": {"color_scheme": "dark"},
    "forced": {"forced_colors": "active", "color_scheme": "dark"},
}


@pytest.fixture(params=["desktop", "phone"])
def any_page(request, browser) -> Iterator:
    context = browser.new_context(**(DESKTOP if request.param == "desktop" else PHONE))
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(params=[(s, m) for s in ("desktop", "phone") for m in MODES], ids="-".join)
def any_screen(request, browser) -> Iterator:
    """A page at either size in every mode (one browser, a context each)."""
    size, mode = request.param
    context = browser.new_context(**(DESKTOP if size == "desktop" else PHONE), **MODES[mode])
    try:
        yield context.new_page()
    finally:
        context.close()


def open_view(page, server: StreamlitServer, view: str) -> None:
    """Open one tab by its link (three wells: local minima, so every tab has content)
    and wait until the script has finished and the tab's charts are drawn."""
    page.goto(f"{server.url}/?surface=multiwell&view={view}")
    wait_for_app(page, timeout=LOAD_TIMEOUT, server=server)
    for key in CHARTS[view]:
        page.locator(f".st-key-{key} .main-svg").first.wait_for(timeout=LOAD_TIMEOUT)
    if view == "theory":
        page.locator('[data-testid="stTable"]').first.wait_for(timeout=LOAD_TIMEOUT)
    page.wait_for_timeout(500)  # plotly's first draw and Streamlit's layout settle


def serious_violations(page, also: tuple[str, ...] = ()) -> list[str]:
    """axe-core's serious and critical findings on the page, one line per rule; with
    ``also``, those rules' findings of any impact too."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; targets: "
        + ", ".join(" > ".join(node["target"]) for node in v["nodes"])
        for v in results["violations"]
        if v["impact"] in SERIOUS or v["id"] in also
    ]


def test_axe_finds_no_serious_violation_on_any_tab(any_page, streamlit_process):
    found = {}
    for view in VIEWS:
        open_view(any_page, streamlit_process, view)
        violations = serious_violations(any_page)
        if violations:
            found[view] = violations
    assert not found, "axe-core: serious or critical violations\n" + "\n".join(
        f"  {view}: {line}" for view, lines in found.items() for line in lines
    )


# --- keyboard: tab stops in charts, chart names, the focus ring ------------------------------

# Tab stops each chart's toolbar may add (momentum_viz/app/chart_accessibility.py says which
# buttons and why); before the toolbars were trimmed every chart added 8. The race map is left
# out: it is being replaced by a custom component with its own Play/Pause/step controls.
CHART_TAB_STOPS = {
    "losses": 0,
    "surface3d": 3,
    "parameter_map": 2,
    "basins_sgd": 2,
    "basins_momentum": 2,
}
LEFT_OUT = "map"

# One tab stop: its tag, the Streamlit key of the chart it is in (or None), whether it is
# a control, and the contrast of its focus ring against what lies behind the ring (0 when
# no ring of at least 2 px is drawn). The ring is read from getComputedStyle on the element
# or, where the element itself is hidden (Streamlit's sliders, switches and radios hide
# their <input>), on the nearest ancestor that is drawn: an outline (style not "none") or
# a box-shadow ring, alpha-blended over the first opaque-ish background behind it.
FOCUS_PROBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const chart = el.closest('[data-testid="stPlotlyChart"]');
  const holder = chart && chart.closest('[class*="st-key-"]');
  const key = holder ? [...holder.classList].find((c) => c.startsWith('st-key-')).slice(7) : null;
  const control = ['BUTTON', 'A', 'INPUT', 'SUMMARY', 'SELECT', 'TEXTAREA'].includes(el.tagName)
    || el.getAttribute('role') === 'tab';
  const rgba = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => top.slice(0, 3).map((c, i) => c * top[3] + under[i] * (1 - top[3]));
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
  };
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  let contrast = 0, ringOn = null;
  for (let n = el, i = 0; n && i < 4; n = n.parentElement, i++) {
    const box = n.getBoundingClientRect();
    if (box.width <= 2 || box.height <= 2) continue;  // a visually hidden input
    const s = getComputedStyle(n);
    let ring = null;
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ring = rgba(s.outlineColor);
    const shadow = s.boxShadow.match(/(rgba?\\([^)]+\\))[^,]*?\\s0px\\s0px\\s0px\\s([\\d.]+)px/);
    if (!ring && shadow && parseFloat(shadow[2]) >= 2) ring = rgba(shadow[1]);
    if (ring) {
      const behind = background(n.parentElement);
      contrast = ratio(over(ring, behind), behind);
      ringOn = n.tagName;
      break;
    }
  }
  return {
    tag: el.tagName, label: el.getAttribute('aria-label') || (el.innerText || '').slice(0, 30),
    key, control, contrast, ringOn,
  };
}"""


def tab_through(page, limit: int = 120) -> list[dict]:
    """Press Tab from the top of the page until focus comes back round; every stop."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_PROBE)
        if stop is None:
            continue
        if stops and stop["label"] == stops[0]["label"] and stop["tag"] == stops[0]["tag"]:
            break
        stops.append(stop)
    return stops


@pytest.fixture
def desktop_page(browser) -> Iterator:
    context = browser.new_context(**DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_charts_add_few_tab_stops_and_have_a_name(desktop_page, streamlit_process):
    page = desktop_page
    counted = {}
    for view in VIEWS:
        open_view(page, streamlit_process, view)
        for key in CHARTS[view]:
            chart = page.locator(f".st-key-{key} [data-testid='stPlotlyChart']")
            assert chart.get_attribute("role") == "figure", key
            name = chart.get_attribute("aria-label") or ""
            assert len(name) > 20, (key, name)  # a sentence, not a bare word
        for stop in tab_through(page):
            if stop["key"] is not None and stop["key"] != LEFT_OUT:
                counted[stop["key"]] = counted.get(stop["key"], 0) + 1
    expected = {key: CHART_TAB_STOPS[key] for keys in CHARTS.values() for key in keys}
    assert {key: counted.get(key, 0) for key in expected} == expected


def test_focused_controls_show_a_ring_of_at_least_3_to_1(desktop_page, streamlit_process):
    """Every control the Tab key reaches, on the two tabs that hold every kind of widget
    (sidebar: select boxes, pills, sliders, number inputs, buttons, segmented control,
    switch; the tabs; a radio; chart toolbars; expanders and download buttons)."""
    page = desktop_page
    weak = []
    checked = 0
    for view in ("parameter-map", "race"):
        open_view(page, streamlit_process, view)
        for stop in tab_through(page):
            if not stop["control"] or stop["key"] == LEFT_OUT:
                continue
            checked += 1
            if stop["contrast"] < 3:
                weak.append((view, stop["tag"], stop["label"], round(stop["contrast"], 2)))
    assert checked >= 20, checked
    assert not weak, f"focus ring below 3:1 (view, tag, label, contrast): {weak}"


# --- phone: a swipe on a chart scrolls the page; every table column is on screen --------------

# The charts a phone user swipes across on the way down the page (the race map is left
# out: see LEFT_OUT).
PLOTLY_CHART = ".st-key-{} [data-testid='stPlotlyChart']"
SWIPED = [  # (view, the chart a swipe starts on)
    ("race", ".st-key-race_map canvas.mv-map"),  # the live race map
    ("race", PLOTLY_CHART.format("losses")),
    ("3d", PLOTLY_CHART.format("surface3d")),
    ("parameter-map", PLOTLY_CHART.format("parameter_map")),
    ("basin-map", PLOTLY_CHART.format("basins_sgd")),
]
# Streamlit scrolls its main column, not the window; the test reads both.
SCROLL_TOP = """() => window.scrollY
    + (document.querySelector('[data-testid="stMain"]') || {scrollTop: 0}).scrollTop"""


@pytest.fixture
def phone_page(browser) -> Iterator:
    context = browser.new_context(**PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def swipe_up(page, x: float, y: float, distance: float = 300) -> None:
    """One finger: down at (x, y), up the screen by ``distance`` px in 10 moves, lift."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        for i in range(1, 11):
            point = {"x": x, "y": y - distance * i / 10}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
            page.wait_for_timeout(16)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()
    page.wait_for_timeout(600)  # let the scroll (and any fling) settle


def test_a_swipe_on_a_chart_scrolls_the_page_on_a_phone(phone_page, streamlit_process):
    page = phone_page
    stuck = []
    for view, key in SWIPED:
        open_view(page, streamlit_process, view)
        chart = page.locator(key).first
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = chart.bounding_box()
        assert box is not None, key
        # The middle of the chart's visible part, on its drawing area (the toolbar and the
        # legend sit at its top and side).
        top, bottom = max(box["y"], 0), min(box["y"] + box["height"], 844)
        before = page.evaluate(SCROLL_TOP)
        swipe_up(page, box["x"] + box["width"] / 2, (top + bottom) / 2 + 40)
        after = page.evaluate(SCROLL_TOP)
        if after - before < 100:
            stuck.append((key, before, after))
    assert not stuck, f"the page did not scroll under a swipe (chart, before, after): {stuck}"


def test_toolbars_leave_the_legends_free(any_page, streamlit_process):
    """No chart's toolbar overlaps its legend (the phone used to show one over the other)."""
    page = any_page
    overlaps = []
    for view in VIEWS:
        open_view(page, streamlit_process, view)
        for key in CHARTS[view]:
            chart = page.locator(f".st-key-{key} [data-testid='stPlotlyChart']")
            chart.hover()  # the toolbar is drawn while the pointer is over the chart
            overlap = chart.evaluate(
                """(el) => {
                  const bar = el.querySelector('.modebar');
                  if (!bar) return null;
                  const b = bar.getBoundingClientRect();
                  return Array.from(el.querySelectorAll('.legend')).map((l) => {
                    const r = l.getBoundingClientRect();
                    const w = Math.min(b.right, r.right) - Math.max(b.left, r.left);
                    const h = Math.min(b.bottom, r.bottom) - Math.max(b.top, r.top);
                    return w > 0 && h > 0 ? [Math.round(w), Math.round(h)] : null;
                  }).filter((x) => x !== null);
                }"""
            )
            if overlap:
                overlaps.append((view, key, overlap))
    assert not overlaps, f"toolbar over legend (view, chart, [overlap w × h px]): {overlaps}"


def test_every_table_column_is_on_a_phones_screen(phone_page, streamlit_process):
    """The race's outcome table and the Theory tab's tables: nothing to scroll sideways,
    and the last column's header lies inside the screen."""
    page = phone_page
    cut = []
    for view in ("race", "theory"):
        open_view(page, streamlit_process, view)
        tables = page.locator('[data-testid="stTable"]:visible')
        assert tables.count() >= 1, view
        for i in range(tables.count()):
            table = tables.nth(i)
            table.scroll_into_view_if_needed()
            fit = table.evaluate(
                """(el) => {
                  const box = el.firstElementChild;  // Streamlit's scroll container
                  const last = el.querySelector('thead th:last-child').getBoundingClientRect();
                  return {scroll: box.scrollWidth, width: box.clientWidth,
                          lastRight: last.right, screen: window.innerWidth};
                }"""
            )
            if fit["scroll"] > fit["width"] + 1 or fit["lastRight"] > fit["screen"]:
                cut.append((view, i, fit))
    assert not cut, f"a table's last column is off the screen: {cut}"


# --- open expanders -------------------------------------------------------------------------

# Every expander on the page closed: its summary. Opening one reruns the script when the
# expander is lazy (the framework scripts), so each click is followed by a wait for the app.
CLOSED_EXPANDER = (
    '[data-testid="stMainBlockContainer"] [data-testid="stExpander"] details:not([open]) > summary'
)
# Found once the expanders were open: a phone's sideways-scrolling code box that no key could
# reach (serious) and the conventions table's unnamed first column (minor, checked anyway).
OPEN_EXPANDER_RULES = ("scrollable-region-focusable", "empty-table-header")


def open_every_expander(page, server: StreamlitServer) -> int:
    """Click every closed expander on screen until none is left; how many were opened."""
    opened = 0
    # The page's own expanders: on a phone the sidebar (the deck's "Lecture: slides") is a
    # closed drawer off the screen, and its expanders cannot be clicked until it is opened.
    while (closed := page.locator(CLOSED_EXPANDER)).count() and opened < 20:
        closed.first.click()
        page.wait_for_timeout(300)  # a lazy expander's rerun starts
        wait_for_app(page, timeout=LOAD_TIMEOUT, server=server)
        opened += 1
    return opened


def test_axe_finds_no_serious_violation_with_every_expander_open(any_screen, streamlit_process):
    any_page = any_screen
    found, opened = {}, {}
    for view in VIEWS:
        open_view(any_page, streamlit_process, view)
        opened[view] = open_every_expander(any_page, streamlit_process)
        if view == "race":  # the framework scripts are drawn: their code box is audited
            any_page.locator('[data-testid="stCode"]').first.wait_for(timeout=LOAD_TIMEOUT)
        violations = serious_violations(any_page, also=OPEN_EXPANDER_RULES)
        if violations:
            found[view] = violations
    assert opened["race"] >= 2 and opened["theory"] >= 1, opened
    assert not found, "axe-core, expanders open: serious or critical violations\n" + "\n".join(
        f"  {view}: {line}" for view, lines in found.items() for line in lines
    )
