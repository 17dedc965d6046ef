"""Follow the lecturer in Chromium: a lecturer and three followers (one on a phone).

The lecturer drags γ: every follower's map shows the same stop while the drag goes on;
the lecturer changes surface and tab: the followers follow; a follower moves α: it breaks
away, the banner says so and the lecturer's counts change; "Follow again" brings it back.
tests/test_broker_redis.py runs the same scenario with two servers sharing one Redis.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator

import pytest
from _classes import new_class
from _server import StreamlitServer, grab_slider_thumb, next_frames, start_streamlit, wait_for_app
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from momentum_viz.app.deck import Deck, Slide, deck_link

pytestmark = [pytest.mark.browser, pytest.mark.server]

MAP = "canvas.mv-map"
BANNER = ".fl-banner"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def class_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("home")))
    env.pop("REDIS_URL", None)
    with start_streamlit(script="serve.py", env=env) as started:
        yield started


def wait_until(
    condition: Callable[[], object],
    what: str,
    timeout: float = 60.0,
    detail: Callable[[], object] = lambda: "",
) -> None:
    """Poll ``condition`` (page reads) until it is true; fail naming ``what`` (and
    ``detail()``, what the pages showed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {detail()}"
        time.sleep(0.05)


def shown(page) -> str | None:
    return page.locator(MAP).first.get_attribute("data-shown")


def settled(page) -> str | None:
    return page.locator(MAP).first.get_attribute("data-settled")


def view(page) -> dict[str, str]:
    """The view the page's Python session drew (the class component's data-view), without
    layout; a phone's address bar is not always rewritten, so not read from the URL."""
    box = page.locator(".fl-banner, .fl-lead").first
    return json.loads(box.get_attribute("data-view", timeout=60_000) or "{}")


def open_page(page, url: str, server: StreamlitServer) -> None:
    page.goto(url)
    wait_for_app(page, timeout=60_000, server=server)
    page.locator(f"{MAP}[data-draws]").first.wait_for(timeout=60_000)


def start_class(page, server: StreamlitServer, query: str = "surface=multiwell") -> str:
    open_page(page, f"{server.url}/?{query}", server)
    opener = page.locator('[data-testid="stExpandSidebarButton"]')
    if opener.is_visible():  # present mode starts with the sidebar collapsed
        opener.click()
    open_class_box(page)
    page.locator(".fl-start").click(timeout=60_000)
    code = page.locator(".st-key-class_projector .mv-class-code b").inner_text(timeout=30_000)
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    # The class panel folds again: α and γ stay where the lecturer needs them, on screen.
    page.locator(".fl-lead[data-follow]").wait_for(state="hidden", timeout=30_000)
    viewport = page.viewport_size
    for slider in ("lr", "momentum"):
        thumb = page.locator(
            f'[data-testid="stSidebar"] .st-key-{slider} [data-testid="stSliderThumbValue"]'
        )
        box = thumb.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"]
    # The secret is on no screen and in no address: only in the tab's sessionStorage.
    stored = page.evaluate("() => sessionStorage.getItem('momentum-viz-lead')")
    lead = re.search(r'"lead":"([^"]+)"', stored).group(1)
    assert lead not in page.url and lead not in page.content()
    return code


def open_class_box(page) -> None:
    """Unfold the sidebar's class panel (folded at first, and again once a class starts)."""
    box = page.locator(".st-key-class_box")
    box.wait_for(timeout=60_000)
    if not box.locator(".fl-lead").first.is_visible():
        box.locator("summary").click()
    box.locator(".fl-lead").first.wait_for(timeout=30_000)


def follow(page, server: StreamlitServer, code: str) -> None:
    open_page(page, f"{server.url}/?follow={code}", server)
    banner = page.locator(f'{BANNER}[data-mode="follow"][data-connection="open"]')
    banner.wait_for(timeout=30_000)


def drag_gamma(lecturer, followers, server) -> set[str]:
    """Drag the lecturer's γ thumb left in steps; after each step every follower's map must
    show the lecturer's stop. Returns the stops seen."""
    x, y = grab_slider_thumb(lecturer, "momentum")
    stops = set()
    for i in range(1, 7):
        lecturer.mouse.move(x - 12 * i, y)
        # The lecturer's map redraws at its next animation frame: read its stop after it,
        # not the one the last move left (followers already on the new one never match).
        next_frames(lecturer)
        wait_until(lambda: shown(lecturer) != settled(lecturer), "the lecturer's map to preview")
        stop = shown(lecturer)
        for n, page in enumerate(followers):
            wait_until(
                lambda p=page, s=stop: shown(p) == s,
                f"follower {n} to show {stop}",
                detail=lambda p=page: (shown(p), settled(p), p.locator(BANNER).inner_text()),
            )
        stops.add(stop)
    lecturer.mouse.up()
    wait_for_app(lecturer, server=server)
    return stops


def choose_surface(page, title: str) -> None:
    """Open the sidebar's surface box and pick ``title`` (again if a rerun closed it)."""
    for _ in range(5):
        wait_for_app(page)
        page.locator(".st-key-surface").get_by_role("combobox").click()
        option = page.get_by_role("option", name=title)
        try:
            option.click(timeout=5_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {title}")


def same_view(lecturer, followers) -> None:
    wait_for_app(lecturer)
    for n, page in enumerate(followers):
        wait_until(
            lambda p=page: view(p) == view(lecturer),
            f"follower {n}'s view",
            detail=lambda p=page: (view(p), view(lecturer), p.locator(BANNER).inner_text()),
        )


def run_class(browser, lead_server: StreamlitServer, follow_server: StreamlitServer) -> None:
    """The whole scenario; the followers may be on another server than the lecturer."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    contexts.append(browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True))
    try:
        lecturer, *followers = (context.new_page() for context in contexts)
        code = start_class(lecturer, lead_server)
        for page in followers:
            follow(page, follow_server, code)
        same_view(lecturer, followers)
        counts = lecturer.locator(".fl-lead")
        wait_until(lambda: counts.get_attribute("data-follow") == "3", "3 following", 15)

        assert len(drag_gamma(lecturer, followers, lead_server)) >= 3
        same_view(lecturer, followers)
        for page in followers:
            wait_until(lambda p=page: settled(p) == settled(lecturer), "settled runs")

        choose_surface(lecturer, "Himmelblau (four minima)")
        wait_until(lambda: view(lecturer)["surface"] == "himmelblau", "the lecturer's surface")
        same_view(lecturer, followers)
        assert view(followers[0])["surface"] == "himmelblau"
        lecturer.get_by_role("tab", name="Theory").click()
        wait_until(lambda: view(lecturer).get("view") == "theory", "the lecturer's tab")
        same_view(lecturer, followers)
        assert view(followers[2])["view"] == "theory"

        # The phone: the banner and the map's tab on the first screen, no drawer over them.
        phone = followers[2]
        assert phone.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0
        top = phone.locator(BANNER).bounding_box()
        assert top["y"] >= 0 and top["y"] + top["height"] < PHONE["height"] / 3

        # A follower moves α: it breaks away, and only it.
        explorer = followers[0]
        alpha = explorer.locator('[data-testid="stSidebar"] .st-key-lr input[type="range"]')
        alpha.focus()
        alpha.press("ArrowRight")
        explorer.locator(f'{BANNER}[data-mode="explore"]').wait_for(timeout=10_000)
        assert explorer.locator(".fl-again").is_visible()
        assert "exploring on your own" in explorer.locator(BANNER).inner_text()
        wait_until(lambda: view(explorer) != view(lecturer), "the explorer's own α")
        wait_until(lambda: counts.get_attribute("data-explore") == "1", "1 exploring", 15)
        assert counts.get_attribute("data-follow") == "2"
        lecturer.get_by_role("tab", name="Race on the map").click()
        wait_until(lambda: "view" not in view(lecturer), "the lecturer's race tab")
        same_view(lecturer, followers[1:])
        assert view(explorer).get("view") == "theory"  # it stayed where it went

        explorer.locator(".fl-again").click()
        explorer.locator(f'{BANNER}[data-mode="follow"]').wait_for(timeout=10_000)
        same_view(lecturer, followers)
    finally:
        for context in contexts:
            context.close()


def test_a_lecturer_and_three_followers(browser, class_server):
    run_class(browser, class_server, class_server)


def test_a_reload_keeps_leading_and_the_lead_link_moves_it(browser, class_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        lecturer = context.new_page()
        code = start_class(lecturer, class_server)
        lecturer.reload()
        wait_for_app(lecturer, server=class_server)
        lecturer.locator('.fl-lead[data-role="lead"]').wait_for(state="attached", timeout=30_000)
        open_class_box(lecturer)
        assert lecturer.locator(".fl-remote-link").is_hidden()  # only on request
        lecturer.locator(".fl-remote").click()
        lead_link = lecturer.locator(".fl-remote-link").input_value()
        assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/\?\S+#lead={code}\.[\w-]{{43}}", lead_link)
        other = browser.new_context().new_page()
        other.goto(lead_link)
        wait_for_app(other, server=class_server)
        other.locator('.fl-lead[data-role="lead"]').wait_for(state="attached", timeout=30_000)
        assert "#lead" not in other.url
        other.context.close()
    finally:
        context.close()


def test_a_broken_stream_says_reconnecting_and_comes_back(page, class_server):
    """The stream fails (here: refused by the browser; a server away, a proxy cut): the
    banner says it is reconnecting, the page keeps its view, and the page retries (with
    back-off) until the stream is back, then follows again."""
    code, _lead = new_class(class_server.url)
    page.route("**/api/classes/*/events*", lambda route: route.abort())
    open_page(page, f"{class_server.url}/?follow={code}", class_server)
    page.locator(f'{BANNER}[data-connection="reconnecting"]').wait_for(timeout=30_000)
    assert "retrying" in page.locator(BANNER).inner_text()
    assert page.locator(f"{MAP}[data-draws]").first.is_visible()  # never a blank page
    page.unroute("**/api/classes/*/events*")
    page.locator(f'{BANNER}[data-connection="open"][data-mode="follow"]').wait_for(timeout=60_000)


def test_a_view_the_server_refuses_is_reported_to_the_lecturer(page, class_server):
    """A state the server refuses (here answered 422 by the browser's route, as the server
    answers a deck longer than a class takes) leaves the class on the last view: the
    lecturer is told why, in the class panel; the next view the server takes clears it."""
    start_class(page, class_server)
    error = page.locator(".fl-lead .fl-error")
    reason = "deck: base64url text of at most 8192 characters"
    refusal = json.dumps({"error": "the state is refused", "reasons": [reason]})
    page.route(
        "**/api/classes/*/state",
        lambda route: route.fulfill(status=422, content_type="application/json", body=refusal),
    )
    alpha = page.locator('[data-testid="stSidebar"] .st-key-lr input[type="range"]')
    alpha.focus()
    alpha.press("ArrowRight")
    wait_until(lambda: reason in error.inner_text(), "the refusal in the class panel")
    assert error.is_visible()
    assert "still sees your last view" in error.inner_text()
    page.unroute("**/api/classes/*/state")
    wait_for_app(page, server=class_server)
    alpha.focus()
    alpha.press("ArrowLeft")
    wait_until(lambda: error.inner_text() == "", "the note cleared by an accepted view")


THREE_SLIDES = Deck(
    "Three slides",
    (
        Slide("One: the banana valley", "", {"surface": "rosenbrock"}),
        Slide("Two: four minima", "", {"surface": "himmelblau"}),
        Slide("Three: the wells", "", {"surface": "multiwell", "momentum": "0.5"}),
    ),
)


def slide_seen(page) -> tuple[str, str]:
    """The present-mode title line: the slide's title and "n / 3" ("" when absent)."""
    title, count = page.locator(".mv-slide-title"), page.locator(".mv-slide-count")
    if not title.count() or not count.count():
        return "", ""
    return title.first.inner_text(), count.first.inner_text()


def _press_again_if_lost(page, key: str, before: tuple[str, str]) -> None:
    """Once, if 10 s after a slide key the page is idle on the same slide: what is checked
    here is that followers follow, and the keys' delivery is test_browser_deck.py's
    (a slide key was lost once in about six full runs here: cause not found)."""
    deadline = time.monotonic() + 10
    while slide_seen(page) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    idle = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
    if slide_seen(page) == before and idle == "notRunning":
        page.locator(".mv-slide-title").click()
        page.keyboard.press(key)


def test_followers_follow_the_lecturers_slides(browser, class_server):
    """A lecturer presents a 3-slide deck: each follower shows the same slide (title,
    "n / 3") and its view, and changes slide when the lecturer presses PageDown/PageUp;
    "Stop leading" ends the class and the followers keep the last slide."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    try:
        lecturer, *followers = (context.new_page() for context in contexts)
        query = f"deck={deck_link(THREE_SLIDES)}&slide=1"
        code = start_class(lecturer, class_server, query)
        for page in followers:
            follow(page, class_server, code)

        def all_show(number: int) -> None:
            slide = THREE_SLIDES.slides[number - 1]
            wanted = (slide.title, f"{number} / 3")
            wait_until(
                lambda: slide_seen(lecturer) == wanted,
                f"the lecturer on {number}",
                detail=lambda: (slide_seen(lecturer), lecturer.url[-80:]),
            )
            for n, page in enumerate(followers):
                wait_until(
                    lambda p=page: slide_seen(p) == wanted,
                    f"follower {n} on slide {number}",
                    timeout=90,
                    detail=lambda p=page: (slide_seen(p), p.locator(BANNER).inner_text()),
                )
                assert page.locator(BANNER).get_attribute("data-slide") == str(number)
                assert page.locator(BANNER).get_attribute("data-mode") == "follow"
                assert view(page)["surface"] == slide.view["surface"]
            same_view(lecturer, followers)

        all_show(1)
        # The slide keys act on the page, not in a widget: focus the slide's title first.
        lecturer.locator(".mv-slide-title").click()
        for key, number in [("PageDown", 2), ("PageDown", 3), ("PageUp", 2)]:
            wait_for_app(lecturer, server=class_server)
            before = slide_seen(lecturer)
            lecturer.keyboard.press(key)
            _press_again_if_lost(lecturer, key, before)
            all_show(number)
        assert view(followers[0])["surface"] == "himmelblau"

        # "Stop leading" ends the class: the followers say so and keep the last slide.
        open_class_box(lecturer)
        lecturer.locator(".fl-end").click()
        for page in followers:
            page.locator(f'{BANNER}[data-mode="ended"]').wait_for(timeout=30_000)
            assert "class has ended" in page.locator(BANNER).inner_text()
            assert slide_seen(page) == (THREE_SLIDES.slides[1].title, "2 / 3")
        lecturer.locator('.fl-lead[data-role="start"]').wait_for(state="attached", timeout=30_000)
    finally:
        for context in contexts:
            context.close()
