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
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

import numpy as np

from surfaces import DEFAULT_KAPPA, KAPPA_RANGE, SURFACES, Surface, quadratic

from ..numerics.optimizer import METHODS
from ..numerics.ranges import LR_RANGE, MOMENTUM_RANGE, NOISE_RANGE, SEED_RANGE, STEPS_RANGE

DEFAULT_METHODS = ("sgd", "momentum")

# Streamlit ignores a query string of more than 1,000 parameters or 512 Ki characters
# (streamlit/runtime/state/query_params.py), so the script would see an empty link and show
# the defaults without a word. The server (momentum_viz.app.server) redirects such a link
# to ``/?<IGNORED_LINK>=1``, and this parameter turns into a note.
IGNORED_LINK = "link-ignored"
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
VIEW_FIELDS = ("scenario", "view", "map_method", "theory_point", "lecture")


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
    lecture: bool = False  # lecture mode: the map the whole width, larger text


def surface_of(settings: Settings) -> Surface:
    """The Surface object the settings select (the quadratic bowl is built with κ)."""
    if settings.surface == "quadratic":
        return quadratic(kappa=settings.kappa)
    return SURFACES[settings.surface]


def defaults_for(surface_name: str, kappa: float = DEFAULT_KAPPA, **keep: object) -> Settings:
    """The starting view of a surface: its start point, α, γ and steps.

    ``keep`` carries over settings that are not the surface's (methods, noise, seed).
    """
    base = Settings(surface=surface_name, kappa=kappa)
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
        if get["surface"] in SURFACES:
            surface = get["surface"]
        else:
            notes.append(
                f"surface = {echo(get['surface'])} is not one of {', '.join(SURFACES)}: "
                f"showing {surface}."
            )
    if base is None or base.surface != surface or base.kappa != kappa:
        keep = {} if base is None else {"methods": base.methods, "noise": base.noise}
        base = replace(defaults_for(surface, kappa, **keep), scenario=base.scenario if base else "")
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
    known = {f.name for f in fields(Settings)}
    unknown_names = [name for name in get if name not in known and name != IGNORED_LINK]
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
    if settings.scenario:
        params["scenario"] = settings.scenario
    defaults = Settings()
    for name in ("view", "map_method", "theory_point"):  # only when not the default: short
        if getattr(settings, name) != getattr(defaults, name):
            params[name] = getattr(settings, name)
    if settings.lecture:
        params["lecture"] = "1"
    return params
