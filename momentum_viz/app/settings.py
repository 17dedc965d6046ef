"""The app's settings: one immutable object whose fields are each declared once.

Everything the user can set lives in :class:`Settings`, one :func:`.fields.declare` per
field (type, default, range or choices, link form, whether it changes the runs). The UI
reads widgets into it, the address bar holds it (:mod:`.links`), and the cached
computations take the key derived from it (``compute.RunKey``). Pure Python: no
Streamlit here.

>>> from .fields import declaration_of
>>> lr = next(f for f in fields(Settings) if f.name == "lr")
>>> declaration_of(lr).range, declaration_of(lr).runs
((1e-05, 1.0), True)
>>> "speed" in VIEW_FIELDS, "lr" in RUN_FIELDS
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np

from surfaces import (
    DEFAULT_KAPPA,
    KAPPA_RANGE,
    QUADRATIC_TITLE,
    SURFACES,
    Surface,
    from_expression,
    least_squares,
    quadratic,
)
from surfaces.expression import DEFAULT_BOUNDS, MAX_BOUND

from ..numerics.first_run import first_lr
from ..numerics.ranges import LR_RANGE, MOMENTUM_RANGE, NOISE_RANGE, SEED_RANGE, STEPS_RANGE
from .fields import (
    BATCH,
    CHOICE,
    FLAG,
    NAME,
    NUMBER,
    NUMBER_CHOICE,
    UNLESS_DEFAULT,
    WHOLE,
    declaration_of,
    declare,
)
from .fields import METHODS as METHOD_SUBSET

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
MAX_LINK_CHARS = 8000  # below the 8 KiB request line of ingress-nginx and other proxies


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
# How fast the race map replays: 1× is about 7 s whatever the number of steps; 0.25× (28 s)
# lets a lecturer talk through the run step by step.
SPEEDS = (0.25, 0.5, 1.0, 2.0)
# What the custom surface's box bounds and the view's choices have in common.
_BOUND = {
    "kind": NUMBER,
    "runs": True,
    "range": (-MAX_BOUND, MAX_BOUND),
    "only_with": CUSTOM,
    "in_link": UNLESS_DEFAULT,
}
_VIEW_CHOICE = {"runs": False, "in_link": UNLESS_DEFAULT}
_ROSENBROCK = SURFACES["rosenbrock"]

# The surfaces that are the loss of a model fitted to data (they carry ``data`` = (X, y)),
# in the order the picker lists them; only these take a mini-batch size.
DATA_SURFACES = tuple(name for name, s in SURFACES.items() if getattr(s, "data", None) is not None)
# The least-squares surfaces, which take "standardize the feature" (like the bowl's κ, it
# changes the surface: the valley of an unscaled feature turns round).
STANDARDIZABLE = tuple(
    name for name, s in SURFACES.items() if getattr(s, "model", None) == "least-squares"
)
# The batch size that means every example: the full-data gradient, as on the formula surfaces.
ALL_DATA = 0
# How the mini-batches follow each other. The noise-floor theory assumes independent draws;
# epoch-style batches (disjoint within an epoch) are a different process with a lower floor.
BATCH_ORDERS: dict[str, str] = {
    "independent": "Independent draws",
    "epoch": "Epochs (lower noise floor)",
}


def _start_range(axis: int) -> Callable[[Settings], tuple[float, float]]:
    """The start point's range on one axis: the box of the surface the settings name."""
    return lambda settings: surface_of(settings).bounds[axis]


def examples_in(surface_name: str) -> int:
    """N, the number of examples of a data surface (0 for a formula surface)."""
    surface = SURFACES.get(surface_name)
    data = getattr(surface, "data", None)
    return 0 if data is None else len(data[1])


def _batch_range(settings: Settings) -> tuple[float, float]:
    """A mini-batch holds 1 … N examples of the surface's data ("all" is held as 0, the
    only value a formula surface takes)."""
    examples = examples_in(settings.surface)
    return (1, examples) if examples else (ALL_DATA, ALL_DATA)


