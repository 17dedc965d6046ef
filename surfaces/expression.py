r"""A :class:`Surface` from a formula a student types, e.g. ``(1 - x)**2 + 100*(y - x**2)**2``.

The formula costs the one server process a whole class shares, so its cost is bounded
at each step, in four modules of one concern each:

* :mod:`.formula_parser` reads the text against a whitelist (never as Python) and bounds
  its size, and :mod:`.formula_fold` folds every constant subtree to a float with
  :mod:`math`, refusing the ones that are not finite or beyond 1e300: both run here, in
  microseconds.
* :mod:`.formula_build` differentiates it with SymPy into three straight-line programs
  (value, gradient, Hessian), and :mod:`.formula_minima` searches its minima; both run in
  a worker process (:mod:`.formula_worker`, :mod:`.formula_pool`) whose CPU time and
  memory are limited by the kernel, and which is killed when it runs over.
* :mod:`.formula_program` checks the programs the worker sends against a whitelist of
  NumPy functions and evaluates them here, with a loop: no SymPy, no generated code.

What the student sees comes from what they typed: the title is their text and the LaTeX
is printed from their syntax tree (:mod:`.formula_latex`), whatever was folded.

Refusals for a reason that does not change (the text, a constant, the build itself) are
cached on the formula's text, whatever the bounds; a refusal for time is remembered for
:data:`TIME_REFUSAL_MEMORY` seconds only, and one for a busy server not at all. The same
formula on the same bounds is built at most once at a time: concurrent requests wait for
that one build and share its answer.

>>> s = from_expression("(x - 1)**2 + 2*(y + 0.5)**2", bounds=((-2, 2), (-2, 2)))
>>> s.title, s.name
('J(x, y) = (x - 1)**2 + 2*(y + 0.5)**2', 'custom')
>>> [(round(m.point[0], 12), round(m.point[1], 12), m.is_global) for m in s.minima]
[(1.0, -0.5, True)]
>>> s.hessian([0.0, 0.0]).tolist()
[[2.0, 0.0], [0.0, 4.0]]
>>> from_expression("x.__class__")
Traceback (most recent call last):
  ...
surfaces.formula_parser.ExpressionError: column 2: attribute access (.__class__) is not allowed
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any

from ._base import Bounds, Minimum, Surface
from .formula_fold import checked_tree
from .formula_parser import FUNCTIONS, MAX_LENGTH, ExpressionError
from .formula_pool import POOL, PoolRefusal
from .formula_program import broadcasting, load_program

__all__ = [
    "DEFAULT_BOUNDS",
    "FUNCTIONS",
    "MAX_BOUND",
    "MAX_LENGTH",
    "ExpressionError",
    "from_expression",
]

#: Bounds of the plotted box: each coordinate within ±MAX_BOUND.
MAX_BOUND = 1e4
#: The defaults of a custom surface: momentum γ and the number of steps.
DEFAULT_MOMENTUM = 0.9
DEFAULT_STEPS = 500
DEFAULT_BOUNDS: Bounds = ((-3.0, 3.0), (-3.0, 3.0))
#: Seconds a refusal for time is remembered: a link opened again at once gets the same
#: answer for free, and a later try (the server may have been loaded) builds again.
TIME_REFUSAL_MEMORY = 60.0
#: How many surfaces and how many refused formulas are kept.
SURFACE_CACHE = 128
REFUSAL_CACHE = 1024
#: The longest a request waits for another request's build of the same formula.
SHARED_BUILD_WAIT = 60.0

# --- The public entry -------------------------------------------------------------------


MIN_RELATIVE_WIDTH = 1e-3


def _checked_bounds(bounds: Any) -> Bounds:
    try:
        (xmin, xmax), (ymin, ymax) = bounds
        xmin, xmax, ymin, ymax = (float(v) for v in (xmin, xmax, ymin, ymax))
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be ((xmin, xmax), (ymin, ymax)) of numbers; got {bounds!r}"
        ) from None
    # Rounded to 6 significant digits: links that differ in the last bits of a bound are
    # the same box, and must not each cost a fresh build (the cache is keyed on bounds).
    xmin, xmax, ymin, ymax = (float(f"{v:.6g}") for v in (xmin, xmax, ymin, ymax))
    for lo, hi, axis in ((xmin, xmax, "x"), (ymin, ymax, "y")):
        if not (-MAX_BOUND <= lo < hi <= MAX_BOUND):
            raise ValueError(
                f"bounds of {axis} must satisfy -{MAX_BOUND:g} <= min < max <= {MAX_BOUND:g}; "
                f"got ({lo:g}, {hi:g})"
            )
        # A box far narrower than where it sits makes "left a box 1000× the bounds" mean
        # nothing (one ordinary step leaves it): the box must be wide for its place.
        if hi - lo < MIN_RELATIVE_WIDTH * max(1.0, abs(lo), abs(hi)):
            raise ValueError(
                f"bounds of {axis} must be at least {MIN_RELATIVE_WIDTH:g} × max(1, |min|, |max|) "
                f"wide; got ({lo:g}, {hi:g})"
            )
    return ((xmin, xmax), (ymin, ymax))


def from_expression(expr: str, bounds: Bounds = DEFAULT_BOUNDS) -> Surface:
    """The :class:`Surface` J(x, y) = ``expr`` on the plotted box ``bounds``.

    ``expr`` uses x, y, numbers, ``+ - * / **``, pi, e and the :data:`FUNCTIONS`, in
    Python syntax (``**`` for powers). The result is cached by ``(expr, bounds)``: the
    app can rebuild it on every rerun for free. Its ``key`` is
    ``("custom", (("expr", expr), ("bounds", bounds)))``, so equal formulas on equal
    bounds are equal surfaces.

    Raises:
        ExpressionError: (a ValueError) for a formula that is refused: its ``column`` and
            ``reason`` say where and why (see the module's note on which are cached).
        ValueError: for bounds that are not two finite (min, max) pairs with min < max.

    >>> from_expression("9**9**9")
    Traceback (most recent call last):
      ...
    surfaces.formula_parser.ExpressionError: column 4: an exponent must be a number (at most 10 in size), not a formula in x, y, pi, e or another power; for e**x write exp(x)
    """  # noqa: E501
    outcome = _BUILDS.get(expr, _checked_bounds(bounds))
    if isinstance(outcome, ExpressionError):
        # A fresh exception each time: re-raising the cached one would grow its traceback.
        raise ExpressionError(outcome.column, outcome.reason)
    return outcome


def _surface(expr: str, bounds: Bounds, answer: dict[str, Any]) -> Surface:
    """The Surface of a worker's answer for an accepted formula (checked as it is read)."""
    programs = answer["programs"]
    grad_program = load_program(programs["grad"])
    minima = tuple(
        Minimum((float(mx), float(my)), float(mv), bool(is_global))
        for mx, my, mv, is_global in answer["minima"]
    )
    count = {0: "no minimum", 1: "one minimum"}.get(len(minima), f"{len(minima)} minima")
    start_x, start_y = answer["start"]
    return Surface(
        name="custom",
        title=f"J(x, y) = {expr.strip()}",
        latex=f"J(x, y) = {answer['latex']}",
        bounds=bounds,
        minima=minima,
        start=(float(start_x), float(start_y)),
        lr=float(answer["lr"]),
        momentum=DEFAULT_MOMENTUM,
        steps=DEFAULT_STEPS,
        value_fn=broadcasting(load_program(programs["value"]), one=True),
        grad_fn=broadcasting(grad_program, one=False),
        hessian_fn=broadcasting(load_program(programs["hessian"]), one=False),
        description=f"Your own surface: {count} inside the bounds.",
        log_scale=bool(answer["log_scale"]),
        params=(("expr", expr), ("bounds", bounds)),
        grad_operations=len(grad_program),
    )


class _Builds:
    """The caches of built surfaces and of refusals, and the builds under way."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._surfaces: OrderedDict[tuple[str, Bounds], Surface] = OrderedDict()
        self._refusals: OrderedDict[str, ExpressionError] = OrderedDict()
        self._time_refusals: dict[str, tuple[float, ExpressionError]] = {}
        self._under_way: dict[tuple[str, Bounds], Future[Surface | ExpressionError]] = {}

    def clear(self) -> None:
        """Forget every cached surface and refusal (for tests)."""
        with self._lock:
            self._surfaces.clear()
            self._refusals.clear()
            self._time_refusals.clear()

    def _known(self, expr: str, bounds: Bounds) -> Surface | ExpressionError | None:
        if (expr, bounds) in self._surfaces:
            self._surfaces.move_to_end((expr, bounds))
            return self._surfaces[(expr, bounds)]
        if expr in self._refusals:
            return self._refusals[expr]
        when, error = self._time_refusals.get(expr, (0.0, None))
        if error is not None and time.monotonic() - when < TIME_REFUSAL_MEMORY:
            return error
        return None

    def get(self, expr: Any, bounds: Bounds) -> Surface | ExpressionError:
        """The surface of ``expr`` on ``bounds``, or the refusal, building it if needed."""
        if not isinstance(expr, str):
            return ExpressionError(1, f"the formula must be text; got {type(expr).__name__}")
        with self._lock:
            known = self._known(expr, bounds)
            if known is not None:
                return known
            future = self._under_way.get((expr, bounds))
            mine = future is None
            if mine:
                future = self._under_way[(expr, bounds)] = Future()
        assert future is not None
        if not mine:
            try:
                return future.result(timeout=SHARED_BUILD_WAIT)
            except TimeoutError:
                return ExpressionError(1, "the server is too busy to build it now; try again")
        try:
            outcome = self._build(expr, bounds)
        except Exception as err:  # whatever fails, the page gets a refusal
            outcome = ExpressionError(1, f"this formula cannot be built ({type(err).__name__})")
        finally:
            with self._lock:
                del self._under_way[(expr, bounds)]
        future.set_result(outcome)
        return outcome

    def _build(self, expr: str, bounds: Bounds) -> Surface | ExpressionError:
        try:
            checked_tree(expr)  # here, in microseconds: most refusals never reach a worker
            answer = POOL.build(expr, [list(bounds[0]), list(bounds[1])])
            if not answer.get("ok"):
                error = ExpressionError(int(answer["column"]), str(answer["reason"]))
            else:
                return self._keep(expr, bounds, _surface(expr, bounds, answer))
        except ExpressionError as err:
            error = err
        except PoolRefusal as refusal:
            error = ExpressionError(1, f"{refusal.reason}; try a shorter or simpler formula")
            error.__traceback__ = None
            if refusal.for_time:
                with self._lock:
                    self._time_refusals[expr] = (time.monotonic(), error)
            return error
        except (KeyError, TypeError, ValueError) as err:  # an answer that does not read
            return ExpressionError(1, f"the server could not read the built surface ({err})")
        self.refuse(expr, error)
        return error

    def refuse(self, expr: str, error: ExpressionError) -> None:
        """Cache a refusal of ``expr`` (on its text) and drop its built surfaces."""
        error.__traceback__ = None
        with self._lock:
            self._refusals[expr] = error
            while len(self._refusals) > REFUSAL_CACHE:
                self._refusals.popitem(last=False)
            for key in [k for k in self._surfaces if k[0] == expr]:
                del self._surfaces[key]

    def _keep(self, expr: str, bounds: Bounds, surface: Surface) -> Surface:
        with self._lock:
            self._surfaces[(expr, bounds)] = surface
            while len(self._surfaces) > SURFACE_CACHE:
                self._surfaces.popitem(last=False)
        return surface


_BUILDS = _Builds()


def clear_cache() -> None:
    """Forget every built surface and every refusal (tests time uncached builds)."""
    _BUILDS.clear()


def refuse_formula(expr: str, reason: str) -> None:
    """Refuse ``expr`` from now on, whatever the bounds, with ``reason`` (column 1): for a
    formula that was built but failed to be drawn, which would fail again."""
    _BUILDS.refuse(expr, ExpressionError(1, reason))
