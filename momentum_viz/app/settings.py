"""The app's settings: one immutable object, its allowed ranges, and its URL form.

Everything the user can set lives in :class:`Settings`. The UI reads widgets into it,
the address bar holds it (:func:`to_query_params` / :func:`from_query_params`), and the
cached computations take its plain fields as arguments. Pure Python: no Streamlit here.

>>> s = Settings(surface="multiwell", lr=0.3, momentum=0.9, steps=300, x0=-3.5, y0=2.5)
>>> from_query_params(to_query_params(s))[0] == s
True
>>> settings, notes = from_query_params({"momentum": "5", "steps": "many"})
>>> settings.momentum, notes[0]
(0.999, 'momentum = 5 is outside [0, 0.999]: using 0.999.')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from surfaces import (
    DEFAULT_KAPPA,
    KAPPA_RANGE,
    SURFACES,
    ExpressionError,
    Surface,
    from_expression,
    quadratic,
)
from surfaces.expression import DEFAULT_BOUNDS, MAX_BOUND

from ..numerics.optimizer import METHODS
from ..numerics.ranges import LR_RANGE, MOMENTUM_RANGE, NOISE_RANGE, SEED_RANGE, STEPS_RANGE

DEFAULT_METHODS = ("sgd", "momentum")

# The surface a user types (surfaces.from_expression): its name in links and the selector,
# the formula it starts with, and the Settings fields that belong to it alone.
CUSTOM = "custom"
CUSTOM_TITLE = "Your own J(x, y)"
DEFAULT_EXPRESSION = "sin(3*x) * cos(3*y) + 0.1*(x**2 + y**2)"
BOUND_FIELDS = ("xmin", "xmax", "ymin", "ymax")
CUSTOM_FIELDS = ("expr", *BOUND_FIELDS)
DEFAULT_BOUND_VALUES = (*DEFAULT_BOUNDS[0], *DEFAULT_BOUNDS[1])

# Streamlit ignores a query string of more than 1,000 parameters or 512 Ki characters
# (streamlit/runtime/state/query_params.py), so the script would see an empty link and show
# the defaults without a word. The server (momentum_viz.app.server) redirects such a link
# to ``/?<IGNORED_LINK>=1``, and this parameter turns into a note.
IGNORED_LINK = "link-ignored"
# /?follow=<class code> opens the page following a lecturer (app/follow.py); not a setting.
FOLLOW_LINK_KEY = "follow"
MAX_LINK_FIELDS = 1000
MAX_LINK_CHARS = 512 * 1024


def _per_decade(mantissas: tuple[float, ...], decades: range) -> tuple[float, ...]:
    """m·10^e for every decade e and mantissa m, as printed (0.3, not 0.30000000000000004)."""
    return tuple(float(f"{m * 10.0**e:.1e}") for e in decades for m in mantissas)


# The stops of the log-scale sliders (the sidebar adds the current value, so a value from
# a link or the theory tab stays exact). α: 1, 1.5, 2, 3, 5, 7 per decade, 1e-5 … 1.
LR_STOPS = (*_per_decade((1.0, 1.5, 2.0, 3.0, 5.0, 7.0), range(-5, 0)), LR_RANGE[1])
# Gradient noise σ: 0, then 1, 2, 5 per decade, 0.01 … 50.
NOISE_STOPS = (NOISE_RANGE[0], *_per_decade((1.0, 2.0, 5.0), range(-2, 2)))
# Condition number κ of the quadratic bowl: 1, 2, 5 per decade, 1 … 1000.
KAPPA_STOPS = (*_per_decade((1.0, 2.0, 5.0), range(3)), KAPPA_RANGE[1])
# γ from 0 to 0.999, coarse near 0 and ever finer towards 1, where it matters.
MOMENTUM_STOPS = tuple(
    sorted(
        {round(float(v), 3) for v in np.arange(0.0, 0.9, 0.05)}
        | {round(float(v), 3) for v in np.arange(0.9, 0.99, 0.01)}
        | {round(float(v), 3) for v in np.arange(0.99, 0.9995, 0.001)}
    )
)
# The stops of the two sliders the live race map follows while they are dragged.
SLIDER_STOPS: dict[str, tuple[float, ...]] = {"lr": LR_STOPS, "momentum": MOMENTUM_STOPS}


def stops_with(stops: tuple[float, ...], value: float) -> list[float]:
    """Slider stops plus the current value, so exact values (links, theory) stay exact.

    The sidebar's α and γ sliders offer exactly these, and the live map's path families
    are computed for exactly these, in this order (the browser matches them by index).

    >>> stops_with((0.1, 0.5), 0.3), stops_with((0.1, 0.5), 0.5)
    ([0.1, 0.3, 0.5], [0.1, 0.5])
    """
    return sorted({*stops, float(value)})


# What the page shows besides the runs: the open tab, the (α, γ) map's method and where the
# theory tab takes its quadratic model. Slugs in links, labels on screen.
VIEWS: dict[str, str] = {
    "race": "Race on the map",
    "3d": "3-D view",
    "theory": "Theory",
    "parameter-map": "(α, γ) map",
    "basin-map": "Basin map",
}
MAP_METHODS = ("momentum", "nesterov")
THEORY_POINTS: dict[str, str] = {
    "minimum": "the minimum nearest to where the run ends",
    "start": "the start point",
}
# Fields that choose what is shown, not what is run: the run caches leave them out.
VIEW_FIELDS = (
    "scenario",
    "view",
    "map_method",
    "theory_point",
    "lecture",
    "anatomy",
    "anatomy_step",
    "speed",
)
# How fast the race map replays: 1× is about 7 s whatever the number of steps.
SPEEDS = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class Settings:
    """Every user-facing setting of one view of the app."""

    surface: str = "rosenbrock"
    kappa: float = DEFAULT_KAPPA  # condition number, used by the quadratic bowl only
    methods: tuple[str, ...] = DEFAULT_METHODS
    lr: float = SURFACES["rosenbrock"].lr
    momentum: float = SURFACES["rosenbrock"].momentum
    steps: int = SURFACES["rosenbrock"].steps
    noise: float = 0.0
    seed: int = 0
    x0: float = SURFACES["rosenbrock"].start[0]
    y0: float = SURFACES["rosenbrock"].start[1]
    scenario: str = ""  # name of the guided scenario that set this view, if any
    view: str = "race"  # the open tab, a key of VIEWS
    map_method: str = "momentum"  # the (α, γ) map's method, one of MAP_METHODS
    theory_point: str = "minimum"  # where the theory tab's model is taken: THEORY_POINTS
    # The formula and plotted box of the "custom" surface; "" and ±3 for the others.
    expr: str = ""
    xmin: float = DEFAULT_BOUND_VALUES[0]
    xmax: float = DEFAULT_BOUND_VALUES[1]
    ymin: float = DEFAULT_BOUND_VALUES[2]
    ymax: float = DEFAULT_BOUND_VALUES[3]
    lecture: bool = False  # lecture mode: the map the whole width, larger text
    # The race tab's "anatomy of a step": on or off, and the step t shown (θ_t → θ_{t+1},
    # 0 … steps − 1).
    anatomy: bool = False
    anatomy_step: int = 0
    speed: float = 1.0  # replay speed of the race map, one of SPEEDS

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The custom surface's box, ((xmin, xmax), (ymin, ymax))."""
        return ((self.xmin, self.xmax), (self.ymin, self.ymax))


