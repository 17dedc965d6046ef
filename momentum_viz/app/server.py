"""The server around the page: warm-up before the first visitor, readiness, HTTP headers.

``serve.py`` (the command the Dockerfile runs) wraps ``app.py`` in Streamlit's ASGI
``st.App`` with the three pieces defined here:

* :func:`lifespan` runs :func:`warm_up` once, after Streamlit's runtime has started and
  before the server accepts a connection: every module the script imports is complete
  and the default view's runs, race map, loss chart, table and downloads have been built
  (the caches keep the runs and the map), after the simulate kernel is compiled (or
  loaded from its cache, see :mod:`momentum_viz.numerics.kernel`). A class opening the
  link together on a fresh pod then meets a warm server, not a race between first
  imports (a cold ``app.py`` rendered for 1 of 40 simultaneous first visitors).
* Readiness is Streamlit's ``/_stcore/script-health-check`` (turned on in
  .streamlit/config.toml; see :mod:`.streamlit_internals`): it runs ``app.py`` in a
  throwaway session and answers 200 only if the script finished without an exception.
* :class:`SecurityHeaders` adds the headers Streamlit does not send (no framing by other
  sites, no MIME sniffing, no referrer), hides ``/_stcore/metrics`` (cache names, sizes
  and session counts are nobody's business outside the pod) and turns a link Streamlit
  would silently drop into one the page reports (:data:`~.settings.IGNORED_LINK`), and
  refuses a websocket from another site's page before Streamlit's own Origin check, which
  looks up this machine's public address for every Origin it refuses.

Pure ASGI (no Streamlit page code runs here), so it costs nothing per script run.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ..numerics import kernel
from .settings import IGNORED_LINK, MAX_LINK_CHARS, MAX_LINK_FIELDS, Settings

_LOGGER = logging.getLogger(__name__)
HIDDEN_PATHS = ("/_stcore/metrics",)
# Sent with every HTTP response (the page, its scripts, health): the page may not be put
# in another site's frame (clickjacking a projector session), the browser may not guess
# content types, and links out of the app carry no address.
HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def warm_up(settings: Settings | None = None) -> None:
    """Build everything the default page builds, once, outside any session."""
    from ..views.export import trajectories_csv
    from . import page  # noqa: F401 (imports every module the script imports)
    from .compute import loss_figure_for, runs_for
    from .live_map import blobs_for
    from .settings import surface_of
    from .tabs.race import outcome_arrow

    compile_seconds = kernel.warm_up()  # the compiled simulate kernel, or its cache
    _LOGGER.info("momentum-viz: simulate kernel ready in %.2f s", compile_seconds)
    settings = settings or Settings()
    runs = runs_for(settings)
    blobs_for(settings)
    offset = min(m.value for m in surface_of(settings).minima)
    for theme in ("light", "dark"):  # the viewers' themes (screens.viewer_theme)
        loss_figure_for(settings, offset, theme).to_dict()
    outcome_arrow(settings)
    trajectories_csv(runs)


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """Warm up before serving; a failed warm-up stops the server (the pod restarts)."""
    await asyncio.to_thread(warm_up)
    # What is alive now (modules, the kernel, Plotly's validators, the warm caches) lives
    # as long as the server: out of the collector's way, so its full collections during a
    # class's moves walk only the sessions' objects (a 100-session load spent half as
    # long in the collector: benchmarks/bench_load.py, README "Serving a class").
    gc.collect()
    gc.freeze()
    _LOGGER.info("momentum-viz: warm-up done, ready to serve")
    yield


def _oversized(query_string: bytes) -> bool:
    """True for a link Streamlit ignores (too many parameters or characters)."""
    return len(query_string) > MAX_LINK_CHARS or query_string.count(b"&") + 1 > MAX_LINK_FIELDS


def _foreign_origin(scope: Scope) -> bool:
    """True for a websocket whose Origin is another site than its Host, and not one of
    ``server.corsAllowedOrigins`` (no Origin: a non-browser client, left to Streamlit)."""
    headers = dict(scope.get("headers", []))
    origin, host = headers.get(b"origin"), headers.get(b"host")
    if origin is None:
        return False
    origin_text = origin.decode("latin-1")
    if urlsplit(origin_text).netloc == (host or b"").decode("latin-1"):
        return False
    allowed = {o.strip() for o in st.get_option("server.corsAllowedOrigins")}
    return origin_text not in allowed


class SecurityHeaders:
    """ASGI middleware: security headers, hidden paths, oversized links redirected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and _foreign_origin(scope):
            # Refused here, before Streamlit's own check: for an Origin it does not know,
            # that check asks an outside service for this machine's public address (an
            # HTTP request, not remembered when it fails, and a log warning each time).
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":  # the websocket: Streamlit checks Origin and Host
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in HIDDEN_PATHS:
            response: Response = PlainTextResponse("Not Found", status_code=404)
        elif path == "/" and _oversized(scope.get("query_string", b"")):
            response = RedirectResponse(f"/?{IGNORED_LINK}=1", status_code=303)
        else:
            response = None  # type: ignore[assignment]
        if response is not None:
            response.headers.update(HEADERS)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() not in HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
