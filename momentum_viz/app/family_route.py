"""The live map's slider families over HTTP, fetched when a thumb is first touched.

The live race map previews a drag of α or γ from paths computed in advance for every
stop of that slider (a *family*, ``compute.compute_family_blob``). Sent with every rerun,
the α family was most of what a γ move to a new value cost the server (2.5 ms of batched
runs and 2–3 ms of encoding, of about 16–30 ms: issue 23), for a drag of α that most γ
moves are never followed by. Served by ``serve.py`` (what the image runs), the map
instead gets the α family's address, and its browser fetches it when the α thumb is first
touched (live_map.js ``family``). ``streamlit run app.py`` has no routes of its own: there
the family travels with the map, as before (:func:`family_urls` returns nothing).

The address is the family's settings as a link (``links.to_query_params``): the same
settings give the same address for every student, and every replica of the server can
answer it (no token, no per-process state). The route reads it with the link reader,
which clamps and checks everything (a formula through the formula guard), and answers
400 when the reader had anything to say: the page only ever asks for addresses it made.
Work is bounded: the family is the page's own shared cache entry, at most
:data:`MAX_COMPUTING` are computed at once, off the event loop, and past
:data:`MAX_WAITING` waiting requests the route answers 503.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .compute import RunKey, compute_family_blob, family_key
from .links import from_query_params, to_query_params
from .settings import MAX_LINK_CHARS, Settings

# Relative to the page, as the class routes are (follow.js): under a baseUrlPath too.
FAMILY_PATH = "api/family/{parameter}"
FETCHED = ("lr",)  # the families the map fetches; the γ family is still carried
MAX_COMPUTING = 2  # the pod has one core: more at once only share it
MAX_WAITING = 64
# The same address always answers the same bytes while this code runs; a new release may
# encode them differently, so a browser keeps them for an hour, no longer.
CACHE_CONTROL = "private, max-age=3600"

_served = False
_computing = asyncio.Semaphore(MAX_COMPUTING)
_waiting = 0


def routes() -> list[Route]:
    """The route, for ``st.App(routes=...)`` (serve.py): from now on the pages this
    process serves fetch their α family instead of carrying it."""
    global _served
    _served = True
    return [Route("/" + FAMILY_PATH, _family, methods=["GET"])]


def family_urls(settings: Settings) -> tuple[tuple[str, str], ...]:
    """(parameter, address) of each family the map of ``settings`` fetches: none unless
    :func:`routes` was mounted. Hashable: an argument of ``compute.live_map_blobs``."""
    if not _served:
        return ()
    key = RunKey.of(settings)
    return tuple(
        (parameter, _address(family_key(key, parameter), parameter)) for parameter in FETCHED
    )


# Asked on every move (about 20 µs to write): one address per family key, kept.
@lru_cache(maxsize=1024)
def _address(key: RunKey, parameter: str) -> str:
    """The family's address: its settings as a link query (one address per family)."""
    return (
        FAMILY_PATH.format(parameter=parameter) + "?" + urlencode(to_query_params(key.settings()))
    )


def _error(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers={"cache-control": "no-store"})


async def _family(request: Request) -> Response:
    """GET api/family/{parameter}?<link>: the family's blob (id, then the blob)."""
    global _waiting
    parameter = request.path_params["parameter"]
    if parameter not in FETCHED:
        return _error(404, f"no family {parameter!r}: one of {', '.join(FETCHED)}")
    if len(request.url.query) > MAX_LINK_CHARS:
        return _error(414, f"the settings are longer than {MAX_LINK_CHARS} characters")
    if _waiting >= MAX_WAITING:
        return _error(503, "too many families asked for at once; the map works without")
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    _waiting += 1
    try:
        async with _computing:
            # The link reader may build a typed formula (a worker process, formula_guard).
            settings, notes = await asyncio.to_thread(from_query_params, params)
            if notes:
                return _error(400, " ".join(notes))
            key = family_key(RunKey.of(settings), parameter)
            blob = await asyncio.to_thread(compute_family_blob, key, parameter)
    finally:
        _waiting -= 1
    return Response(
        blob, media_type="application/octet-stream", headers={"cache-control": CACHE_CONTROL}
    )