def surface_title(name: str) -> str:
    """The selector's label of a surface name (the custom one has no fixed formula)."""
    return CUSTOM_TITLE if name == CUSTOM else SURFACES[name].title


def surface_of(settings: Settings) -> Surface:
    """The Surface object the settings select (the quadratic bowl is built with κ, a
    custom surface from its formula and bounds: cached by ``from_expression``).

    Raises ``surfaces.ExpressionError`` for a custom formula that is refused; the app
    checks a formula before it stores it, so only a programming error gets there.
    """
    if settings.surface == "quadratic":
        return quadratic(kappa=settings.kappa)
    if settings.surface == CUSTOM:
        return from_expression(settings.expr, settings.bounds)
    return SURFACES[settings.surface]


def defaults_for(
    surface_name: str,
    kappa: float = DEFAULT_KAPPA,
    *,
    expr: str = DEFAULT_EXPRESSION,
    bounds: tuple[tuple[float, float], tuple[float, float]] = DEFAULT_BOUNDS,
    **keep: object,
) -> Settings:
    """The starting view of a surface: its start point, α, γ and steps.

    ``expr`` and ``bounds`` are the custom surface's formula and box (ignored for the
    others). ``keep`` carries over settings that are not the surface's (methods, noise,
    seed).
    """
    base = Settings(surface=surface_name, kappa=kappa)
    if surface_name == CUSTOM:
        (xmin, xmax), (ymin, ymax) = bounds
        base = replace(base, expr=expr, xmin=xmin, xmax=xmax, ymin=ymin, ymax=ymax)
    surface = surface_of(base)
    return replace(
        base,
        lr=surface.lr,
        momentum=surface.momentum,
        steps=surface.steps,
        x0=surface.start[0],
        y0=surface.start[1],
        **keep,  # type: ignore[arg-type]
    )


