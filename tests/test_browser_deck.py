"""End-to-end: a lecture deck built in the Lecture panel, shared as a link and presented.

Present mode's keys come from ``momentum_viz/app/present_keys.js``; the map's DOM contract
is at the top of ``momentum_viz/app/live_map.js``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from _server import wait_for_app

from momentum_viz.app.deck import read_link
from momentum_viz.app.prepared_deck import PREPARED_DECK
from momentum_viz.app.settings import VIEWS, surface_title

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = "canvas.mv-map"
PANEL = '[data-testid="stSidebar"] [data-testid="stExpander"]'


def _idle(page, server) -> None:
    # Generous: the machine that runs the tests is shared, and a slide's first run
    # computes its runs and maps.
    wait_for_app(page, timeout=90_000, server=server)


def _choose(page, label: str, option: str, server) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` and wait for the rerun."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    if box.get_attribute("aria-expanded") != "true":  # a click that scrolled the sidebar
        box.press("ArrowDown")
    page.locator('[role="option"]', has_text=option).first.click()
    page.wait_for_timeout(300)
    _idle(page, server)


def _add_slide(page, title: str, server) -> None:
    panel = page.locator(PANEL, has_text="Lecture: slides")
    panel.get_by_label("New slide's title").fill(title)
    panel.get_by_label("New slide's title").press("Enter")
    _idle(page, server)
    panel.get_by_role("button", name=re.compile(r"^Add this view as slide")).click()
    page.wait_for_timeout(300)
    _idle(page, server)


def _open_panel(page) -> None:
    page.locator(PANEL, has_text="Lecture: slides").locator("summary").click()


def _open_tab(page, label: str, server) -> None:
    page.get_by_role("tab", name=label).click()
    page.wait_for_timeout(300)
    _idle(page, server)


def _seen(page) -> dict[str, str]:
    """What the page shows: the slide's title and count, the open tab, the sidebar's
    surface, and (on the race tab) the map's label and its settled α, γ."""
    seen = {
        "title": page.locator(".mv-slide-title").inner_text(),
        "count": page.locator(".mv-slide-count").inner_text(),
        "tab": page.locator('[data-testid="stTab"][aria-selected="true"]').inner_text(),
        "surface": page.get_by_role("combobox", name="Surface", exact=True).input_value(),
    }
    if seen["tab"] == VIEWS["race"]:
        canvas = page.locator(f"{MAP}[data-draws]").first
        canvas.wait_for(timeout=30_000)
        seen["map"] = canvas.get_attribute("aria-label")
        seen["settled"] = canvas.get_attribute("data-settled")
    return seen


def _press_and_wait(page, key: str, slide: int, server) -> None:
    # The key map's script is a component: it loads after the script run has finished.
    page.wait_for_function(
        "() => window.__momentumVizKeys?.state?.presenting === true", timeout=60_000
    )
    scroll = _scroll(page)
    _spy_on_keys(page)
    page.keyboard.press(key)
    # Headless Chromium does not scroll Streamlit's scroll box by keys here, so the scroll
    # position alone cannot fail: the key's default action (the scroll) must be cancelled.
    assert page.evaluate("() => window.__keyCancelled") is True, key
    _wait_for_slide(page, slide)
    _idle(page, server)
    assert _scroll(page) == scroll == 0, key


def _spy_on_keys(page) -> None:
    """Record whether the next key's default action was cancelled (a listener on window,
    capture phase, registered after the page's key map: it runs after it)."""
    page.evaluate(
        """() => {
            window.__keyCancelled = null;
            if (window.__keySpy) return;
            window.__keySpy = true;
            window.addEventListener('keydown', (e) => {
                window.__keyCancelled = e.defaultPrevented;
            }, {capture: true});
        }"""
    )


def _wait_for_slide(page, slide: int) -> None:
    """Until the address bar says ``slide=<slide>`` (Streamlit writes it after the run)."""
    page.wait_for_function(
        "(n) => new URLSearchParams(location.search).get('slide') === String(n)",
        arg=slide,
        timeout=90_000,
    )


