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
from dataclasses import Field, asdict, fields, replace

import streamlit as st

from surfaces import SURFACES, ExpressionError, from_expression

from ..numerics.optimizer import METHODS
from ..numerics.ranges import LR_RANGE, MOMENTUM_RANGE
from . import deck_session
from .fields import BATCH, FLAG, NUMBER, WHOLE, declaration_of
from .scenarios import SCENARIO_SETTINGS, SCENARIOS
from .settings import (
    BOUND_FIELDS,
    CUSTOM,
    CUSTOM_FIELDS,
    DATA_SURFACES,
    DEFAULT_BOUND_VALUES,
    DEFAULT_EXPRESSION,
    ECHO_CHARS,
    VIEWS,
    Settings,
    defaults_for,
    echo,
    examples_in,
    from_query_params,
    surface_of,
)
from .streamlit_internals import widget_keys_from_browser

_FIELDS = tuple(f.name for f in fields(Settings))
_FIELD = {f.name: f for f in fields(Settings)}
# The fields a surface sets when it is chosen (state.on_surface_change keeps the others).
_SURFACE_OWN = (
    "surface", "kappa", "standardize", "lr", "momentum", "steps", "x0", "y0",
    "batch_size", "batches", *CUSTOM_FIELDS,
)  # fmt: skip
_FLAGS = tuple(f.name for f in fields(Settings) if declaration_of(f).kind == FLAG)
_LINK = "_link_settings"  # the settings the address bar held on the session's first run
_NOTES = "_widget_notes"  # notes about refused widget values, until the page shows them


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


_ABSENT = object()  # what value_of's look-up returns for a key session state lacks


def value_of(name: str) -> object:
    """A setting as the widgets hold it now, before or after its widget is drawn.

    On a reconnecting page's first run the values the browser sent are not readable by
    key until their widgets are drawn; until then the address bar's value stands in (it is
    what the page showed before the move, so the slider's stops are the page's stops).
    """
    for key in (name, f"_{name}"):
        # One look-up, not ``in`` then ``[]``: each presents the widget's value afresh.
        value = st.session_state.get(key, _ABSENT)
        if value is not _ABSENT:
            return value
    return getattr(st.session_state[_LINK], name)


def _raw_values() -> dict[str, object]:
    """The widgets' values as Settings fields, before any check (the view's tab label
    turned into its slug; the formula of a surface that is not the custom one cleared)."""
    values = {name: value_of(name) for name in _FIELDS}
    view = values["view"]
    values["view"] = _VIEW_SLUGS.get(view, view) if isinstance(view, str) else view
    if values["surface"] != CUSTOM:  # the formula in memory is not part of this view
        values.update(zip(CUSTOM_FIELDS, ("", *DEFAULT_BOUND_VALUES), strict=True))
    elif not values["expr"]:  # "custom" picked before any formula was stored (a reconnect)
        values["expr"] = DEFAULT_EXPRESSION
    for name in _FLAGS:  # a toggle not drawn yet reads None: off
        values[name] = values[name] or False
    return values


def _checked_methods(value: object) -> tuple[str, ...] | None:
    """The methods a pills widget holds, in the app's order, or None if it holds
    anything but method names."""
    if value is None:  # none selected
        return ()
    if not isinstance(value, list | tuple) or not all(m in METHODS for m in value):
        return None
    return tuple(m for m in METHODS if m in value)


def _replacement(f: Field, value: object, settings: Settings) -> tuple[object, str]:
    """What stands in for a refused widget value, and the note that says so: a finite
    number outside its range is clamped, anything else gives the field's default."""
    declaration = declaration_of(f)
    shown = _quoted(value)
    if declaration.kind in (NUMBER, WHOLE, BATCH) and _finite_number(value):
        lo, hi = declaration.allowed(settings)
        clamped = min(max(float(value), lo), hi)  # type: ignore[arg-type]
        whole = declaration.kind != NUMBER
        if whole and lo <= value <= hi:  # type: ignore[operator]
            rounded = round(clamped)
            return rounded, f"{f.name} = {shown} is not a whole number: using {rounded}."
        clamped = round(clamped) if whole else clamped
        return clamped, f"{f.name} = {shown} is outside [{lo:g}, {hi:g}]: using {clamped:g}."
    try:
        surface_defaults = defaults_for(
            settings.surface,
            settings.kappa,
            expr=settings.expr or DEFAULT_EXPRESSION,
            bounds=settings.bounds,
            standardize=settings.standardize,
        )
        default = getattr(surface_defaults, f.name)
    except ValueError:  # a formula refused since (ExpressionError is a ValueError)
        default = f.default
    return default, f"{f.name} = {shown} is not a value it can take: using {default!r}."