def _steps_range(settings: Settings) -> tuple[float, float]:
    """The anatomy's step t (θ_t → θ_{t+1}) exists for t < steps."""
    return (0, settings.steps - 1)


@dataclass(frozen=True)
class Settings:
    """Every user-facing setting of one view of the app, each declared once (its type,
    default, range or choices, link form, and whether it changes the runs: see
    :mod:`.fields`). The order is the link's order; links are parsed in it too, after the
    cross-field rules (scenario → κ → surface → formula, see :mod:`.links`)."""

    surface: str = declare("rosenbrock", NAME, runs=True)
    methods: tuple[str, ...] = declare(DEFAULT_METHODS, METHOD_SUBSET, runs=True)
    lr: float = declare(_ROSENBROCK.lr, NUMBER, runs=True, range=LR_RANGE)
    momentum: float = declare(_ROSENBROCK.momentum, NUMBER, runs=True, range=MOMENTUM_RANGE)
    steps: int = declare(_ROSENBROCK.steps, WHOLE, runs=True, range=STEPS_RANGE)
    noise: float = declare(0.0, NUMBER, runs=True, range=NOISE_RANGE)
    seed: int = declare(0, WHOLE, runs=True, range=SEED_RANGE)
    x0: float = declare(_ROSENBROCK.start[0], NUMBER, runs=True, range_of=_start_range(0))
    y0: float = declare(_ROSENBROCK.start[1], NUMBER, runs=True, range_of=_start_range(1))
    # Fit the least-squares model on the standardized feature (x − mean)/std.
    standardize: bool = declare(
        False, FLAG, runs=True, link="std", in_link=UNLESS_DEFAULT,
        only_with=STANDARDIZABLE[0] if STANDARDIZABLE else "least-squares",
    )  # fmt: skip
    # Mini-batches on a data surface: the batch size (ALL_DATA: every example) and how the
    # batches follow each other. Formula surfaces keep the defaults.
    batch_size: int = declare(
        ALL_DATA, BATCH, runs=True, range_of=_batch_range, link="b", in_link=UNLESS_DEFAULT
    )
    batches: str = declare(
        "independent", CHOICE, runs=True, choices=tuple(BATCH_ORDERS), link="order",
        in_link=UNLESS_DEFAULT,
    )  # fmt: skip
    # The condition number, used by the quadratic bowl only.
    kappa: float = declare(
        DEFAULT_KAPPA, NUMBER, runs=True, range=KAPPA_RANGE, only_with="quadratic"
    )
    # The formula and plotted box of the "custom" surface; "" and ±3 for the others.
    expr: str = declare("", NAME, runs=True, only_with=CUSTOM)
    xmin: float = declare(DEFAULT_BOUND_VALUES[0], **_BOUND)
    xmax: float = declare(DEFAULT_BOUND_VALUES[1], **_BOUND)
    ymin: float = declare(DEFAULT_BOUND_VALUES[2], **_BOUND)
    ymax: float = declare(DEFAULT_BOUND_VALUES[3], **_BOUND)
    # The name of the guided scenario that set this view, if any.
    scenario: str = declare("", NAME, runs=False, in_link=UNLESS_DEFAULT)
    # The open tab, the (α, γ) map's method and where the theory tab takes its model.
    view: str = declare("race", CHOICE, **_VIEW_CHOICE, choices=tuple(VIEWS))
    map_method: str = declare("momentum", CHOICE, **_VIEW_CHOICE, choices=MAP_METHODS)
    theory_point: str = declare("minimum", CHOICE, **_VIEW_CHOICE, choices=tuple(THEORY_POINTS))
    # Lecture mode: the map the whole width, larger text.
    lecture: bool = declare(False, FLAG, runs=False, in_link=UNLESS_DEFAULT)
    # The race tab's "anatomy of a step": on or off, and the step t shown (θ_t → θ_{t+1}).
    anatomy: bool = declare(False, FLAG, runs=False, in_link=UNLESS_DEFAULT)
    anatomy_step: int = declare(0, WHOLE, runs=False, range_of=_steps_range, in_link=UNLESS_DEFAULT)
    # The replay speed of the race map.
    speed: float = declare(1.0, NUMBER_CHOICE, **_VIEW_CHOICE, choices=SPEEDS)
    # Whether the race map's replay starts by itself when the view opens.
    autoplay: bool = declare(False, FLAG, runs=False, in_link=UNLESS_DEFAULT)

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The custom surface's box, ((xmin, xmax), (ymin, ymax))."""
        return ((self.xmin, self.xmax), (self.ymin, self.ymax))