def _scroll(page) -> float:
    return page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop")


def test_build_a_three_slide_deck_share_it_and_step_through_it(
    app_page, browser, streamlit_process
):
    page, server = app_page, streamlit_process
    _open_panel(page)
    # 1: the opening view (Rosenbrock, the race).
    _add_slide(page, "The valley", server)
    # 2: a guided scenario, with the start moved by a click on the map.
    _choose(page, "Scenario", "Momentum escapes a local minimum", server)
    _add_slide(page, "Escape", server)
    # 3: Himmelblau, on the theory tab.
    _choose(page, "Surface", "Himmelblau", server)
    _open_tab(page, VIEWS["theory"], server)
    _add_slide(page, "Theory of Himmelblau", server)
    page.get_by_role("button", name="▶ Present from slide 3").wait_for()
    _choose(page, "Slide", "1. The valley", server)
    page.get_by_role("button", name="▶ Present from slide 1").click()
    _wait_for_slide(page, 1)
    _idle(page, server)
    link = page.url
    deck, notes = read_link(parse_qs(urlsplit(link).query)["deck"][0])
    assert notes == [] and deck is not None
    assert [s.title for s in deck.slides] == ["The valley", "Escape", "Theory of Himmelblau"]

    expected = {
        1: {"surface": surface_title("rosenbrock"), "tab": VIEWS["race"], "lr": "0.001",
            "momentum": "0.95", "start": "(-1.5, 2)"},
        2: {"surface": surface_title("multiwell"), "tab": VIEWS["race"], "lr": "0.3",
            "momentum": "0.9", "start": "(-3.5, 2.5)"},
        3: {"surface": surface_title("himmelblau"), "tab": VIEWS["theory"]},
    }  # fmt: skip
    titles = {1: "The valley", 2: "Escape", 3: "Theory of Himmelblau"}

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        fresh = context.new_page()
        fresh.goto(link)
        _idle(fresh, server)
        for key, slide in [("PageDown", 2), ("PageDown", 3), ("PageUp", 2), ("Home", 1),
                           ("End", 3), ("Home", 1)]:  # fmt: skip
            _press_and_wait(fresh, key, slide, server)
            seen, want = _seen(fresh), expected[slide]
            assert seen["title"] == titles[slide] and seen["count"] == f"{slide} / 3", seen
            assert seen["tab"] == want["tab"] and seen["surface"] == want["surface"], seen
            if "lr" in want:
                assert seen["settled"] == f"lr={want['lr']};momentum={want['momentum']}", seen
                assert want["surface"] in seen["map"] and want["start"] in seen["map"], seen
    finally:
        context.close()


def _box(locator) -> dict[str, float]:
    b = locator.bounding_box()
    return {"top": b["y"], "bottom": b["y"] + b["height"], "left": b["x"],
            "right": b["x"] + b["width"]}  # fmt: skip


