"""Session state: the widgets' values ↔ :class:`Settings`, and every callback that writes them.

Widget state lives in ``st.session_state`` under the :class:`Settings` field names (plus
``scenario``, ``map``, ``parameter_map``, ``theory_point``, ``map_method`` and ``view``
for the widgets that are not settings). Streamlit lets a script write a widget's value
only before that widget is drawn, so values are written here and nowhere else: on a
session's first run (:func:`init_state`, before any widget) and in callbacks (which run
before the script). Keeping every writer in one module makes that rule easy to check.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, fields

import streamlit as st

from surfaces import ExpressionError, from_expression

from ..numerics.optimizer import METHODS
from .scenarios import SCENARIO_SETTINGS, SCENARIOS
from .settings import (
    CUSTOM,
    CUSTOM_FIELDS,
    DEFAULT_BOUND_VALUES,
    DEFAULT_EXPRESSION,
    VIEWS,
    Settings,
    defaults_for,
    from_query_params,
    surface_of,
)
from .streamlit_internals import widget_keys_from_browser

_FIELDS = tuple(f.name for f in fields(Settings))
_LINK = "_link_settings"  # the settings the address bar held on the session's first run


# Widgets drawn only inside their tab. Streamlit forgets a widget's value in a run that
# does not draw it, so each also keeps its value under "_<name>", which lasts; the
# widget is restored from it before it is drawn (restore) and updates it (remember).
_IN_TABS = ("map_method", "theory_point", "anatomy", "anatomy_step")
_VIEW_SLUGS = {label: slug for slug, label in VIEWS.items()}

# The custom surface's form in the sidebar edits drafts ("draft_expr", "draft_xmin", ...);
# "Apply" checks them and only then stores them as the settings "expr", "xmin", ... (plain
# state, no widget: they last while another surface is shown, so choosing "custom" again
# brings back the last formula). A refusal is kept under ERROR for the sidebar to show.
DRAFT = "draft_"
ERROR = "_custom_error"


def _store(settings: Settings, keep: Collection[str] = ()) -> None:
    """Write settings into the widgets' session state (callbacks and first run only).

    Widgets named in ``keep`` are left alone. The custom surface's formula and bounds are
    written only with a custom surface (other surfaces leave the last formula in place),
    and then into the form's drafts too.
    """
    if settings.surface != CUSTOM:
        keep = {*keep, *CUSTOM_FIELDS}
    for name, value in asdict(settings).items():
        if name in keep:
            continue
        if name in CUSTOM_FIELDS:
            st.session_state[DRAFT + name] = value
        if name == "methods":
            value = list(value)
        elif name == "view":
            value = VIEWS[value]  # the tabs widget holds the label
        elif name in _IN_TABS:
            st.session_state[f"_{name}"] = value
        st.session_state[name] = value


def restore(name: str) -> None:
    """Before drawing a widget that lives in a tab: give it the value it last had.

    Written every time: after a run that did not draw the widget, its key may still be
    listed in the session state while the widget itself comes back with its default.
    """
    if f"_{name}" in st.session_state:
        st.session_state[name] = st.session_state[f"_{name}"]


def remember(name: str) -> None:
    """``on_change`` of a widget that lives in a tab: keep its value for later runs."""
    st.session_state[f"_{name}"] = st.session_state[name]


def lasting(name: str) -> dict[str, object]:
    """Restore a widget that lives in a tab, and the arguments that make it remember:
    ``st.radio(label, options, **lasting("map_method"))``."""
    restore(name)
    return {"key": name, "on_change": remember, "args": (name,)}


def value_of(name: str) -> object:
    """A setting as the widgets hold it now, before or after its widget is drawn.

    On a reconnecting page's first run the values the browser sent are not readable by
    key until their widgets are drawn; until then the address bar's value stands in (it is
    what the page showed before the move, so the slider's stops are the page's stops).
    """
    for key in (name, f"_{name}"):
        if key in st.session_state:
            return st.session_state[key]
    return getattr(st.session_state[_LINK], name)


def current_settings() -> Settings:
    """The settings the widgets hold now."""
    values = {name: value_of(name) for name in _FIELDS}
    values["methods"] = tuple(m for m in METHODS if m in (values["methods"] or ()))
    view = values["view"]
    values["view"] = view if view in VIEWS else _VIEW_SLUGS.get(view, "race")
    if values["surface"] != CUSTOM:  # the formula in memory is not part of this view
        values.update(zip(CUSTOM_FIELDS, ("", *DEFAULT_BOUND_VALUES), strict=True))
    elif not values["expr"]:  # "custom" picked before any formula was stored (a reconnect)
        values["expr"] = DEFAULT_EXPRESSION
    values["anatomy"] = bool(values["anatomy"])
    # The anatomy's step t (θ_t → θ_{t+1}) exists for t < steps: fewer steps pull it back.
    values["anatomy_step"] = min(max(int(values["anatomy_step"] or 0), 0), values["steps"] - 1)
    return Settings(**values)


def _custom_memory() -> dict[str, object]:
    """The last custom formula and bounds this session applied (the defaults if none)."""
    expr = st.session_state.get("expr") or ""
    if not expr:
        return {"expr": DEFAULT_EXPRESSION}
    values = [
        st.session_state.get(name, d)
        for name, d in zip(CUSTOM_FIELDS[1:], DEFAULT_BOUND_VALUES, strict=True)
    ]
    return {"expr": expr, "bounds": ((values[0], values[1]), (values[2], values[3]))}


def init_state() -> list[str]:
    """On a session's first run, load the settings from the address bar.

    A page that reconnects after a server restart starts a new session whose first run
    already carries its widgets' values; those win over the address bar (which is older:
    it holds the view before the move that started this run).

    Returns notes about link values that were clamped or dropped: on the first run only,
    so each note is shown once.
    """
    if "_initialized" in st.session_state:
        return []
    settings, notes = from_query_params(st.query_params.to_dict(), scenarios=SCENARIO_SETTINGS)
    st.session_state[_LINK] = settings
    _store(settings, keep=widget_keys_from_browser())
    st.session_state["_initialized"] = True
    return notes


def store_followed(settings: Settings, keep: Collection[str]) -> None:
    """A followed lecturer's view (a callback of app/follow.py): every widget takes it,
    except those in ``keep`` (the follower's own layout)."""
    _store(settings, keep=keep)


# --- sidebar callbacks ---------------------------------------------------------------


def _kept(s: Settings) -> dict[str, object]:
    """What a new surface carries over: methods, noise, seed, the view's choices, lecture
    mode, replay speed and the anatomy toggle (its step starts again at 0)."""
    keep: dict[str, object] = {"methods": s.methods, "noise": s.noise, "seed": s.seed}
    keep |= {"view": s.view, "map_method": s.map_method, "theory_point": s.theory_point}
    return keep | {"lecture": s.lecture, "speed": s.speed, "anatomy": s.anatomy}


def on_surface_change() -> None:
    """A new surface starts from its own defaults; methods, noise and seed carry over.

    The custom surface comes back with the last formula this session applied.
    """
    s = current_settings()
    st.session_state.pop(ERROR, None)
    custom = _custom_memory() if s.surface == CUSTOM else {}
    _store(defaults_for(s.surface, s.kappa, **custom, **_kept(s)))


def on_apply_custom() -> None:
    """The custom surface's "Apply": build the drafted formula on the drafted bounds.

    A refused formula (or bounds that are not increasing) leaves the surface as it was and
    keeps the reason under :data:`ERROR`; an accepted one loads its defaults (start, α, γ,
    steps), as choosing a surface does.
    """
    expr = str(st.session_state.get(DRAFT + "expr") or "").strip()
    xmin, xmax, ymin, ymax = (
        float(st.session_state.get(DRAFT + name, d))
        for name, d in zip(CUSTOM_FIELDS[1:], DEFAULT_BOUND_VALUES, strict=True)
    )
    for axis, lo, hi in (("x", xmin, xmax), ("y", ymin, ymax)):
        if not lo < hi:
            st.session_state[ERROR] = f"{axis} min ({lo:g}) must be below {axis} max ({hi:g})"
            return
    bounds = ((xmin, xmax), (ymin, ymax))
    try:
        from_expression(expr, bounds)
    except ExpressionError as err:
        st.session_state[ERROR] = f"column {err.column}: {err.reason}"
        return
    except ValueError as err:  # the bounds (e.g. a box too narrow for where it sits)
        st.session_state[ERROR] = str(err)
        return
    st.session_state.pop(ERROR, None)
    _store(defaults_for(CUSTOM, expr=expr, bounds=bounds, **_kept(current_settings())))


def on_reset() -> None:
    """The reset button: the same as choosing the surface again."""
    on_surface_change()


def on_scenario_change() -> None:
    """A guided scenario sets every control."""
    key = st.session_state["scenario"]
    if key in SCENARIOS:
        _store(SCENARIOS[key].settings, keep=("lecture", "speed"))  # how the page is shown stays


# --- callbacks of the tabs -----------------------------------------------------------


def show_anatomy_step(step: int) -> None:
    """Before drawing the anatomy's step input: give it the step the settings hold
    (already clamped to the run's steps, which may have shrunk since it was set)."""
    st.session_state["anatomy_step"] = st.session_state["_anatomy_step"] = step


def on_anatomy_step(delta: int, last: int) -> None:
    """The anatomy's "previous step" / "next step" buttons (and ← →): move by ``delta``,
    within 0 … ``last``."""
    step = int(value_of("anatomy_step") or 0) + delta
    show_anatomy_step(min(max(step, 0), last))


def on_map_select() -> None:
    """A click on the anatomy's still map sets the start point (the nearest click-grid
    marker)."""
    event = st.session_state.get("map")
    points = (event or {}).get("selection", {}).get("points", [])
    if points:
        _set_start(points[-1])


def on_live_map_click() -> None:
    """A click on the live race map sets the start point (the map sends {"x", "y"})."""
    result = st.session_state.get("race_map")
    click = result.get("click") if hasattr(result, "get") else None
    if isinstance(click, dict):
        _set_start(click)


def _set_start(point: dict) -> None:
    """Store a clicked point as the start, clamped to the surface's bounds; anything but
    two finite numbers is ignored (the browser sends it)."""
    x, y = point.get("x"), point.get("y")
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (x, y)):
        return
    (xmin, xmax), (ymin, ymax) = surface_of(current_settings()).bounds
    st.session_state["x0"] = round(min(max(float(x), xmin), xmax), 4)
    st.session_state["y0"] = round(min(max(float(y), ymin), ymax), 4)


def on_use_optimal(lr: float, momentum: float, start: tuple[float, float] | None) -> None:
    """The theory tab's "Use … optimal α, γ" buttons (and the start they were checked from).

    The values are stored exactly (the sliders insert them into their stops): rounded, a
    critically damped direction would read "oscillating" in the table.
    """
    st.session_state["lr"] = lr
    st.session_state["momentum"] = momentum
    if start is not None:
        st.session_state["x0"], st.session_state["y0"] = start


def on_parameter_map_select() -> None:
    """A click on an (α, γ) map cell sets α and γ (the cell's customdata holds them)."""
    event = st.session_state.get("parameter_map")
    points = (event or {}).get("selection", {}).get("points", [])
    data = points[-1].get("customdata") if points else None
    # customdata arrives as a list, or as {"0": α, "1": γ, …} when plotly sent it as a
    # typed array (it does for NumPy customdata).
    if isinstance(data, dict):
        data = [data.get(str(i)) for i in range(len(data))]
    if isinstance(data, list | tuple) and len(data) >= 2 and None not in data[:2]:
        lr, momentum = float(data[0]), float(data[1])
        if 0 < lr <= 1 and 0 <= momentum < 1:
            st.session_state["lr"] = lr
            st.session_state["momentum"] = momentum
