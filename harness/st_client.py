"""A light Streamlit client that speaks the browser's websocket protocol (Streamlit 1.67).

It lets a benchmark or a test drive many Streamlit sessions from one Python process
without a browser.  It does what the frontend does, as read from the installed
``streamlit`` package (``web/server/starlette/starlette_websocket.py``,
``runtime/app_session.py``, ``proto/*.proto``) and its bundled JavaScript:

1. ``GET /_stcore/health`` and ``GET /_stcore/host-config`` (the frontend's "ping").  The
   health answer sets the ``_streamlit_xsrf`` cookie when XSRF protection is on.
2. Open ``ws://<host>/_stcore/stream`` with ``Sec-WebSocket-Protocol: streamlit, <xsrf
   cookie value or PLACEHOLDER_AUTH_TOKEN>``, the ``Origin`` of the page and the cookie.
   The server refuses (close code 1008) an Origin that is neither same-origin nor in
   ``server.corsAllowedOrigins``.  It compares the token with the cookie, but in 1.67 a
   mismatch does not refuse the connection, it only makes the server ignore the auth
   cookies (see the help of ``server.enableXsrfProtection``).  No websocket pings are
   sent (a browser cannot send them either).
3. The server starts no script run by itself: the client sends a ``BackMsg.rerun_script``
   carrying a ``ClientState``: the query string (the one the app last set with
   ``page_info_changed``, as the address bar would), the page script hash ("" first, then
   the one of the last ``new_session``), the widget states, the browser context and the
   hashes of the messages the client has cached.
4. Each run answers with ``new_session`` (tagged with the run's ``script_run_id``),
   ``session_status_changed``, ``delta`` messages (elements addressed by
   ``metadata.delta_path``) and ``script_finished`` tagged with the same run id.
   Large ``new_element`` deltas are marked ``metadata.cacheable``; like the browser, the
   client keeps them by hash, lists those hashes in ``cached_message_hashes`` and
   resolves ``ref_hash`` messages the server then sends instead of the full element.

Widget states: like the frontend, every rerun carries the current value of every widget
of the last run, not only the changed one.  The value is the one the client set, else
the one the server forced (``set_value``), else the widget's default.  Encoded kinds:
slider and select_slider, checkbox/toggle, number_input, selectbox, radio, multiselect,
pills/segmented_control, text_input, text_area, color_picker, time_input.  Other widgets
(buttons are triggers, keyed tabs, file uploaders, date inputs, chart selections, ...) are
left out of the message, so the server keeps the value it had for them from the previous
run; for a load benchmark that moves one slider this is the same thing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

__all__ = ["ProtocolError", "RunResult", "StreamlitSession", "http_get"]

XSRF_COOKIE = "_streamlit_xsrf"
_PLACEHOLDER_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend sends without a cookie
_STRING_WIDGETS = ("text_input", "text_area", "color_picker", "time_input")
_FINISHED_RUN = (
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
)
_SUCCESS = ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


class ProtocolError(RuntimeError):
    """The server answered something this client did not expect."""


@dataclass
class RunResult:
    """What one script run sent back, with arrival times (``time.perf_counter``)."""

    t_sent: float
    script_run_id: str = ""
    status: str = ""
    t_new_session: float | None = None
    t_first_delta: float | None = None
    t_chart: float | None = None  # first plotly_chart element of the run
    t_finished: float | None = None
    exceptions: list[str] = field(default_factory=list)  # exception elements (not warnings)
    warnings: list[str] = field(default_factory=list)  # exception elements with is_warning
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    # The fragment that wrote each element ("" outside any fragment); the fragments a
    # fragment run reran (empty for a full run).
    fragment_of: dict[tuple[int, ...], str] = field(default_factory=dict)
    # Keyed expanders (``st.expander(key=..., on_change=...)``, a widget) this run drew:
    # label -> (id, the fragment that drew it or "").
    expanders: dict[str, tuple[str, str]] = field(default_factory=dict)
    fragment_ids: tuple[str, ...] = ()
    n_messages: int = 0
    n_bytes: int = 0
    n_cache_refs: int = 0
    # (what, delta path, bytes) per message received, in order: what the bytes went to.
    sizes: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in _SUCCESS and not self.exceptions

    @property
    def latency(self) -> float:
        """Seconds from sending the rerun request to ``script_finished``."""
        assert self.t_finished is not None
        return self.t_finished - self.t_sent

    @property
    def chart_latency(self) -> float | None:
        """Seconds from sending the rerun request to the first plotly_chart delta."""
        return None if self.t_chart is None else self.t_chart - self.t_sent

    def component_bytes(self, key: str) -> bytes | None:
        """The bytes data of the keyed component ``key`` (``st.components.v2``) this run
        drew, or None (its element id ends in ``-<key>``)."""
        for el in self.elements.values():
            if el.WhichOneof("type") == "bidi_component" and el.bidi_component.id.endswith(
                f"-{key}"
            ):
                return el.bidi_component.bytes
        return None

    def texts(self) -> list[str]:
        """Bodies of the run's text and markdown elements, in delta-path order."""
        out = []
        for _, el in sorted(self.elements.items()):
            kind = el.WhichOneof("type")
            if kind in ("text", "markdown"):
                out.append(getattr(el, kind).body)
        return out