def _settled_map_height(page, at_least: float, timeout: float = 15.0) -> float:
    """The map's height once it reaches ``at_least`` px, or after ``timeout`` s: the map
    settles its size after the slide is drawn, late on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        box = _box(page.locator(MAP).first)
        if box["bottom"] - box["top"] >= at_least or time.monotonic() > deadline:
            return box["bottom"] - box["top"]
        page.wait_for_timeout(100)


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_present_mode_fits_the_first_screen_and_keys_never_scroll(
    browser, streamlit_process, width, height
):
    """Every slide of the prepared deck: the title, and on the race tab the map, Play and
    the legend, inside the first screen; Space plays without scrolling, PageDown moves on."""
    server = streamlit_process
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        url = f"{server.url}/?deck={_prepared_link()}&slide=1"
        page.goto(url)
        _idle(page, server)
        count = len(PREPARED_DECK.slides)
        for number, slide in enumerate(PREPARED_DECK.slides, start=1):
            assert page.locator(".mv-slide-title").inner_text() == slide.title
            parts = [page.locator(".mv-slide-title")]
            if page.locator(f"{MAP}[data-draws]").count():
                parts += [page.locator(MAP).first, page.locator(".mv-legend").first]
                # The map uses the screen's height (the title and Play row above and below),
                # once it has settled its size: polled, as a loaded machine lays out late.
                assert _settled_map_height(page, at_least=0.6 * height) >= 0.6 * height, number
                # The anatomy's still map has no replay: its own step buttons drive it.
                if page.locator("button.mv-play").first.is_visible():
                    parts.append(page.locator("button.mv-play").first)
            for part in parts:
                box = _box(part)
                assert box["top"] >= 0 and box["bottom"] <= height, (number, part, box)
                assert box["left"] >= 0 and box["right"] <= width, (number, part, box)
            if page.locator("button.mv-play").count():
                page.evaluate("() => document.activeElement?.blur()")
                _spy_on_keys(page)
                page.keyboard.press("Space")
                page.wait_for_timeout(200)
                assert _scroll(page) == 0, number
                assert page.evaluate("() => window.__keyCancelled") is True, number
                assert page.locator("button.mv-play").first.get_attribute("aria-label") in (
                    "Pause",
                    "Play",  # a short replay may have ended already
                )
            if number < count:
                _press_and_wait(page, "PageDown", number + 1, server)
        if width == 1280:
            page.screenshot(path=str(_artifacts() / "present-1280x720.png"))
    finally:
        context.close()


def test_space_plays_and_pauses_the_map_in_present_mode(browser, streamlit_process):
    server = streamlit_process
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?deck={_prepared_link()}&slide=2")
        _idle(page, server)
        page.locator(f"{MAP}[data-draws]").first.wait_for(timeout=30_000)
        play = page.locator("button.mv-play").first
        page.evaluate("() => document.activeElement?.blur()")
        page.wait_for_function("() => window.__momentumVizKeys?.state?.presenting === true")
        page.keyboard.press("Space")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stMain]') !== null", timeout=5_000
        )
        assert play.get_attribute("aria-label") == "Pause"
        page.keyboard.press("k")
        assert play.get_attribute("aria-label") == "Play"
        step = page.locator(".mv-step").first.inner_text()  # "step n / 1000"
        # One step back, or forward when paused before the replay's first step was shown.
        page.keyboard.press("," if int(step.split()[1]) > 0 else ".")
        assert page.locator(".mv-step").first.inner_text() != step
        assert _scroll(page) == 0
        page.keyboard.press("?")
        assert page.locator(".mv-keymap").is_visible()
        page.keyboard.press("Escape")
        assert not page.locator(".mv-keymap").is_visible()
    finally:
        context.close()


def _prepared_link() -> str:
    from momentum_viz.app.deck import deck_link

    return deck_link(PREPARED_DECK)


def _artifacts():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def test_a_deck_file_opens_with_the_same_checks(app_page, streamlit_process, tmp_path):
    """Upload a .json deck (the prepared one, with one broken slide added): the panel opens
    it and says what it dropped; the address bar then carries the deck."""
    import json

    from momentum_viz.app.deck import to_json

    page, server = app_page, streamlit_process
    raw = json.loads(to_json(PREPARED_DECK))
    raw["slides"].append({"title": "[broken](https://x.example)", "view": "not a view"})
    path = tmp_path / "lecture.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    _open_panel(page)
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(path))
    page.get_by_role("combobox", name="Slide", exact=True).wait_for(timeout=60_000)
    _idle(page, server)
    assert page.get_by_role("combobox", name="Slide", exact=True).input_value() == (
        f"1. {PREPARED_DECK.slides[0].title}"
    )
    broken = f"slide {len(PREPARED_DECK.slides) + 1}"  # the one added last
    note = page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]', has_text=broken)
    assert "dropped" in note.inner_text()
    assert note.locator("a").count() == 0  # quoted as code, never a link
    page.wait_for_function("() => new URLSearchParams(location.search).has('deck')")
    deck, notes = read_link(parse_qs(urlsplit(page.url).query)["deck"][0])
    assert notes == [] and deck == PREPARED_DECK


def _preview_ids(page) -> dict:
    return page.evaluate("() => ({...(window.__momentumVizPreview?.races ?? {})})")


def test_pagedown_shows_the_next_slide_map_before_the_rerun(browser, streamlit_process):
    """Present mode carries the warmed neighbour's race: the slide key's "mv-slide" event
    (dispatched here alone, so the server is not asked) puts slide 4's race on the map."""
    server = streamlit_process
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?deck={_prepared_link()}&slide=2")
        _idle(page, server)
        # Slide 3's run carries slide 4 once the warm-up has computed it (asked for on
        # slide 2): go back and forth until it is there (a busy machine warms slowly).
        for attempt in range(6):
            _press_and_wait(page, "PageDown", 3, server)
            if "1" in _preview_ids(page):
                break
            _press_and_wait(page, "PageUp", 2, server)
            page.wait_for_timeout(1000 * (attempt + 1))
        assert "1" in _preview_ids(page), "slide 4 was never carried"
        before = page.locator(MAP).first.get_attribute("data-draws")
        page.evaluate(
            "() => window.dispatchEvent(new CustomEvent('mv-slide', {detail: {delta: 1}}))"
        )
        nxt = PREPARED_DECK.slides[3].settings()
        canvas = page.locator(MAP).first
        assert canvas.get_attribute("data-settled") == f"lr={nxt.lr};momentum={nxt.momentum}"
        expect_surface = surface_title(nxt.surface, nxt.kappa)
        page.wait_for_function(
            "(title) => [...document.querySelectorAll('.st-key-race_map *')].some("
            "(e) => e.shadowRoot?.querySelector('canvas.mv-map')?.dataset.surface === title)",
            arg=expect_surface,
            timeout=5_000,
        )
        assert int(canvas.get_attribute("data-draws")) > int(before)
        # The server was not asked: still slide 3, whose title the page shows.
        assert page.locator(".mv-slide-title").inner_text() == PREPARED_DECK.slides[2].title
        assert _preview_ids(page) == {}  # used once; the next rerun brings the next ids
    finally:
        context.close()


