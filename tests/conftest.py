"""Shared fixtures for server and browser tests.

* ``streamlit_server`` (session): base URL, e.g. ``http://127.0.0.1:40123``, of one
  ``streamlit run app.py`` started from the project root for the whole test session.
  ``streamlit_process`` is the same server as a ``_server.StreamlitServer`` (``.url``,
  ``.port``, ``.log_tail()`` for the server's output, tracebacks included).
* ``browser`` (session): a headless Playwright Chromium (Debian's /usr/bin/chromium; no
  ``playwright install``). Skips if Playwright or Chromium is missing, but FAILS when the
  environment variable CI is "true", so CI cannot silently skip the browser tests.
* ``page`` (function): a fresh browser context and page (1280x900), closed after the test.
* ``app_page`` (function): ``page`` already opened on ``streamlit_server`` and waited for
  with :func:`_server.wait_for_app` (script finished, no exception shown; on failure the
  message quotes the server log, which has the traceback the page hides).

Example::

    import pytest
    from _server import wait_for_app

    @pytest.mark.browser
    def test_title(app_page):
        assert app_page.get_by_role("heading", name="Momentum").is_visible()

    @pytest.mark.browser
    def test_reload(page, streamlit_server):
        page.goto(streamlit_server)
        wait_for_app(page)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from _server import (
    StreamlitServer,
    chromium,
    chromium_path,
    skip_or_fail_in_ci,
    start_streamlit,
    wait_for_app,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from momentum_viz import Run


@pytest.fixture(scope="session")
def streamlit_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """The server behind ``streamlit_server``: ``.url``, ``.port``, ``.log_tail()``."""
    # A private HOME keeps the developer's ~/.streamlit (global config, credentials) out of
    # the test; the project's .streamlit/config.toml is still read from the working dir.
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("streamlit-home")))
    with start_streamlit(env=env) as server:
        yield server


@pytest.fixture(scope="session")
def streamlit_server(streamlit_process: StreamlitServer) -> str:
    """Base URL of ``streamlit run app.py`` (project root, free port on 127.0.0.1)."""
    return streamlit_process.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail_in_ci("Playwright is not installed (pip install -r requirements-dev.txt)")
    executable = chromium_path()
    if executable is None:
        skip_or_fail_in_ci("Chromium not found (apt-get install chromium)")
    with chromium(executable) as instance:
        yield instance


@pytest.fixture
def numpy_path(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """``simulate`` on the NumPy path (as where Numba is missing), within the test."""
    import momentum_viz.numerics.kernel as kernel
    from momentum_viz import simulate

    def run(*args: object, **kwargs: object) -> Run:
        with monkeypatch.context() as patch:
            patch.setattr(kernel._STATE, "enabled", False)
            return simulate(*args, **kwargs)

    return run


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def app_page(page: Page, streamlit_process: StreamlitServer) -> Page:
    page.goto(streamlit_process.url)
    wait_for_app(page, server=streamlit_process)
    return page