async def http_get(
    host: str, port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, list[tuple[str, str]], bytes]:
    """A minimal HTTP/1.1 GET (``Connection: close``); returns status, headers and body."""

    async def _get() -> tuple[int, list[tuple[str, str]], bytes]:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:  # pragma: no cover - peer already gone
                pass
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        parsed = []
        for line in header_lines:
            name, _, value = line.partition(":")
            parsed.append((name.strip().lower(), value.strip()))
        return status, parsed, body

    return await asyncio.wait_for(_get(), timeout)


def _widget_kind(el: Element) -> str | None:
    kind = el.WhichOneof("type")
    if kind == "slider":
        return "select_slider" if el.slider.type == Slider.SELECT_SLIDER else "slider"
    if kind in ("checkbox", "number_input", "selectbox", "radio", "multiselect", "button_group"):
        return kind
    if kind in _STRING_WIDGETS:
        return kind
    return None


def _current_state(kind: str, el: Element, wid: str) -> WidgetState | None:
    """The state the frontend would report for a widget it has not touched."""
    ws = WidgetState(id=wid)
    if kind == "slider":
        p = el.slider
        ws.double_array_value.data[:] = list(p.value if p.set_value else p.default)
    elif kind == "select_slider":
        p = el.slider
        if p.set_value:
            ws.string_array_value.data[:] = list(p.raw_value)
        else:
            ws.string_array_value.data[:] = [p.options[int(i)] for i in p.default]
    elif kind == "checkbox":
        ws.bool_value = el.checkbox.value if el.checkbox.set_value else el.checkbox.default
    elif kind == "number_input":
        p = el.number_input
        ws.double_value = p.value if p.set_value else p.default
    elif kind in ("selectbox", "radio"):
        p = getattr(el, kind)
        if p.set_value:
            ws.string_value = p.raw_value
        elif 0 <= p.default < len(p.options):
            ws.string_value = p.options[p.default]
        else:
            return None  # no selection: the frontend sends no value either
    elif kind == "multiselect":
        p = el.multiselect
        if p.set_value:
            ws.string_array_value.data[:] = list(p.raw_values)
        else:
            ws.string_array_value.data[:] = [p.options[i] for i in p.default]
    elif kind == "button_group":  # st.pills, st.segmented_control
        p = el.button_group
        if p.set_value:
            ws.string_array_value.data[:] = list(p.raw_values)
        else:
            ws.string_array_value.data[:] = [p.options[i].content for i in p.default]
    elif kind in _STRING_WIDGETS:
        p = getattr(el, kind)
        ws.string_value = p.value if p.set_value else p.default
    else:  # pragma: no cover - _widget_kind filters
        return None
    return ws


def _nearest_option(options: Sequence[str], value: object) -> str:
    """The option label equal to ``value``, else the numeric label nearest to it."""
    if str(value) in options:
        return str(value)
    numeric = {}
    for label in options:
        try:
            numeric[label] = float(label)
        except ValueError:
            continue
    if not numeric or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not one of the options {list(options)[:20]}")
    return min(numeric, key=lambda label: abs(numeric[label] - float(value)))


