"""A valley of minima: a floor of equal, lowest J along a line (or any set) of points.

``(x - 2*y)**2`` has no isolated minimum: it is 0 all along the line x = 2y, and its
Hessian has a zero eigenvalue along that line. The search for minima rightly lists none,
but a run that reaches the floor has reached the minimum value: it must not be told
"no minimum" and "not converged". This finds the floor and measures runs against it.

>>> from surfaces import from_expression
>>> floor = valley_floor(from_expression("(x - 2*y)**2"))
>>> floor.value, round(floor.curvature, 12)    # J = 0 on the line; λ across it: 2·(1 + 4)
(0.0, 10.0)
>>> valley_floor(from_expression("x**2 + y**2")) is None   # an isolated minimum: no valley
True
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from surfaces import Surface

from .optimizer import Run
from .ranges import DEFAULT_TOL

__all__ = ["Valley", "valley_distance", "valley_floor", "valley_settled_step"]

# Grid side of the search, the lowest points polished, and Newton steps each.
_GRID = 40
_SEEDS = 12
_NEWTON_STEPS = 20
# A point is on the floor when its gradient is this small against the loss's scale, and
# its Hessian's smaller eigenvalue this small against the larger one (flat along the set).
_FLAT = 1e-6
# Two floor points at least this share of the map's diagonal apart, with equal J: a set.
_APART = 0.05


class Valley(NamedTuple):
    """The floor of a valley of minima."""

    value: float  # J on the floor
    curvature: float  # the Hessian's eigenvalue across the floor (> 0), at its lowest point


def _polish(surface: Surface, points: np.ndarray) -> np.ndarray:
    """Newton steps with the pseudo-inverse: the least step to where the gradient
    vanishes, which lands on a flat floor instead of failing on its singular Hessian."""
    for _ in range(_NEWTON_STEPS):
        with np.errstate(all="ignore"):
            h = surface.hessian(points)
            g = surface.grad(points)
            ok = np.isfinite(h).all(axis=(-2, -1)) & np.isfinite(g).all(axis=-1)
            step = np.zeros_like(points)
            if ok.any():
                step[ok] = np.einsum("nij,nj->ni", np.linalg.pinv(h[ok], rcond=1e-10), g[ok])
        points = points - step
    return points


@lru_cache(maxsize=64)
def valley_floor(surface: Surface, *, tol: float = DEFAULT_TOL) -> Valley | None:
    """The valley floor of a surface that lists no minimum, or None when it has none.

    The lowest points of a grid are polished by Newton (pseudo-inverse); the floor is
    there when two of them, at least 5 % of the map's diagonal apart and inside the
    bounds, have a vanishing gradient, a Hessian positive along one direction and flat
    (zero eigenvalue) along the other, and the same J.
    """
    if surface.minima:
        return None
    (xmin, xmax), (ymin, ymax) = surface.bounds
    xs, ys = np.meshgrid(np.linspace(xmin, xmax, _GRID), np.linspace(ymin, ymax, _GRID))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=-1)
    with np.errstate(all="ignore"):
        values = surface.value(grid)
    finite = np.isfinite(values)
    if not finite.any():
        return None
    scale = max(1.0, float(np.abs(values[finite]).max()))
    seeds = grid[finite][np.argsort(values[finite])[:_SEEDS]]
    points = _polish(surface, seeds)
    inside = (
        (points[:, 0] >= xmin) & (points[:, 0] <= xmax)
        & (points[:, 1] >= ymin) & (points[:, 1] <= ymax)
    )  # fmt: skip
    with np.errstate(all="ignore"):
        grads = np.linalg.norm(surface.grad(points), axis=-1)
        lams = np.linalg.eigvalsh(surface.hessian(points))
        floor_values = surface.value(points)
    flat = (grads <= _FLAT * scale) & (lams[:, 1] > 0) & (np.abs(lams[:, 0]) <= _FLAT * lams[:, 1])
    on_floor = np.flatnonzero(inside & flat & np.isfinite(floor_values))
    if on_floor.size < 2:
        return None
    lowest = on_floor[np.argmin(floor_values[on_floor])]
    level = floor_values[lowest]
    same = on_floor[np.abs(floor_values[on_floor] - level) <= _FLAT * scale * tol]
    spread = np.linalg.norm(points[same] - points[lowest], axis=-1).max()
    if spread < _APART * math.hypot(xmax - xmin, ymax - ymin):
        return None
    return Valley(float(level), float(lams[lowest, 1]))


def valley_settled_step(run: Run, valley: Valley, *, tol: float = DEFAULT_TOL) -> int:
    """The step from which a single run stays within ``tol`` of the valley floor (the
    settled-step rule of :class:`~momentum_viz.numerics.optimizer.Run`, with the distance
    to the floor read off J: J − J_floor = ½ λ d² across it); −1 when it ends off it."""
    if run.diverged_at >= 0:
        return -1
    excess = np.maximum(np.asarray(run.losses, dtype=float) - valley.value, 0.0)
    inside = 2.0 * excess <= valley.curvature * tol * tol  # d ≤ tol, squared
    if not inside[-1]:
        return -1
    outside = np.flatnonzero(~inside)
    return int(outside[-1]) + 1 if outside.size else 0


def valley_distance(run: Run, valley: Valley) -> float:
    """The distance of a single run's last point to the valley floor, read off J."""
    excess = max(float(run.losses[-1]) - valley.value, 0.0)
    return math.sqrt(2.0 * excess / valley.curvature)