def surface_title(name: str, kappa: float | None = None, *, standardize: bool = False) -> str:
    """The label of a surface name (the custom one has no fixed formula). The bowl's
    names its κ when given; the selector gives none (κ has its own slider below it). The
    least-squares surface's names its feature, raw or standardized."""
    if name == CUSTOM:
        return CUSTOM_TITLE
    if name == "quadratic":
        return QUADRATIC_TITLE if kappa is None else quadratic(kappa=kappa).title
    if standardize and name in STANDARDIZABLE:
        return least_squares(standardize=True).title
    return SURFACES[name].title


def title_of(settings: Settings) -> str:
    """The title of the surface ``settings`` show (the bowl's with its κ, the least-squares
    surface's with its feature raw or standardized); naming a custom formula needs no build."""
    return surface_title(settings.surface, settings.kappa, standardize=settings.standardize)


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
    if settings.standardize and settings.surface in STANDARDIZABLE:
        return least_squares(standardize=True)
    return SURFACES[settings.surface]


def defaults_for(
    surface_name: str,
    kappa: float = DEFAULT_KAPPA,
    *,
    expr: str = DEFAULT_EXPRESSION,
    bounds: tuple[tuple[float, float], tuple[float, float]] = DEFAULT_BOUNDS,
    standardize: bool = False,
    **keep: object,
) -> Settings:
    """The starting view of a surface: its start point, α, γ and steps.

    ``expr`` and ``bounds`` are the custom surface's formula and box, ``standardize`` the
    least-squares surface's switch (each ignored for the others). ``keep`` carries over
    settings that are not the surface's (methods, noise, seed).
    """
    standardize = standardize and surface_name in STANDARDIZABLE
    base = Settings(surface=surface_name, kappa=kappa, standardize=standardize)
    if surface_name == CUSTOM:
        (xmin, xmax), (ymin, ymax) = bounds
        base = replace(base, expr=expr, xmin=xmin, xmax=xmax, ymin=ymin, ymax=ymax)
    surface = surface_of(base)
    return replace(
        base,
        lr=first_lr(surface, surface.momentum) if surface_name == CUSTOM else surface.lr,
        momentum=surface.momentum,
        steps=surface.steps,
        x0=surface.start[0],
        y0=surface.start[1],
        **keep,  # type: ignore[arg-type]
    )


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


def echo_list(items: list[str]) -> str:
    """At most :data:`ECHO_ITEMS` quoted items, then how many more there were."""
    shown = ", ".join(echo(item) for item in items[:ECHO_ITEMS])
    more = len(items) - ECHO_ITEMS
    return f"{shown} and {more:,} more" if more > 0 else shown


# The settings derived from the declarations. Fields that choose what is shown, not what
# is run: the run caches leave them out.
VIEW_FIELDS = tuple(f.name for f in fields(Settings) if not declaration_of(f).runs)
RUN_FIELDS = tuple(f.name for f in fields(Settings) if declaration_of(f).runs)

_MOVED_TO_LINKS = ("from_query_params", "to_query_params")


def __getattr__(name: str) -> object:
    """The link code lives in :mod:`.links`; its two functions stay importable from here
    for the modules that import them from settings. Looked up on first use, since links
    imports this module."""
    if name in _MOVED_TO_LINKS:
        from . import links

        return getattr(links, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