def _encode(kind: str, el: Element, wid: str, value: object) -> WidgetState:
    """The state the frontend sends after the user set ``value`` on the widget.

    A select_slider takes an option label, or a number: the nearest numeric label (the
    stop a user would drag to).
    """
    ws = WidgetState(id=wid)
    values = list(value) if isinstance(value, list | tuple) else [value]
    if kind == "slider":
        ws.double_array_value.data[:] = [float(v) for v in values]
    elif kind == "select_slider":
        ws.string_array_value.data[:] = [_nearest_option(el.slider.options, v) for v in values]
    elif kind in ("multiselect", "button_group"):
        ws.string_array_value.data[:] = [str(v) for v in values]
    elif kind == "checkbox":
        ws.bool_value = bool(value)
    elif kind == "number_input":
        ws.double_value = float(value)  # type: ignore[arg-type]
    else:
        ws.string_value = str(value)
    return ws


def _describe(fmsg: ForwardMsg) -> str:
    """What a message carries: its type, a new element's type, a chart's key."""
    kind = fmsg.WhichOneof("type")
    if kind != "delta":
        return kind or "?"
    if fmsg.delta.WhichOneof("type") != "new_element":
        return fmsg.delta.WhichOneof("type") or "delta"
    el = fmsg.delta.new_element
    el_kind = el.WhichOneof("type") or "element"
    if el_kind == "plotly_chart" and el.plotly_chart.id:
        # The element id ends with the user key ("...-map", "...-losses").
        return f"plotly_chart {el.plotly_chart.id.rsplit('-', 1)[-1]}"
    return el_kind