def test_the_map_goes_full_screen_from_its_own_button_and_the_keys_still_work(
    browser, streamlit_process
):
    server = streamlit_process
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?deck={_prepared_link()}&slide=2")
        _idle(page, server)
        canvas = page.locator(f"{MAP}[data-draws]").first
        canvas.wait_for(timeout=30_000)
        small = canvas.bounding_box()
        page.locator(".st-key-race_map button.mv-map-fullscreen").click()
        in_map = (
            "() => [...document.querySelectorAll('.st-key-race_map *')].some("
            "(e) => e.shadowRoot?.fullscreenElement?.classList.contains('mv-root'))"
        )
        page.wait_for_function(in_map, timeout=10_000)
        # Its room is the whole screen now: the map grows to the screen's height.
        page.wait_for_function(
            "(h) => document.querySelector('.st-key-race_map *') && [...document"
            ".querySelectorAll('.st-key-race_map *')].some((e) => e.shadowRoot?.querySelector"
            "('canvas.mv-map')?.getBoundingClientRect().height > h)",
            arg=small["height"] + 40,
            timeout=10_000,
        )
        page.evaluate("() => document.activeElement?.blur()")
        page.keyboard.press("Space")  # plays in full screen
        assert page.locator("button.mv-play").first.get_attribute("aria-label") == "Pause"
        page.keyboard.press("PageDown")  # and the slide keys still step
        _wait_for_slide(page, 3)
        page.locator(".st-key-race_map button.mv-map-fullscreen").click()  # again: leave
        page.wait_for_function("() => document.fullscreenElement === null", timeout=10_000)
    finally:
        context.close()
