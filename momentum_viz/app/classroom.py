"""Follow the lecturer: the HTTP interface of a class (routes of serve.py's ``st.App``).

    POST /api/classes                   → 201 {"code": "K7WQ2M", "lead": "<secret>"}
    POST /api/classes/{code}/state      Authorization: Bearer <lead>, a JSON state → 204
    GET  /api/classes/{code}            Authorization: Bearer <lead> → {"follow": n, "explore": m}
    DELETE /api/classes/{code}          Authorization: Bearer <lead> → 204 (the class ends)
    GET  /api/classes/{code}/events     ?mode=follow|explore → text/event-stream of states

A state is ``{"view": {link key: value}, "title": str, "deck": str, "slide": int}`` plus
at most one live move: ``"drag": {"param": "lr"|"momentum", "value": stop}``, ``"play":
true|false``, ``"step": 1|-1`` or ``"frame": n``. The view is checked by the same code that
opens a link (:func:`.settings.from_query_params`): a value that would be clamped or dropped
(any note) refuses the state with 422 and the reasons, and nothing is broadcast. A drag's
value must be one of that slider's stops for the view (the stops the live map has paths for).

Why Server-Sent Events: the relay is one-way (lecturer → followers); the lecturer's moves go
up as plain POSTs with the lead secret in a header. An event stream is plain HTTP through
every proxy and ingress, and the browser's EventSource reconnects by itself and says
where it stopped (``Last-Event-ID``): each state has the next id of its class and carries
the whole view, so resuming means being sent the current state if it is newer.

The lead secret (:func:`secrets.token_urlsafe`, 256 bits) is returned once, to the
lecturer's page; the server keeps only its SHA-256 and compares with
:func:`hmac.compare_digest`. The stream carries only validated states of its own class, and
every ~15 s how long the lead has been silent (so a follower can say the lecturer is gone).
Limits and storage are the broker's (:mod:`.broker`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .broker import (
    ENDED,
    MODES,
    Broker,
    BrokerError,
    Event,
    broker_from_environment,
)
from .settings import (
    FOLLOW_LINK_KEY,
    IGNORED_LINK,
    SLIDER_STOPS,
    Settings,
    from_query_params,
    stops_with,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 6
CODE_PATTERN = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
MAX_BODY_BYTES = 16 * 1024  # a state with a custom formula and a deck link fits easily
MAX_TITLE_CHARS = 80
MAX_DECK_CHARS = 8 * 1024
MAX_SLIDES = 50
MAX_VALUE_CHARS = 1000
HEARTBEAT_S = 15.0
LIVE_MOVES = ("drag", "play", "step", "frame")
STATE_FIELDS = ("view", "title", "deck", "slide", *LIVE_MOVES)

_broker: Broker | None = None


def broker() -> Broker:
    """The server's broker, made on first use (inside the server's event loop)."""
    global _broker
    if _broker is None:
        _broker = broker_from_environment()
    return _broker


def lead_hash(lead: str) -> str:
    return hashlib.sha256(lead.encode()).hexdigest()


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


# --- the state a lecturer sends ------------------------------------------------------


def _view_params(view: object, reasons: list[str]) -> dict[str, str] | None:
    """The view's link keys as strings, or None (with reasons) if it is not one."""
    if not isinstance(view, dict) or not view:
        reasons.append("view: must be an object of link keys and values")
        return None
    params: dict[str, str] = {}
    for key, value in view.items():
        if key in (FOLLOW_LINK_KEY, IGNORED_LINK):
            reasons.append(f"view: {key!r} is not a setting")
        elif isinstance(value, str) and len(value) <= MAX_VALUE_CHARS:
            params[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                reasons.append(f"view: {key} is not a finite number")
            params[key] = str(value) if isinstance(value, int) else repr(value)
        else:
            reasons.append(f"view: {key} must be a string or a number")
    return params


def _live_move(state: dict[str, Any], settings: Settings, reasons: list[str]) -> dict[str, Any]:
    """The state's one live move (drag, play, step or frame), checked against the view."""
    moves = [name for name in LIVE_MOVES if name in state]
    if len(moves) > 1:
        reasons.append(f"at most one of {', '.join(LIVE_MOVES)}; got {', '.join(moves)}")
        return {}
    if not moves:
        return {}
    name, value = moves[0], state[moves[0]]
    if name == "drag":
        param = value.get("param") if isinstance(value, dict) else None
        stop = value.get("value") if isinstance(value, dict) else None
        if param not in SLIDER_STOPS:
            reasons.append("drag: param must be 'lr' or 'momentum'")
        elif not isinstance(stop, int | float) or isinstance(stop, bool):
            reasons.append("drag: value must be a number")
        elif float(stop) not in stops_with(SLIDER_STOPS[param], getattr(settings, param)):
            reasons.append(f"drag: {stop!r} is not one of the {param} slider's stops")
        else:
            return {"drag": {"param": param, "value": float(stop)}}
    elif name == "play" and isinstance(value, bool):
        return {"play": value}
    elif name == "step" and value in (1, -1) and not isinstance(value, bool):
        return {"step": value}
    elif name == "frame" and isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= settings.steps:
            return {"frame": value}
        reasons.append(f"frame: {value} is outside 0 … {settings.steps}")
    else:
        reasons.append(f"{name}: not a valid value")
    return {}


def _slide_fields(state: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    """The optional deck (its link encoding, passed on as is), slide number and title."""
    kept: dict[str, Any] = {}
    title = state.get("title")
    if title is not None:
        if isinstance(title, str) and len(title) <= MAX_TITLE_CHARS:
            kept["title"] = title
        else:
            reasons.append(f"title: a string of at most {MAX_TITLE_CHARS} characters")
    deck = state.get("deck")
    if deck is not None:
        if isinstance(deck, str) and len(deck) <= MAX_DECK_CHARS and re.fullmatch(r"[\w-]*", deck):
            kept["deck"] = deck
        else:
            reasons.append(f"deck: base64url text of at most {MAX_DECK_CHARS} characters")
    slide = state.get("slide")
    if slide is not None:
        if isinstance(slide, int) and not isinstance(slide, bool) and 1 <= slide <= MAX_SLIDES:
            kept["slide"] = slide
        else:
            reasons.append(f"slide: a whole number from 1 to {MAX_SLIDES}")
    return kept


# Views already opened, with their settings and notes: a drag sends the same view up to 20
# times a second, and a known view is checked on the event loop, with no thread hop.
MAX_CHECKED_VIEWS = 256
_checked_views: dict[tuple[tuple[str, str], ...], tuple[Settings, tuple[str, ...]]] = {}
_checked_lock = threading.Lock()


def _view_key(params: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(params.items()))


def _open_view(params: dict[str, str]) -> tuple[Settings, list[str]]:
    """:func:`.settings.from_query_params` of the view, remembered for the next state."""
    from .scenarios import SCENARIO_SETTINGS

    key = _view_key(params)
    with _checked_lock:
        found = _checked_views.get(key)
    if found is None:
        settings, notes = from_query_params(params, scenarios=SCENARIO_SETTINGS)
        found = (settings, tuple(notes))
        with _checked_lock:
            while len(_checked_views) >= MAX_CHECKED_VIEWS:
                _checked_views.pop(next(iter(_checked_views)))
            _checked_views[key] = found
    return found[0], list(found[1])


def view_is_known(state: object) -> bool:
    """True if checking ``state`` opens no new view (so it may run on the event loop)."""
    view = state.get("view") if isinstance(state, dict) else None
    if not isinstance(view, dict):
        return True  # refused without opening anything
    params = _view_params(view, [])
    with _checked_lock:
        return params is not None and _view_key(params) in _checked_views


def validate_state(state: object) -> tuple[dict[str, Any] | None, list[str]]:
    """The state as it will be broadcast (only known, checked fields), or None and why not."""
    if not isinstance(state, dict):
        return None, ["the state must be a JSON object"]
    reasons = [f"unknown field {name!r}" for name in state if name not in STATE_FIELDS][:5]
    params = _view_params(state.get("view"), reasons)
    if params is None:
        return None, reasons
    settings, notes = _open_view(params)
    reasons += [f"view: {note}" for note in notes]
    clean = {
        "view": params,
        **_slide_fields(state, reasons),
        **_live_move(state, settings, reasons),
    }
    return (None, reasons) if reasons else (clean, [])


# --- the routes ----------------------------------------------------------------------


async def _body(request: Request) -> bytes | None:
    """The request's body, or None if it is longer than :data:`MAX_BODY_BYTES`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _authorize(request: Request) -> str | Response:
    """The class code if the request carries the class's lead secret, else the refusal."""
    code = request.path_params["code"]
    lead = _bearer(request)
    if lead is None:
        return _error(401, "no lead secret (Authorization: Bearer …)")
    record = await broker().record(code) if CODE_PATTERN.fullmatch(code) else None
    if record is None:
        return _error(404, "no such class (it may have ended)")
    if not hmac.compare_digest(lead_hash(lead), record.lead_hash):
        return _error(403, "wrong lead secret")
    return code


def client_address(request: Request) -> str:
    """Who starts a class, for the per-address limit: the connection's peer, which uvicorn
    (under Streamlit) replaces by the X-Forwarded-For client only when the peer is a proxy
    listed in ``FORWARDED_ALLOW_IPS`` (default: loopback). Behind the Kubernetes ingress the
    peer is the ingress controller, so deploy/kubernetes.yaml lists it there; a client
    that reaches the server directly cannot choose its address with a header."""
    return request.client.host if request.client is not None else "unknown"


async def create_class(request: Request) -> Response:
    try:
        await broker().count_start(client_address(request))
    except BrokerError as err:
        return _error(err.status, str(err))
    lead = secrets.token_urlsafe(32)
    for _ in range(5):  # a code already taken: draw another
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            await broker().create(code, lead_hash(lead))
        except BrokerError as err:
            if err.status != BrokerError.status:
                return _error(err.status, str(err))
            continue
        return JSONResponse({"code": code, "lead": lead}, status_code=201)
    return _error(503, "no free class code; try again")


async def post_state(request: Request) -> Response:
    authorized = await _authorize(request)
    if isinstance(authorized, Response):
        return authorized
    body = await _body(request)
    if body is None:
        return _error(413, f"a state is at most {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return _error(422, "not JSON", reasons=["the body is not JSON"])
    if view_is_known(payload):  # a drag's repeated view: microseconds
        clean, reasons = validate_state(payload)
    else:  # opening a new view may build a custom formula: off the event loop
        clean, reasons = await asyncio.to_thread(validate_state, payload)
    if clean is None:
        return _error(422, "state refused: nothing was sent", reasons=reasons)
    try:
        await broker().publish(authorized, json.dumps(clean, separators=(",", ":")))
    except BrokerError as err:
        return _error(err.status, str(err))
    return Response(status_code=204)


async def class_status(request: Request) -> Response:
    """The lecturer's poll: how many follow and explore (and the lead is still here)."""
    authorized = await _authorize(request)
    if isinstance(authorized, Response):
        return authorized
    await broker().touch(authorized)
    return JSONResponse(await broker().counts(authorized))


async def end_class(request: Request) -> Response:
    """The lecturer's "Stop leading": the class ends now; each follower gets ``ended`` and
    keeps the last view."""
    authorized = await _authorize(request)
    if isinstance(authorized, Response):
        return authorized
    await broker().end(authorized)
    return Response(status_code=204)


def _sse(event: str, data: str, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


def _last_seen_id(request: Request) -> int:
    raw = request.headers.get("last-event-id") or request.query_params.get("last", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else 0


async def _stream(
    code: str, subscription: Any, last: int, first: Event | None
) -> AsyncIterator[str | bytes]:
    try:
        yield "retry: 2000\n\n"
        if first is not None and first.id > last:
            last = first.id
            yield _sse("state", first.data, first.id)
        while True:
            try:
                # asyncio.timeout, not wait_for: wait_for wraps each get in a task of its
                # own, and this runs once per follower for every state.
                async with asyncio.timeout(HEARTBEAT_S):
                    event = await subscription.queue.get()
            except TimeoutError:
                record = await broker().record(code)
                if record is None:
                    yield _sse("ended", "{}")
                    return
                idle = max(0.0, time.time() - record.lead_seen)
                yield _sse("lead", json.dumps({"idle": round(idle)}))
                continue
            if event is ENDED:
                yield _sse("ended", "{}")
                return
            if event.id > last:
                last = event.id
                yield event.frame
    finally:
        await broker().unsubscribe(subscription)


async def class_events(request: Request) -> Response:
    code = request.path_params["code"]
    mode = request.query_params.get("mode", "follow")
    if mode not in MODES:
        return _error(422, f"mode must be one of {', '.join(MODES)}")
    record = await broker().record(code) if CODE_PATTERN.fullmatch(code) else None
    if record is None:
        return _error(404, "no such class (it may have ended)")
    try:
        subscription = await broker().subscribe(code, mode)
    except BrokerError as err:
        return _error(err.status, str(err))
    return StreamingResponse(
        _stream(code, subscription, _last_seen_id(request), record.last),
        media_type="text/event-stream",
        # No proxy may buffer or cache the stream (nginx honours X-Accel-Buffering).
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


ROUTES = [
    Route("/api/classes", create_class, methods=["POST"]),
    Route("/api/classes/{code}", class_status, methods=["GET"]),
    Route("/api/classes/{code}", end_class, methods=["DELETE"]),
    Route("/api/classes/{code}/state", post_state, methods=["POST"]),
    Route("/api/classes/{code}/events", class_events, methods=["GET"]),
]