class StreamlitSession:
    """One browser tab's worth of Streamlit session, driven from asyncio.

    ``url`` is the app's page URL (e.g. ``http://127.0.0.1:8501/``; a base path is kept).
    ``timeout`` bounds each network wait (one HTTP request, the handshake, the gap
    between two messages); :meth:`rerun` is also bounded by ``run_timeout`` as a whole.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        run_timeout: float = 120.0,
        query_string: str = "",
        use_message_cache: bool = True,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http:// URL, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base_path = "/" + parts.path.strip("/") + "/" if parts.path.strip("/") else "/"
        self.origin = f"http://{self.host}:{self.port}"
        self.timeout = timeout
        self.run_timeout = run_timeout
        self.query_string = query_string
        self.use_message_cache = use_message_cache
        self.xsrf_token: str | None = None
        self.page_script_hash = ""  # "" = main page; then what new_session reports
        self.elements: dict[tuple[int, ...], Element] = {}  # the page after the last run
        self.fragment_of: dict[tuple[int, ...], str] = {}  # element path -> its fragment
        self.runs: list[RunResult] = []
        self._ws: websockets.ClientConnection | None = None
        self._cache: dict[str, ForwardMsg] = {}
        self._widgets: dict[str, tuple[str, Element]] = {}  # id -> (kind, element)
        self._states: dict[str, WidgetState] = {}  # id -> current value
        self.expanders: dict[str, tuple[str, str]] = {}  # keyed expanders seen, by label
        self._expander_states: dict[str, WidgetState] = {}  # id -> open or not

    # -- connection ---------------------------------------------------------------------
    async def connect(self) -> None:
        """Ping the server as the frontend does, keep the XSRF cookie, open the websocket."""
        headers = {"Origin": self.origin, "Accept": "*/*"}
        status, resp_headers, _ = await http_get(
            self.host, self.port, self.base_path + "_stcore/health", headers, self.timeout
        )
        if status != 200:
            raise ProtocolError(f"/_stcore/health answered HTTP {status}")
        for name, value in resp_headers:
            if name == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                if cookie_name.strip() == XSRF_COOKIE:
                    self.xsrf_token = rest.split(";", 1)[0].strip()
        cookie = f"{XSRF_COOKIE}={self.xsrf_token}" if self.xsrf_token else None
        if cookie:
            headers["Cookie"] = cookie
        await http_get(
            self.host, self.port, self.base_path + "_stcore/host-config", headers, self.timeout
        )
        extra = {"Cookie": cookie} if cookie else {}
        self._ws = await websockets.connect(
            f"ws://{self.host}:{self.port}{self.base_path}_stcore/stream",
            subprotocols=[
                websockets.Subprotocol("streamlit"),
                websockets.Subprotocol(self.xsrf_token or _PLACEHOLDER_TOKEN),
            ],
            origin=websockets.Origin(self.origin),
            additional_headers=extra,
            open_timeout=self.timeout,
            close_timeout=2,
            ping_interval=None,
            max_size=None,
        )
        if self._ws.subprotocol != "streamlit":
            raise ProtocolError(f"server selected subprotocol {self._ws.subprotocol!r}")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def __aenter__(self) -> StreamlitSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- widgets ------------------------------------------------------------------------
    def find_widget(self, key: str) -> tuple[str, Element]:
        """The (id, element) of the widget whose user key or full id is ``key``."""
        for wid, (_, el) in self._widgets.items():
            if wid == key or wid.split("-", 2)[-1] == key:
                return wid, el
        raise KeyError(f"no widget with key {key!r}; widgets: {sorted(self._widgets)}")

    def widget_states(self, overrides: dict[str, object] | None = None) -> WidgetStates:
        """Every current widget value, with ``overrides`` (user key or id -> value)."""
        states = dict(self._states)
        for key, value in (overrides or {}).items():
            wid, _ = self.find_widget(key)
            kind, el = self._widgets[wid]
            states[wid] = _encode(kind, el, wid, value)
        return WidgetStates(
            widgets=[states[w] for w in self._widgets if w in states]
            + list(self._expander_states.values())
        )

    async def set_widget(self, key: str, value: object) -> RunResult:
        """Set a widget as a user would, and return the rerun it triggers: the rerun of
        the fragment that drew it, if a fragment did (as the frontend asks for)."""
        states = self.widget_states({key: value})
        wid, _ = self.find_widget(key)
        self._states[wid] = next(s for s in states.widgets if s.id == wid)
        return await self.rerun(states, fragment_id=self.fragment_of_widget(wid))

    async def set_expander(self, label: str, expanded: bool) -> RunResult:
        """Open or close the keyed expander ``label`` as a user would, and return the
        rerun it triggers (of the fragment that drew it, if one did)."""
        wid, fragment = self.expanders[label]
        self._expander_states[wid] = WidgetState(id=wid, bool_value=expanded)
        return await self.rerun(self.widget_states(), fragment_id=fragment)

    def fragment_of_widget(self, wid: str) -> str:
        """The id of the fragment that drew widget ``wid`` ("" if none did)."""
        for path, el in self.elements.items():
            kind = el.WhichOneof("type")
            if kind and getattr(getattr(el, kind), "id", None) == wid:
                return self.fragment_of.get(path, "")
        return ""

    # -- script runs --------------------------------------------------------------------
    def _client_state(self, widget_states: WidgetStates | None) -> ClientState:
        cs = ClientState(query_string=self.query_string, page_script_hash=self.page_script_hash)
        if widget_states is not None:
            cs.widget_states.CopyFrom(widget_states)
        if self.use_message_cache:
            cs.cached_message_hashes.extend(self._cache)
        ctx = cs.context_info
        ctx.timezone, ctx.timezone_offset, ctx.locale = "UTC", 0, "en-US"
        ctx.url = self.origin + self.base_path + (f"?{self.query_string}" * bool(self.query_string))
        ctx.is_embedded, ctx.color_scheme = False, "light"
        return cs

    async def rerun(
        self, widget_states: WidgetStates | None = None, fragment_id: str = ""
    ) -> RunResult:
        """Request a script run and collect its messages until its ``script_finished``.

        Without ``widget_states`` the current values of all known widgets are sent (an
        empty set on the first run), as the frontend does for a plain rerun. With
        ``fragment_id`` only that fragment reruns: the page keeps every element the
        fragment did not write, as the browser's does.
        """
        if self._ws is None:
            raise ProtocolError("not connected")
        if widget_states is None:
            widget_states = self.widget_states()
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self._client_state(widget_states))
        msg.rerun_script.fragment_id = fragment_id
        result = RunResult(t_sent=time.perf_counter())
        await self._ws.send(msg.SerializeToString())
        async with asyncio.timeout(self.run_timeout):
            await self._collect(result)
        self.runs.append(result)
        self.elements = result.elements
        self.fragment_of = result.fragment_of
        self._update_widgets(result.elements)
        self.expanders |= result.expanders
        return result

    async def _collect(self, result: RunResult) -> None:
        assert self._ws is not None
        started = False
        while True:
            data = await asyncio.wait_for(self._ws.recv(), self.timeout)
            now = time.perf_counter()
            if isinstance(data, str):
                raise ProtocolError("text frame from server")
            fmsg = ForwardMsg()
            fmsg.ParseFromString(data)
            result.n_messages += 1
            result.n_bytes += len(data)
            kind = fmsg.WhichOneof("type")
            if kind == "ref_hash":
                cached = self._cache.get(fmsg.ref_hash)
                if cached is None:
                    raise ProtocolError(f"cache miss for ref_hash {fmsg.ref_hash}")
                metadata = fmsg.metadata
                fmsg = ForwardMsg()
                fmsg.CopyFrom(cached)
                fmsg.metadata.CopyFrom(metadata)
                kind = fmsg.WhichOneof("type")
                result.n_cache_refs += 1
            elif fmsg.metadata.cacheable and fmsg.hash and self.use_message_cache:
                self._cache[fmsg.hash] = fmsg
            result.sizes.append((_describe(fmsg), tuple(fmsg.metadata.delta_path), len(data)))

            if kind == "new_session":
                # A new run starts (messages before it are left over from the last run).
                started = True
                result.script_run_id = fmsg.metadata.run.script_run_id
                result.t_new_session = result.t_new_session or now
                result.fragment_ids = tuple(fmsg.metadata.run.fragment_ids)
                # A full run redraws the page; a fragment run only what its fragments wrote.
                result.fragment_of = {
                    path: frag
                    for path, frag in self.fragment_of.items()
                    if result.fragment_ids and frag not in result.fragment_ids
                }
                result.elements = {p: self.elements[p] for p in result.fragment_of}
                self.page_script_hash = fmsg.new_session.page_script_hash
            elif not started:
                continue
            elif kind == "delta":
                result.t_first_delta = result.t_first_delta or now
                block = fmsg.delta.add_block if fmsg.delta.HasField("add_block") else None
                if block is not None and block.HasField("expandable") and block.expandable.id:
                    result.expanders[block.expandable.label] = (
                        block.expandable.id,
                        fmsg.delta.fragment_id,
                    )
                if fmsg.delta.WhichOneof("type") == "new_element":
                    el = fmsg.delta.new_element
                    path = tuple(fmsg.metadata.delta_path)
                    result.elements[path] = el
                    result.fragment_of[path] = fmsg.delta.fragment_id
                    el_kind = el.WhichOneof("type")
                    if el_kind == "plotly_chart" and result.t_chart is None:
                        result.t_chart = now
                    elif el_kind == "exception":
                        text = f"{el.exception.type}: {el.exception.message}"
                        (result.warnings if el.exception.is_warning else result.exceptions).append(
                            text
                        )
            elif kind == "page_info_changed":
                # The app set st.query_params: the browser's address bar changes, and
                # later reruns carry the new query string.
                self.query_string = fmsg.page_info_changed.query_string
            elif kind == "session_event":
                if fmsg.session_event.HasField("script_compilation_exception"):
                    exc = fmsg.session_event.script_compilation_exception
                    result.exceptions.append(f"{exc.type}: {exc.message}")
            elif kind == "script_finished":
                run_id = fmsg.metadata.run.script_run_id
                if run_id and result.script_run_id and run_id != result.script_run_id:
                    continue  # the end of some other run
                if fmsg.script_finished in _FINISHED_RUN:
                    result.status = ForwardMsg.ScriptFinishedStatus.Name(fmsg.script_finished)
                    result.t_finished = now
                    return
                # FINISHED_EARLY_FOR_RERUN (e.g. st.rerun()): wait for the next run.
                started = False

    def _update_widgets(self, elements: dict[tuple[int, ...], Element]) -> None:
        widgets: dict[str, tuple[str, Element]] = {}
        for el in elements.values():
            kind = _widget_kind(el)
            if kind is None:
                continue
            wid = getattr(el, el.WhichOneof("type")).id
            widgets[wid] = (kind, el)
            forced = getattr(el, el.WhichOneof("type")).set_value
            if forced or wid not in self._states:
                state = _current_state(kind, el, wid)
                if state is not None:
                    self._states[wid] = state
        self._widgets = widgets
        for wid in list(self._states):
            if wid not in widgets:
                del self._states[wid]
