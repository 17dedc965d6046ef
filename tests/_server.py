"""Start a Streamlit server for tests, and wait for a page of it in the browser.

Used by tests/conftest.py (fixtures ``streamlit_server``, ``page``, ``app_page``) and by
tests/test_deploy.py. Import it from a test module in tests/ as ``from _server import ...``
(pytest puts tests/ on sys.path because the folder has no __init__.py).

* :func:`start_streamlit`, :class:`StreamlitServer`, :func:`free_port`, :func:`http_get`
  and the Chromium settings live in harness/streamlit_server.py, shared with the
  benchmarks (one copy of the start-up code); they are re-exported here. ``start_streamlit``
  runs ``streamlit run`` on a free port, waits for ``/_stcore/health`` and stops the
  server on exit.
* :func:`skip_or_fail_in_ci` skips a test whose tool is missing, or fails it under CI=true.
* :func:`wait_for_app` waits in a Playwright page until the script run has finished and
  fails if Streamlit shows an exception.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NoReturn

from harness.streamlit_server import (
    APP_IDLE_SELECTOR,
    CHROMIUM_ARGS,
    EXCEPTION_SELECTOR,
    HEALTH_PATH,
    PROJECT_ROOT,
    StreamlitServer,
    chromium,
    chromium_path,
    free_port,
    http_get,
    start_streamlit,
    streamlit_command,
)

if TYPE_CHECKING:  # Playwright is only needed by wait_for_app, and only for its type.
    from playwright.sync_api import Page

__all__ = [
    "APP_IDLE_SELECTOR",
    "CHROMIUM_ARGS",
    "EXCEPTION_SELECTOR",
    "HEALTH_PATH",
    "PROJECT_ROOT",
    "StreamlitServer",
    "chromium",
    "chromium_path",
    "free_port",
    "grab_slider_thumb",
    "http_get",
    "in_ci",
    "next_frames",
    "skip_or_fail_in_ci",
    "start_streamlit",
    "streamlit_command",
    "wait_for_app",
]


# True once the page's style sheet is in force (app/page.py PAGE_CSS sets the property).
STYLED_JS = (
    "() => getComputedStyle(document.documentElement)"
    ".getPropertyValue('--mv-page-style').trim() === 'applied'"
)
# Resolves after n animation frames of the page: the map draws at most once per frame, so
# a redraw after an input (or a state that must NOT change) is checked frames later, not
# after a guessed number of milliseconds.
NEXT_FRAMES_JS = """(n) => new Promise((done) => {
    const next = (left) => (left <= 0 ? done() : requestAnimationFrame(() => next(left - 1)));
    next(n);
})"""


def next_frames(page: Page, n: int = 2) -> None:
    """Return after ``n`` animation frames of ``page``."""
    page.evaluate(NEXT_FRAMES_JS, n)


def grab_slider_thumb(page: Page, key: str) -> tuple[float, float]:
    """Press the mouse on the thumb of the sidebar slider ``key`` (α "lr", γ "momentum"),
    as a user starting a drag; returns where (x, y), to move from."""
    thumb = page.locator(
        f'[data-testid="stSidebar"] .st-key-{key} [data-testid="stSliderThumbValue"]'
    )
    box = thumb.locator("..").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    return x, y


def in_ci() -> bool:
    """True when the environment variable CI is "true" (as CI sets it)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail_in_ci(reason: str) -> NoReturn:
    """Skip the test locally; under CI=true a missing tool is a failure, not a silent skip."""
    import pytest

    if in_ci():
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def wait_for_app(
    page: Page, timeout: float = 30_000, server: StreamlitServer | None = None
) -> None:
    """Wait until the app's script run has finished; fail if Streamlit shows an exception.

    ``timeout`` is in milliseconds (Playwright's unit). Call it after ``page.goto(url)``.
    After an interaction (slider, button) the root can still say "notRunning" for a moment
    before the rerun starts, so there wait for the expected change itself (e.g.
    ``expect(locator).to_have_text(...)``) and then call this to check for exceptions.
    With ``server``, a failure also quotes the server's log, where Streamlit writes the
    traceback that the page hides (client.showErrorDetails = "type").
    """
    page.wait_for_selector(APP_IDLE_SELECTOR, state="attached", timeout=timeout)
    exceptions = page.locator(EXCEPTION_SELECTOR)
    count = exceptions.count()
    if count:
        details = "\n---\n".join(t.strip() for t in exceptions.all_inner_texts())
        log = f"\nServer output (tail):\n{server.log_tail()}" if server is not None else ""
        raise AssertionError(f"Streamlit shows {count} exception(s) on the page:\n{details}{log}")
    # On a first load the page's style sheet (app/page.py PAGE_CSS) applies a frame or two
    # after the first elements: Streamlit's own spacing until then. Layouts are measured
    # after it, and after the two frames in which the map lays itself out again.
    page.wait_for_function(STYLED_JS, timeout=timeout)
    next_frames(page)