def clamp(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)


def _fmt(value: float) -> str:
    """A bound or value as a reader types it: whole numbers exactly (2147483647, not 2.1e+09)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


# What a note may quote of a link: a link is written by anyone, and its text must not
# fill the page (a 100 KB value) or the list of notes (999 unknown names).
ECHO_CHARS = 40
ECHO_ITEMS = 5


def echo(raw: str) -> str:
    """A link value as a note quotes it: ``repr`` (so newlines and quotes show as escapes),
    cut to :data:`ECHO_CHARS` characters.

    >>> echo("banana")
    "'banana'"
    >>> echo("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)"
    """
    if len(raw) <= ECHO_CHARS:
        return repr(raw)
    return f"{raw[:ECHO_CHARS]!r}"[:-1] + f"…' ({len(raw):,} characters)"


def code_span(text: str) -> str:
    """``text`` as one Markdown code span: shown exactly as written, on one line.

    Notes quote what a link carries, and a link is written by anyone: nothing in it may
    turn into a link, an image or a heading on the projector. Inside a code span Markdown
    parses nothing (backslash escapes are not enough: GitHub-flavoured Markdown, which
    Streamlit renders, still turns an escaped ``https\\:\\/\\/…`` into a link). The fence is
    one backtick longer than the longest run of backticks in the text.

    >>> print(code_span("[there](https://x.example) `a`"))
    `` [there](https://x.example) `a` ``
    """
    one_line = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {one_line} {fence}"


def _echo_number(raw: str) -> str:
    """A value that parsed as a number, quoted as typed (cut like :func:`echo`)."""
    return raw if len(raw) <= ECHO_CHARS else f"{raw[:ECHO_CHARS]}… ({len(raw):,} characters)"


def echo_list(items: list[str]) -> str:
    """At most :data:`ECHO_ITEMS` quoted items, then how many more there were."""
    shown = ", ".join(echo(item) for item in items[:ECHO_ITEMS])
    more = len(items) - ECHO_ITEMS
    return f"{shown} and {more:,} more" if more > 0 else shown


def _parse_float(name: str, raw: str, lo: float, hi: float, notes: list[str]) -> float | None:
    # float() also reads other scripts' digits ("٠.٥" is 0.5) and "1_000"; a link is
    # written with ASCII digits, so anything else is refused rather than guessed.
    if not raw.isascii() or "_" in raw:
        notes.append(f"{name} = {echo(raw)} is not a number in ASCII digits: ignored.")
        return None
    try:
        value = float(raw)
    except ValueError:
        notes.append(f"{name} = {echo(raw)} is not a number: ignored.")
        return None
    if not math.isfinite(value):
        notes.append(f"{name} = {_echo_number(raw)} is not a finite number: ignored.")
        return None
    if not lo <= value <= hi:
        clamped = clamp(value, lo, hi)
        notes.append(
            f"{name} = {_echo_number(raw)} is outside [{_fmt(lo)}, {_fmt(hi)}]: "
            f"using {_fmt(clamped)}."
        )
        return clamped
    return value


def _first(raw: str | list[str]) -> str:
    return raw[-1] if isinstance(raw, list) else raw


def from_query_params(
    params: Mapping[str, str | list[str]],
    *,
    scenarios: Mapping[str, Settings] | None = None,
) -> tuple[Settings, list[str]]:
    """Settings from the address bar, and one note per value that was clamped or dropped.

    Missing values come from the surface's defaults (or the scenario's, when a known
    scenario is named). Nothing here raises: the worst a link can do is be ignored.
    """
    notes: list[str] = []
    get = {k: _first(v).strip() for k, v in params.items()}

    base: Settings | None = None
    scenario = get.get("scenario", "")
    if scenario:
        if scenarios is not None and scenario in scenarios:
            base = scenarios[scenario]
        else:
            notes.append(f"scenario = {echo(scenario)} is not a known scenario: ignored.")

    kappa = DEFAULT_KAPPA if base is None else base.kappa
    if "kappa" in get:
        parsed = _parse_float("kappa", get["kappa"], *KAPPA_RANGE, notes)
        kappa = kappa if parsed is None else parsed

    surface = base.surface if base is not None else "rosenbrock"
    if "surface" in get:
        if get["surface"] in SURFACES or get["surface"] == CUSTOM:
            surface = get["surface"]
        else:
            notes.append(
                f"surface = {echo(get['surface'])} is not one of {', '.join(SURFACES)}, "
                f"{CUSTOM}: showing {surface}."
            )
    expr, bounds = DEFAULT_EXPRESSION, DEFAULT_BOUNDS
    if surface == CUSTOM:
        custom = _custom_from_link(get, notes)
        if custom is None:
            surface = base.surface if base is not None else "rosenbrock"
            notes[-1] += f" Showing {surface}."
        else:
            expr, bounds = custom
    else:
        named = [name for name in CUSTOM_FIELDS if name in get]
        if named:
            notes.append(f"{', '.join(named)}: used only with surface = custom: ignored.")
    if surface != "quadratic" and "kappa" in get:
        # κ belongs to the bowl only; taking it elsewhere would reset a scenario's view.
        kappa = DEFAULT_KAPPA if base is None else base.kappa
        notes.append("kappa: used only with surface = quadratic: ignored.")
    if (
        base is None
        or base.surface != surface
        or base.kappa != kappa
        or (surface == CUSTOM and (base.expr, base.bounds) != (expr, bounds))
    ):
        keep = {} if base is None else {"methods": base.methods, "noise": base.noise}
        base = replace(
            defaults_for(surface, kappa, expr=expr, bounds=bounds, **keep),
            scenario=base.scenario if base else "",
        )
    settings = base

    if "methods" in get:
        wanted = [m for m in get["methods"].split(",") if m]
        unknown = [m for m in wanted if m not in METHODS]
        methods = tuple(m for m in METHODS if m in wanted)
        if unknown:
            notes.append(f"methods: {echo_list(unknown)} unknown (valid: {', '.join(METHODS)}).")
        if methods:
            settings = replace(settings, methods=methods)
        else:
            notes.append("methods: none valid, showing SGD and momentum.")

    (xmin, xmax), (ymin, ymax) = surface_of(settings).bounds
    float_fields = {
        "lr": LR_RANGE,
        "momentum": MOMENTUM_RANGE,
        "noise": NOISE_RANGE,
        "x0": (xmin, xmax),
        "y0": (ymin, ymax),
    }
    for name, (lo, hi) in float_fields.items():
        if name in get:
            value = _parse_float(name, get[name], lo, hi, notes)
            if value is not None:
                settings = replace(settings, **{name: value})
    for name, (lo, hi) in {"steps": STEPS_RANGE, "seed": SEED_RANGE}.items():
        if name in get:
            value = _parse_float(name, get[name], lo, hi, notes)
            if value is not None:
                if value != int(value):
                    notes.append(
                        f"{name} = {_echo_number(get[name])} is not a whole number: "
                        f"using {round(value)}."
                    )
                settings = replace(settings, **{name: round(value)})
    choices = {
        "view": tuple(VIEWS),
        "map_method": MAP_METHODS,
        "theory_point": tuple(THEORY_POINTS),
    }
    for name, options in choices.items():
        if name in get:
            if get[name] in options:
                settings = replace(settings, **{name: get[name]})
            else:
                notes.append(
                    f"{name} = {echo(get[name])} is not one of {', '.join(options)}: ignored."
                )
    if "lecture" in get:
        if get["lecture"] in ("0", "1"):
            settings = replace(settings, lecture=get["lecture"] == "1")
        else:
            notes.append(f"lecture = {echo(get['lecture'])} is not 0 or 1: ignored.")
    settings = _anatomy_from_link(get, settings, notes)
    if "speed" in get:
        raw = get["speed"]
        speed = float(raw) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw) else None
        if speed in SPEEDS:
            settings = replace(settings, speed=speed)
        else:
            notes.append(
                f"speed = {echo(raw)} is not one of {', '.join(f'{v:g}' for v in SPEEDS)}: ignored."
            )
    known = {f.name for f in fields(Settings)}
    unknown_names = [n for n in get if n not in known and n not in (IGNORED_LINK, FOLLOW_LINK_KEY)]
    if unknown_names:
        noun = "parameter" if len(unknown_names) == 1 else f"{len(unknown_names):,} parameters"
        notes.append(f"unknown link {noun} ignored: {echo_list(unknown_names)}.")
    if IGNORED_LINK in get:
        notes.append(
            "the link carried more parameters or characters than a link may "
            f"({_fmt(MAX_LINK_FIELDS)} parameters, {_fmt(MAX_LINK_CHARS)} characters): "
            "it was ignored, showing the defaults."
        )
    return settings, notes


def _anatomy_from_link(get: Mapping[str, str], settings: Settings, notes: list[str]) -> Settings:
    """The anatomy toggle (0 or 1) and its step, clamped to 0 … steps − 1, from a link."""
    if "anatomy" in get:
        if get["anatomy"] in ("0", "1"):
            settings = replace(settings, anatomy=get["anatomy"] == "1")
        else:
            notes.append(f"anatomy = {echo(get['anatomy'])} is not 0 or 1: ignored.")
    if "anatomy_step" in get:
        raw = get["anatomy_step"]
        value = _parse_float("anatomy_step", raw, 0, settings.steps - 1, notes)
        if value is not None:
            if value != int(value):
                notes.append(
                    f"anatomy_step = {_echo_number(raw)} is not a whole number: "
                    f"using {round(value)}."
                )
            settings = replace(settings, anatomy_step=round(value))
    return settings


def _custom_from_link(
    get: Mapping[str, str], notes: list[str]
) -> tuple[str, tuple[tuple[float, float], tuple[float, float]]] | None:
    """A custom surface's formula and bounds from a link, or None (with a note saying
    why, as its last note) when the formula is refused.

    A missing formula is the default one; a bound that is not a number is dropped, and a
    pair that is not increasing falls back to the default pair, each with a note.
    """
    expr = get.get("expr", DEFAULT_EXPRESSION)
    values = list(DEFAULT_BOUND_VALUES)
    for i, name in enumerate(BOUND_FIELDS):
        if name in get:
            parsed = _parse_float(name, get[name], -MAX_BOUND, MAX_BOUND, notes)
            values[i] = values[i] if parsed is None else parsed
    for i, axis in ((0, "x"), (2, "y")):
        if not values[i] < values[i + 1]:
            lo, hi = DEFAULT_BOUND_VALUES[i : i + 2]
            notes.append(
                f"{axis}min = {_fmt(values[i])} is not below {axis}max = {_fmt(values[i + 1])}: "
                f"using {_fmt(lo)} … {_fmt(hi)}."
            )
            values[i : i + 2] = lo, hi
    bounds = ((values[0], values[1]), (values[2], values[3]))
    try:
        from_expression(expr, bounds)
    except ExpressionError as err:
        notes.append(f"expr = {echo(expr)} is refused: column {err.column}: {err.reason}.")
        return None
    except ValueError as err:  # the bounds (e.g. a box too narrow for where it sits)
        notes.append(f"the bounds are refused: {err}.")
        return None
    return expr, bounds


def to_query_params(settings: Settings) -> dict[str, str]:
    """The settings as address-bar parameters (short, exact, human-readable)."""
    params = {
        "surface": settings.surface,
        "methods": ",".join(settings.methods),
        "lr": repr(settings.lr),
        "momentum": repr(settings.momentum),
        "steps": str(settings.steps),
        "noise": repr(settings.noise),
        "seed": str(settings.seed),
        "x0": repr(settings.x0),
        "y0": repr(settings.y0),
    }
    if settings.surface == "quadratic":
        params["kappa"] = repr(settings.kappa)
    if settings.surface == CUSTOM:
        params["expr"] = settings.expr
        for name, default in zip(BOUND_FIELDS, DEFAULT_BOUND_VALUES, strict=True):
            if getattr(settings, name) != default:  # only when not the default: short
                params[name] = repr(getattr(settings, name))
    if settings.scenario:
        params["scenario"] = settings.scenario
    defaults = Settings()
    for name in ("view", "map_method", "theory_point"):  # only when not the default: short
        if getattr(settings, name) != getattr(defaults, name):
            params[name] = getattr(settings, name)
    if settings.lecture:
        params["lecture"] = "1"
    if settings.anatomy:
        params["anatomy"] = "1"
    if settings.anatomy_step:
        params["anatomy_step"] = str(settings.anatomy_step)
    if settings.speed != defaults.speed:
        params["speed"] = f"{settings.speed:g}"
    return params
