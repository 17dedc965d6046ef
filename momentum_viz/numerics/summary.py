"""What a finished run means, in numbers a student can read off the screen.

Pure functions over :class:`~momentum_viz.core.Run` results; the UI only lays them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from surfaces import Surface

from .optimizer import Run, simulate
from .ranges import MAX_STEPS
from .theory import ROUNDING_ULPS


@dataclass(frozen=True)
class RunSummary:
    """The per-method numbers shown beside the map."""

    final_loss: float
    distance_to_minimum: float  # to the nearest listed minimum; nan when none is listed
    nearest_minimum: int  # index into surface.minima; -1 when none is listed
    converged_at: int  # -1: not converged
    diverged_at: int  # -1: did not diverge
    reached: str  # "global minimum", "local minimum", or "" when no minimum was reached
    steps: int


def summarize(surface: Surface, run: Run) -> RunSummary:
    """Summarize a single (unbatched) run on ``surface``.

    >>> from momentum_viz import simulate
    >>> from surfaces import get_surface
    >>> s = get_surface("multiwell")
    >>> summary = summarize(s, simulate(s, "sgd", s.start, lr=s.lr, steps=s.steps))
    >>> summary.reached, summary.converged_at
    ('local minimum', 15)
    """
    if run.positions.ndim != 2:
        raise ValueError(
            f"summarize takes a single run; got positions of shape {run.positions.shape}"
        )
    final = run.positions[-1]
    nearest, distance = -1, math.nan  # a surface may list no minimum (a custom one)
    if surface.minima:
        minima = np.array([m.point for m in surface.minima])
        distances = np.hypot(minima[:, 0] - final[0], minima[:, 1] - final[1])
        nearest = int(np.argmin(distances))
        distance = float(distances[nearest])
    reached = ""
    if run.minimum >= 0:
        reached = "global minimum" if surface.minima[run.minimum].is_global else "local minimum"
    return RunSummary(
        final_loss=float(run.losses[-1]),
        distance_to_minimum=distance,
        nearest_minimum=nearest,
        converged_at=int(run.converged_at),
        diverged_at=int(run.diverged_at),
        reached=reached,
        steps=run.steps,
    )


def settled_step_running_on(
    surface: Surface, run: Run, *, lr: float, momentum: float, noise: float = 0.0, seed: int = 0
) -> int:
    """The step a single run that ends at a minimum really settles at: −1 if it does not.

    ``run.converged_at`` is the first step from which the run stays within tol *up to its
    last step*; at the last step nothing says it stays. So the run is run on for as many
    steps again (up to ``MAX_STEPS``), with the same settings, noise and seed (the noise
    sequence of the longer run begins with this one's), and the settled step of that
    longer run is returned, by the same rule. It equals ``run.converged_at`` when the run
    had settled; it is later when the run was only passing through the tolerance.

    >>> from momentum_viz import simulate
    >>> from surfaces import quadratic
    >>> bowl = quadratic(50.0)
    >>> run = simulate(bowl, "momentum", bowl.start, lr=0.02, momentum=0.99, steps=1096)
    >>> run.converged_at, settled_step_running_on(bowl, run, lr=0.02, momentum=0.99)
    (1096, 1620)
    """
    if run.positions.ndim != 2:
        raise ValueError(
            f"settled_step_running_on takes a single run; got positions of shape "
            f"{run.positions.shape}"
        )
    if run.converged_at < 0:
        return -1
    longer = simulate(
        surface, run.method, run.positions[0], lr=lr, momentum=momentum,
        steps=min(2 * run.steps, MAX_STEPS), noise=noise, seed=seed, record="summary",
    )  # fmt: skip
    return int(longer.converged_at) if longer.minimum == run.minimum else -1


def steepest_curvature(surface: Surface, run: Run) -> float:
    """The largest Hessian eigenvalue λmax at the points a single run visited on the map.

    Only points inside ``surface.bounds`` and before the run diverged count: this is the
    stiffest curvature the run met where a student can see it, the λmax that bounds its
    step size (:func:`momentum_viz.numerics.theory.divergence_advice`). Points where the
    Hessian is not finite are left out; nan if no point is left.

    >>> from momentum_viz import simulate
    >>> from surfaces import quadratic
    >>> bowl = quadratic(50.0)
    >>> run = simulate(bowl, "sgd", bowl.start, lr=0.01, steps=5)
    >>> round(steepest_curvature(bowl, run), 9)   # the bowl's λmax, everywhere
    50.0
    """
    if run.positions.ndim != 2:
        raise ValueError(
            f"steepest_curvature takes a single run; got positions of shape {run.positions.shape}"
        )
    end = run.diverged_at if run.diverged_at >= 0 else len(run.positions)
    points = run.positions[:end]
    (xmin, xmax), (ymin, ymax) = surface.bounds
    x, y = points[:, 0], points[:, 1]
    points = points[(x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)]
    if len(points) == 0:
        points = run.positions[:1]  # the start, clamped inside by the app
    hessians = surface.hessian(points)
    # Where J is not defined (a custom log(x) at x < 0) the Hessian is not finite: no
    # curvature there. nan when the run met none at all.
    hessians = hessians[np.isfinite(hessians).all(axis=(-2, -1))]
    if len(hessians) == 0:
        return math.nan
    return float(np.linalg.eigvalsh(hessians)[:, -1].max())


def gentlest_minimum_curvature(surface: Surface) -> float:
    """The least λmax (largest Hessian eigenvalue) among the listed minima; nan for none.

    A run settles in a minimum only if its step size suits the curvature there (α <
    2/λmax for SGD), whatever the path met on its way; the minimum with the least λmax
    allows the largest α. So a run that ran off over ground curving downwards is still
    told a bound to meet, from here: a surface with minima is never "no α helps".

    >>> from surfaces import get_surface, quadratic
    >>> round(gentlest_minimum_curvature(get_surface("himmelblau")), 3)  # at (−2.81, 3.13)
    80.55
    >>> gentlest_minimum_curvature(quadratic(50.0))
    50.0
    """
    if not surface.minima:
        return math.nan
    points = np.array([m.point for m in surface.minima])
    return float(np.linalg.eigvalsh(surface.hessian(points))[:, -1].min())


def undefined_at_end(surface: Surface, run: Run) -> bool:
    """Whether a single run ends where J or ∇J is not a finite number.

    A diverged run is frozen at its last point inside the divergence box; when that point
    lies where a custom surface is not defined (log(x) at x < 0) or overflows, the next
    step could not be taken: that, not the step size, is why it stopped.

    >>> from momentum_viz import simulate
    >>> from surfaces import from_expression
    >>> s = from_expression("sqrt(x) + y**2", bounds=((-2, 3), (-3, 3)))
    >>> run = simulate(s, "sgd", (0.5, 1.0), lr=0.5, steps=10)
    >>> run.diverged_at >= 0, undefined_at_end(s, run)
    (True, True)
    """
    last = run.positions[-1]
    return not (np.isfinite(surface.value(last)) and np.isfinite(surface.grad(last)).all())


def zero_below_rounding(value: float, scale: float) -> float:
    """``value``, or 0 where it is rounding: within ``ROUNDING_ULPS`` machine epsilons of
    ``scale`` (the size of the loss it was computed beside).

    A minimum polished in floating point keeps J* = 7.89e-31 on Himmelblau, whose loss
    is a sum of squares of terms near 11: that is the last bit of those terms, and a
    student expects the 0 it stands for.

    >>> zero_below_rounding(7.89e-31, 179.0), zero_below_rounding(-2.05, 179.0)
    (0.0, -2.05)
    """
    bound = ROUNDING_ULPS * np.finfo(float).eps * abs(scale)
    return 0.0 if abs(value) <= bound else value
