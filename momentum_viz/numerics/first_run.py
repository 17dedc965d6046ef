"""The first α for a surface a student has just typed, and whether its formula has kinks.

A new formula's α used to be 1/λmax over the grid (clipped at 1, and 1 where the surface
curves nowhere upwards). That gives chaotic first pictures: on ``sin(x)*cos(y)`` both
methods leave the map, on ``abs(x) + abs(y)`` (whose Hessian is 0 wherever it exists)
they scribble around the kink. The first picture should teach something, so α is tried:
the largest of a ladder of step sizes, from that curvature bound down, for which a trial
of plain SGD and of momentum (the surface's γ) from the start stays on the map for at
least half of its steps and does not scribble at the end of its time there.

The trial runs on the server, in the request that applies the formula: the ladder's
points go through the formula's gradient program (NumPy calls run by a Python loop) at
once, one step at a time, for both methods. Its cost is counted before it runs, in
program instructions (:data:`TRIAL_OPERATIONS`): a formula's gradient of a few dozen
instructions is tried over all its steps in 0.05–0.25 s; a costlier one over fewer steps
(the first part of the run), and one too costly even for :data:`MIN_TRIAL_STEPS` keeps
the curvature bound untried. So no formula makes the page wait more than about 0.5 s.

>>> from surfaces import from_expression
>>> bowl = from_expression("x**2 + 3*y**2")
>>> first_lr(bowl, bowl.momentum) == bowl.lr     # the curvature bound teaches already
True
>>> kinked = from_expression("abs(x) + abs(y)")
>>> kinked.lr, first_lr(kinked, kinked.momentum) < 0.01
(1.0, True)
>>> formula_has_kinks(kinked), formula_has_kinks(bowl)
(True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from surfaces import Surface

from .optimizer import simulate
from .ranges import LR_RANGE

__all__ = ["MIN_TRIAL_STEPS", "TRIAL_OPERATIONS", "first_lr", "formula_has_kinks", "trial_steps"]

# The step sizes tried, as fractions of the curvature bound: 1, 1/2, 1/5, 1/10, … (1, 2, 5
# per decade), down to the smallest α the app offers.
_LADDER = tuple(f * 10.0**-k for k in range(8) for f in (1.0, 0.5, 0.2))
# At its end a trial run may waste at most this share of the map's diagonal in motion
# that does not take it anywhere (path length minus net displacement, over the last
# quarter of its steps): more is a scribble, not a picture of a method.
_SCRIBBLE = 0.05
#: The most a first-α trial may cost, in gradient-program instructions run (summed over
#: its steps and both methods). One instruction is one NumPy call on the ladder's few
#: points, about 5 µs on the 2-core reference machine: about 0.5 s in all.
TRIAL_OPERATIONS = 100_000
# The loop's own work in a step (the update, the bookkeeping), in instructions.
_STEP_OVERHEAD = 5
#: Fewer trial steps than this say nothing of a run's picture: the formula keeps the
#: curvature bound untried.
MIN_TRIAL_STEPS = 50
# A call whose argument can cross 0 makes a kink: the gradient jumps there.
_KINK_CALL = re.compile(r"\babs\s*\(")


def formula_has_kinks(surface: Surface) -> bool:
    """Whether ``surface`` is a formula with kinks (``abs``), where the gradient jumps.

    The symbolic Hessian does not see a kink (it is 0 or undefined exactly there), so the
    curvature-based theory, its α bounds and its rates, does not apply where a run
    crosses one; a constant step rattles around a minimum at a kink instead of settling.
    """
    expr = dict(surface.params).get("expr")
    return isinstance(expr, str) and bool(_KINK_CALL.search(expr))


def _teaches(surface: Surface, positions: np.ndarray) -> np.ndarray:
    """Per trial run (positions of shape (T, N, 2)): on the map for at least half of its
    steps, and not scribbling over the last quarter of its time there."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    x, y = positions[..., 0], positions[..., 1]
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)  # false for NaN too
    diagonal = float(np.hypot(xmax - xmin, ymax - ymin))
    good = inside.sum(axis=0) >= len(positions) // 2
    for n in np.flatnonzero(good):
        shown = positions[inside[:, n], n]
        tail = shown[3 * len(shown) // 4 :]
        wasted = np.linalg.norm(np.diff(tail, axis=0), axis=-1).sum()
        wasted -= np.linalg.norm(tail[-1] - tail[0])
        good[n] = wasted <= _SCRIBBLE * diagonal
    return good


def trial_steps(surface: Surface) -> int:
    """How many steps of ``surface`` a first-α trial runs: all of ``surface.steps`` when
    they fit in :data:`TRIAL_OPERATIONS` (a formula's gradient program, at
    ``surface.grad_operations`` instructions a step, for two methods), else as many as fit.

    >>> from surfaces import from_expression
    >>> trial_steps(from_expression("x**2 + 3*y**2"))
    500
    """
    per_step = 2 * (surface.grad_operations + _STEP_OVERHEAD)
    return min(surface.steps, TRIAL_OPERATIONS // per_step)


@lru_cache(maxsize=64)
def first_lr(surface: Surface, momentum: float) -> float:
    """The first α for ``surface``: the largest step of the ladder (``surface.lr`` times
    1, 1/2, 1/5, 1/10, …, not below the app's smallest α) for which SGD and momentum at
    γ = ``momentum``, run from ``surface.start`` for :func:`trial_steps` steps (all of
    ``surface.steps`` unless the formula is costly), both stay on the map for half of the
    steps or more (a diverging run leaves it) and do not scribble; the smallest step when
    none does. ``surface.lr`` untried when fewer than :data:`MIN_TRIAL_STEPS` fit.
    """
    ladder = np.array([surface.lr * f for f in _LADDER if surface.lr * f >= LR_RANGE[0]])
    steps = trial_steps(surface)
    if ladder.size == 0 or steps < MIN_TRIAL_STEPS:
        return float(surface.lr)
    good = np.ones(ladder.size, dtype=bool)
    for method in ("sgd", "momentum"):
        run = simulate(
            surface, method, np.broadcast_to(surface.start, (ladder.size, 2)), lr=ladder,
            momentum=momentum, steps=steps,
        )  # fmt: skip
        good &= _teaches(surface, run.positions)
    return float(ladder[int(np.argmax(good))] if good.any() else ladder[-1])