def _as_declared(f: Field, value: object) -> object:
    """An accepted value in its field's type (1 → True for a flag, 5.0 → 5 for a whole
    number), so equal settings make equal cache keys."""
    kind = declaration_of(f).kind
    if kind == FLAG:
        return bool(value)
    if kind in (WHOLE, BATCH):
        return int(value)  # type: ignore[call-overload]
    return value


def _quoted(value: object) -> str:
    """A value the browser sent, as a note quotes it: its repr, cut like a link's."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else f"{text[:ECHO_CHARS]}… ({len(text):,} characters)"


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _checked(raw: dict[str, object]) -> tuple[Settings, list[str]]:
    """Settings from the widgets' values, each checked against its declaration (type,
    finite, inside its range or choices); a value that fails is replaced (see
    :func:`_replacement`) and named in a note. The fields whose range depends on others
    (the start on the surface's box, the anatomy's step below the steps) come last."""
    settings, notes = Settings(), []
    if raw["surface"] not in SURFACES and raw["surface"] != CUSTOM:
        notes.append(
            f"surface = {echo(str(raw['surface']))} is not one of {', '.join(SURFACES)}, "
            f"{CUSTOM}: showing {settings.surface}."
        )
        # The default surface's own settings; the others (methods, noise, seed, the
        # view's choices) stay, as when a surface is chosen.
        own = asdict(defaults_for(settings.surface))
        raw |= {name: own[name] for name in _SURFACE_OWN}
    steps = raw["steps"]
    if _finite_number(raw["anatomy_step"]) and _finite_number(steps):
        # The anatomy's step t (θ_t → θ_{t+1}) exists for t < steps: fewer steps pull it back.
        raw["anatomy_step"] = min(max(raw["anatomy_step"], 0), int(steps) - 1)  # type: ignore[call-overload]
    ordered = sorted(fields(Settings), key=lambda f: declaration_of(f).range_of is not None)
    # The accepted values wait in ``pending`` until a check reads the settings (a range
    # that depends on other fields, a replacement's surface defaults): one ``replace``
    # per run instead of one per field (this runs several times in every rerun).
    pending: dict[str, object] = {}
    for f in ordered:
        value = raw[f.name]
        if f.name == "methods":
            value = _checked_methods(value)
        declaration = declaration_of(f)
        if pending and declaration.range_of is not None:
            settings, pending = replace(settings, **pending), {}
        if value is None or not declaration.accepts(value, settings):
            settings, pending = replace(settings, **pending), {}
            value, note = _replacement(f, raw[f.name], settings)
            notes.append(note)
        pending[f.name] = _as_declared(f, value)
    return replace(settings, **pending), notes


def current_settings() -> Settings:
    """The settings the widgets hold now, each checked against its declaration: what
    the browser sent is data (a crafted message can send anything), so a value a field
    cannot take is replaced, with a note shown above the tabs (:func:`widget_notes`)."""
    settings, notes = _checked(_raw_values())
    if notes:
        kept = st.session_state.setdefault(_NOTES, [])
        kept.extend(note for note in notes if note not in kept)
    return settings


def has_widget_notes() -> bool:
    """Whether a refused widget value left a note not shown yet."""
    return bool(st.session_state.get(_NOTES))


def widget_notes() -> list[str]:
    """The notes about refused widget values since the last call (each shown once)."""
    return st.session_state.pop(_NOTES, [])


def repair_widgets(settings: Settings | None = None, names: Collection[str] = _FIELDS) -> None:
    """Before the widgets of ``names`` are drawn: write back the values that replaced
    refused ones in ``settings`` (:func:`current_settings` if None), so a crafted value
    is refused once, not on every rerun."""
    if settings is None:
        settings = current_settings()
    for name in names:
        if name in ("view", "methods") or name in CUSTOM_FIELDS:
            continue  # shown in another form by their widgets; checked on every run
        value = st.session_state.get(name, _ABSENT)
        if name in _FLAGS and value is None:
            value = False  # a toggle not drawn yet (as _raw_values reads it)
        if value is not _ABSENT and value != getattr(settings, name):
            st.session_state[name] = getattr(settings, name)


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
    params, deck_notes = deck_session.open_link(st.query_params.to_dict())
    settings, notes = from_query_params(params, scenarios=SCENARIO_SETTINGS)
    st.session_state[_LINK] = settings
    _store(settings, keep=widget_keys_from_browser())
    st.session_state["_initialized"] = True
    return deck_notes + notes


def store_followed(settings: Settings, keep: Collection[str]) -> None:
    """A followed lecturer's view (a callback of app/follow.py): every widget takes it,
    except those in ``keep`` (the follower's own layout)."""
    _store(settings, keep=keep)


# --- sidebar callbacks ---------------------------------------------------------------


def _kept(s: Settings) -> dict[str, object]:
    """What a new surface carries over: methods, noise, seed, the view's choices, lecture
    mode, replay speed, "Play on open" and the anatomy toggle (its step starts again at 0)."""
    keep: dict[str, object] = {"methods": s.methods, "noise": s.noise, "seed": s.seed}
    keep |= {"view": s.view, "map_method": s.map_method, "theory_point": s.theory_point}
    return keep | {
        "lecture": s.lecture,
        "speed": s.speed,
        "autoplay": s.autoplay,
        "anatomy": s.anatomy,
    }


def on_surface_change() -> None:
    """A new surface starts from its own defaults; methods, noise and seed carry over.

    The custom surface comes back with the last formula this session applied.
    """
    s = current_settings()
    st.session_state.pop(ERROR, None)
    custom = _custom_memory() if s.surface == CUSTOM else {}
    # The batch size and order stay while they fit the new surface's data.
    batches = {"batch_size": s.batch_size, "batches": s.batches}
    same_data = s.batch_size <= examples_in(s.surface) and s.surface in DATA_SURFACES
    kept = _kept(s) | (batches if same_data else {})
    _store(defaults_for(s.surface, s.kappa, standardize=s.standardize, **custom, **kept))


def on_apply_custom() -> None:
    """The custom surface's "Apply": build the drafted formula on the drafted bounds.

    A refused formula (or bounds that are not increasing) leaves the surface as it was and
    keeps the reason under :data:`ERROR`; an accepted one loads its defaults (start, α, γ,
    steps), as choosing a surface does.
    """
    expr = str(st.session_state.get(DRAFT + "expr") or "").strip()
    drafts = [st.session_state.get(DRAFT + name, _FIELD[name].default) for name in BOUND_FIELDS]
    settings = current_settings()
    for name, value in zip(BOUND_FIELDS, drafts, strict=True):
        declaration = declaration_of(_FIELD[name])
        if not (_finite_number(value) and declaration.accepts(value, settings)):
            lo, hi = declaration.allowed(settings)
            st.session_state[ERROR] = f"{name} = {value!r} is not a number in [{lo:g}, {hi:g}]"
            return
    xmin, xmax, ymin, ymax = (float(value) for value in drafts)
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


def load_view(settings: Settings) -> None:
    """Show a whole saved view (a deck's slide); the layout preference stays the viewer's."""
    _store(settings, keep=("lecture",))


def on_scenario_change() -> None:
    """A guided scenario sets every control."""
    key = st.session_state["scenario"]
    if key and key not in SCENARIOS:
        _ignored("scenario", key)
    if key in SCENARIOS:
        _store(
            SCENARIOS[key].settings, keep=("lecture", "speed", "autoplay")
        )  # how the page is shown stays


# --- callbacks of the tabs -----------------------------------------------------------


def show_anatomy_step(step: int) -> None:
    """Before drawing the anatomy's step input: give it the step the settings hold
    (already clamped to the run's steps, which may have shrunk since it was set)."""
    st.session_state["anatomy_step"] = st.session_state["_anatomy_step"] = step


def on_anatomy_step(delta: int, last: int) -> None:
    """The anatomy's "previous step" / "next step" buttons (and ← →): move by ``delta``,
    within 0 … ``last``."""
    step = current_settings().anatomy_step + delta
    show_anatomy_step(min(max(step, 0), last))


def _ignored(what: str, value: object) -> None:
    """Note a value the browser sent that a callback cannot use (shown once)."""
    kept = st.session_state.setdefault(_NOTES, [])
    note = f"{what} = {_quoted(value)} is not one the page can use: ignored."
    if note not in kept:
        kept.append(note)


def _last_point(widget_key: str) -> dict | None:
    """The last point of a chart selection's event, or None (with a note if the event
    is not the shape Plotly sends: a list of points, each a mapping)."""
    event = st.session_state.get(widget_key)
    selection = event.get("selection") if hasattr(event, "get") else None
    points = selection.get("points") if hasattr(selection, "get") else None
    if not points:
        return None
    if not isinstance(points, list) or not isinstance(points[-1], dict):
        _ignored("a map click", points)
        return None
    return points[-1]


def on_live_map_click() -> None:
    """A click on the live race map (also the anatomy's still map) sets the start point
    (the map sends {"x", "y"})."""
    result = st.session_state.get("race_map")
    click = result.get("click") if hasattr(result, "get") else None
    if isinstance(click, dict):
        _set_start(click)
    elif click is not None:
        _ignored("a map click", click)


def on_live_map_slider() -> None:
    """α or γ released on the live map's own sliders (under the map on a phone; the map
    sends {"param": "lr" | "momentum", "value": v}): the sidebar's slider takes the value,
    so one value per parameter whichever control moved it. Anything else is ignored with a
    note (the browser sends it)."""
    result = st.session_state.get("race_map")
    moved = result.get("slider") if hasattr(result, "get") else None
    if moved is None:
        return
    param = moved.get("param") if isinstance(moved, dict) else None
    value = moved.get("value") if isinstance(moved, dict) else None
    allowed = {"lr": LR_RANGE, "momentum": MOMENTUM_RANGE}.get(param)  # type: ignore[arg-type]
    if allowed is None or not _finite_number(value) or not allowed[0] <= value <= allowed[1]:
        _ignored("a map slider", moved)
        return
    st.session_state[param] = float(value)  # type: ignore[index, arg-type]


def _set_start(point: dict) -> None:
    """Store a clicked point as the start, clamped to the surface's bounds; anything but
    two finite numbers is ignored with a note (the browser sends it)."""
    x, y = point.get("x"), point.get("y")
    if not (_finite_number(x) and _finite_number(y)):
        _ignored("a map click", {"x": x, "y": y})
        return
    (xmin, xmax), (ymin, ymax) = surface_of(current_settings()).bounds
    st.session_state["x0"] = round(min(max(float(x), xmin), xmax), 4)  # type: ignore[arg-type]
    st.session_state["y0"] = round(min(max(float(y), ymin), ymax), 4)  # type: ignore[arg-type]


def on_use_optimal(lr: float, momentum: float, start: tuple[float, float] | None) -> None:
    """The theory tab's "Use … optimal α, γ" buttons (and the start they were checked from).

    The values are stored exactly (the sliders insert them into their stops): rounded, a
    critically damped direction would read "oscillating" in the table.
    """
    st.session_state["lr"] = lr
    st.session_state["momentum"] = momentum
    if start is not None:
        st.session_state["x0"], st.session_state["y0"] = start


def _cell_values(data: object) -> tuple[float, float] | None:
    """α and γ from an (α, γ) map cell's customdata: a list, or {"0": α, "1": γ, …} when
    Plotly sent it as a typed array (it does for NumPy customdata); None unless both are
    finite numbers inside the sliders' ranges."""
    if isinstance(data, dict):
        data = [data.get(str(i)) for i in range(len(data))]
    if not isinstance(data, list | tuple) or len(data) < 2:
        return None
    lr, momentum = data[0], data[1]
    if not (_finite_number(lr) and _finite_number(momentum)):
        return None
    settings = Settings()
    for name, value in (("lr", lr), ("momentum", momentum)):
        if not declaration_of(_FIELD[name]).accepts(value, settings):
            return None
    return float(lr), float(momentum)  # type: ignore[arg-type]


def on_parameter_map_select() -> None:
    """A click on an (α, γ) map cell sets α and γ (the cell's customdata holds them)."""
    point = _last_point("parameter_map")
    if point is None:
        return
    values = _cell_values(point.get("customdata"))
    if values is None:
        _ignored("an (α, γ) map click", point.get("customdata"))
        return
    st.session_state["lr"], st.session_state["momentum"] = values


def fall_back_to(surface: str) -> None:
    """Show ``surface`` with its defaults, keeping what a new surface carries over (before
    any widget is drawn: a custom formula that failed to draw, see formula_guard)."""
    _store(defaults_for(surface, **_kept(current_settings())))
