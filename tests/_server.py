"""Start a Streamlit server for tests, and wait for a page of it in the browser.

Used by tests/conftest.py (fixtures ``streamlit_server``, ``page``, ``app_page``) and by
tests/test_deploy.py. Import it from a test module in tests/ as ``from _server import ...``
(pytest puts tests/ on sys.path because the folder has no __init__.py).

* :func:`start_streamlit`, :class:`StreamlitServer`, :func:`free_port`, :func:`http_get`
  and the Chromium settings live in benchmarks/_streamlit_server.py, shared with the
  benchmarks (one copy of the start-up code); they are re-exported here. ``start_streamlit``
  runs ``streamlit run`` on a free port, waits for ``/_stcore/health`` and stops the
  server on exit.
* :func:`skip_or_fail_in_ci` skips a test whose tool is missing, or fails it under CI=true.
* :func:`wait_for_app` waits in a Playwright page until the script run has finished and
  fails if Streamlit shows an exception.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # Playwright is only needed by wait_for_app, and only for its type.
    from playwright.sync_api import Page

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_benchmark_module(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (benchmarks/ is not a package) once, by path."""
    if name not in sys.modules:
        path = PROJECT_ROOT / "benchmarks" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_shared = load_benchmark_module("_streamlit_server")
APP_IDLE_SELECTOR = _shared.APP_IDLE_SELECTOR
CHROMIUM_ARGS = _shared.CHROMIUM_ARGS
EXCEPTION_SELECTOR = _shared.EXCEPTION_SELECTOR
HEALTH_PATH = _shared.HEALTH_PATH
StreamlitServer = _shared.StreamlitServer
chromium = _shared.chromium
chromium_path = _shared.chromium_path
free_port = _shared.free_port
http_get = _shared.http_get
start_streamlit = _shared.start_streamlit
streamlit_command = _shared.streamlit_command


def in_ci() -> bool:
    """True when the environment variable CI is "true" (as CI sets it)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail_in_ci(reason: str) -> NoReturn:
    """Skip the test locally; under CI=true a missing tool is a failure, not a silent skip."""
    import pytest

    if in_ci():
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def load_st_client() -> ModuleType:
    """Import benchmarks/_st_client.py, the websocket protocol client (not a package)."""
    return load_benchmark_module("_st_client")


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
