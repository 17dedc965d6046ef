"""Every reliance on how the Streamlit server runs scripts, or on its page's DOM, in one place.

Streamlit runs each session's script on its own thread, and a class opening the link
together starts many of them at once on a fresh server. Anything a script initialises
lazily can then be seen half-done by another thread:

* plotly.py checks its optional dependencies with
  ``_plotly_utils.optional_imports.get_module("pandas", should_load=False)``, which is a
  bare ``sys.modules`` lookup. While one thread is still executing ``import pandas``
  (Streamlit imports it lazily on a script's first chart or table), another thread finds the
  half-initialised module there and fails with ``AttributeError: partially initialized
  module 'pandas' has no attribute 'Series'`` (plotly.py issue #2433). Importing pandas
  here, at module import, closes the window: a module is imported under Python's
  per-module import lock, so every script thread that imports the page waits until this
  module, and pandas with it, is complete.

The readiness probe relies on one hidden option, ``server.scriptHealthCheckEnabled``
(.streamlit/config.toml): Streamlit 1.67 then serves ``/_stcore/script-health-check``,
which runs the main script in a throwaway ``AppSession`` and answers 200 "ok" or 503
"error" (streamlit/runtime/runtime.py ``does_script_run_without_error``). Its description
calls it "an experimental Streamlit internal API"; no upstream issue tracks making it
public. tests/test_server.py checks both answers, so an upgrade that drops it fails there.

:func:`momentum_viz.app.server.warm_up` goes further and runs the page's computations once
before the server accepts its first visitor.
"""

from __future__ import annotations


def widget_keys_from_browser() -> set[str]:
    """User keys of the widgets whose values the browser sent with this script run.

    A page that reconnects to a restarted server (new pod, out-of-memory kill, scale-down)
    gets a new session, and its first run carries the values of every widget on the page,
    which are newer than the address bar (the move that triggered the run is among them).
    Streamlit offers no public way to tell those runs apart, so this reads the session
    state's pending widget values (``SessionState._new_widget_state``, whose ids end in
    ``-<user key>``; streamlit/runtime/state/session_state.py, common.py). Keyed widgets of
    Streamlit 1.67 keep one id per key (``key_as_main_identity``), so the ids match the
    new session's widgets. No upstream issue; tests/test_browser.py's reconnect test fails
    if this stops working. Returns an empty set if the internals have moved.
    """
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import (
            get_script_run_ctx,
        )
        from streamlit.runtime.state.common import user_key_from_element_id

        ctx = get_script_run_ctx()
        if ctx is None:
            return set()
        ids = list(ctx.session_state._state._new_widget_state.keys())
    except (ImportError, AttributeError):
        return set()
    return {key for wid in ids if (key := user_key_from_element_id(wid)) is not None}


def slider_input_selector(key: str) -> str:
    """The CSS selector of the hidden ``<input type="range">`` of the sidebar slider ``key``.

    Streamlit sends a slider's value only on release (streamlit/streamlit PR #11879,
    closing issue #4541), with no public event during a drag. Its react-aria slider keeps
    a visually hidden range input whose ``value`` (the index of the stop) and
    ``aria-valuetext`` follow the thumb as it moves; ``st-key-<key>`` is the class
    Streamlit gives a keyed widget's container. The live race map (live_map.js) watches
    that input to redraw while α or γ is dragged. tests/test_browser.py's drag test fails
    if an upgrade changes either.
    """
    return f'[data-testid="stSidebar"] .st-key-{key} input[type="range"]'


def rerun_unknown_fragments_in_full() -> None:
    """Make a session run the whole page when the browser asks to rerun a fragment the
    session does not hold, instead of dropping the request.

    A move of α or γ reruns the page's live part, a fragment (app/page.py). A page that
    reconnects to a restarted server (new pod, out-of-memory kill) gets a new session that
    holds no fragment until a full run has called it, and Streamlit 1.67 drops a rerun of
    a fragment it does not hold (``AppSession.request_rerun``: "The fragment with id ...
    does not exist anymore"), so the first moves after a restart were lost. Streamlit's
    browser side asks for a full run on reconnecting only if its last run was a fragment
    run or a fragment reruns by itself (streamlit/streamlit PR #11890, issue #11660), not
    after a whole page's run. A full run with the same widget states is what the request
    means: it draws the page and the move. Installed once, by the server's warm-up
    (serve.py) and when the page is first imported (``streamlit run app.py``);
    tests/test_browser.py's restart test fails without it. A no-op if the internals moved.
    """
    try:
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        return
    original = AppSession.request_rerun
    if getattr(original, "_momentum_viz", False) or not hasattr(AppSession, "has_fragment"):
        return

    def request_rerun(self: AppSession, client_state: object = None) -> None:
        fragment_id = getattr(client_state, "fragment_id", "")
        if fragment_id and not self.has_fragment(fragment_id):
            whole = type(client_state)()
            whole.CopyFrom(client_state)
            whole.fragment_id = ""
            client_state = whole
        original(self, client_state)

    request_rerun._momentum_viz = True  # type: ignore[attr-defined]
    AppSession.request_rerun = request_rerun  # type: ignore[method-assign]


# First, before the imports below: this module is the first the page imports (app.py).
rerun_unknown_fragments_in_full()

# Imported for their side effect (fully initialised before any script thread uses them);
# plotly.io and plotly.graph_objects are loaded lazily by plotly's own __getattr__.
import pandas  # noqa: E402, F401
import plotly.graph_objects  # noqa: E402
import plotly.io  # noqa: E402, F401
