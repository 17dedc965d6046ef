"""The critical-point search of a formula's surface: its minima inside the bounds, and the
defaults of its first view (a start point and a stable α).

The minima inside the bounds are found numerically: the cells of a :data:`GRID` ×
:data:`GRID` grid lower than their 8 neighbours are polished with Newton's method, and a
point is listed only if it is a minimum (see :func:`is_minimum`); a surface without one
(a constant, a plane, a saddle, a surface unbounded below) is still a valid surface, with
no minima. Newton cannot see a minimum at a kink or a cusp (``abs(x) + abs(y)``): those
guesses get a derivative-free compass search and a ring test instead.

>>> import numpy as np
>>> value = lambda x, y: (x - 1) ** 2 + 2 * y**2
>>> grad = lambda x, y: (2 * (x - 1), 4 * y)
>>> hessian = lambda x, y: (2 + 0 * x, 0 * x, 4 + 0 * x)
>>> xs = ys = np.linspace(-2, 2, GRID)
>>> grid = value(*np.meshgrid(xs, ys))
>>> [(m.point, m.is_global) for m in find_minima(value, grad, hessian, ((-2, 2), (-2, 2)), xs, ys, grid)]
[((1.0, 0.0), True)]
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._base import Bounds, Minimum

#: Side of the grid whose lowest cells seed the search for minima.
GRID = 60


def _eigen_max(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    return 0.5 * (hxx + hyy) + np.hypot(0.5 * (hxx - hyy), hxy)


def _eigen_min(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    return 0.5 * (hxx + hyy) - np.hypot(0.5 * (hxx - hyy), hxy)


def _local_minima_of_grid(values: np.ndarray) -> np.ndarray:
    """Indices (row, col) of grid cells no higher than their 8 neighbours, and lower than one.

    Ties are kept because a symmetric minimum between grid points (x**4 + y**4 on a grid
    without 0) leaves several equal cells around it; a flat plateau (a constant) is not.
    Non-finite cells count as +inf. The grid is padded with +inf, so a cell on the edge
    can qualify: the minimum may be just inside the bounds (Newton decides).
    """
    v = np.where(np.isfinite(values), values, np.inf)
    padded = np.pad(v, 1, constant_values=np.inf)
    lowest = np.isfinite(v)
    below_one = np.zeros(v.shape, dtype=bool)
    n, m = v.shape
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                neighbour = padded[1 + di : 1 + di + n, 1 + dj : 1 + dj + m]
                lowest &= v <= neighbour
                below_one |= v < neighbour
    return np.argwhere(lowest & below_one)


def find_minima(
    value_fn: Callable[..., Any],
    grad_fn: Callable[..., Any],
    hessian_fn: Callable[..., Any],
    bounds: Bounds,
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
) -> tuple[Minimum, ...]:
    """Polish the grid's local minima with Newton (all at once) and keep the true minima.

    Unlike :func:`surfaces._base.polish_minima`, which is given guesses known to be good,
    these guesses come from an unknown formula: one that does not converge, leaves the
    bounds or lands on a saddle or a maximum is dropped, not an error.
    """
    cells = _local_minima_of_grid(values)
    if len(cells) == 0:
        return ()
    order = np.argsort(values[cells[:, 0], cells[:, 1]], kind="stable")[:200]
    cells = cells[order]
    px, py = xs[cells[:, 1]].copy(), ys[cells[:, 0]].copy()
    (xmin, xmax), (ymin, ymax) = bounds
    size = max(xmax - xmin, ymax - ymin)
    active = np.ones(px.shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(100):
            gx, gy = grad_fn(px, py)
            hxx, hxy, hyy = hessian_fn(px, py)
            det = hxx * hyy - hxy * hxy
            sx = (hyy * gx - hxy * gy) / det
            sy = (hxx * gy - hxy * gx) / det
            ok = active & np.isfinite(sx) & np.isfinite(sy)
            sx, sy = np.where(ok, sx, 0.0), np.where(ok, sy, 0.0)
            px, py = px - sx, py - sy
            far = (np.abs(px - 0.5 * (xmin + xmax)) > size) | (
                np.abs(py - 0.5 * (ymin + ymax)) > size
            )
            active = ok & ~far & (np.maximum(np.abs(sx), np.abs(sy)) > 1e-15 * size)
            if not active.any():
                break
        keep = is_minimum(value_fn, grad_fn, hessian_fn, bounds, px, py, values)
        # Newton cannot find a minimum at a kink or a cusp (abs(x) + abs(y), a cone): the
        # Hessian is zero or undefined there. Those guesses get a derivative-free search
        # and count as minima if a ring around the point is higher.
        rest = ~keep
        if rest.any():
            spacing = float(min(xs[1] - xs[0], ys[1] - ys[0]))
            kx, ky = _compass_search(
                value_fn, xs[cells[rest, 1]], ys[cells[rest, 0]], spacing, size
            )
            kink = _higher_all_around(value_fn, bounds, kx, ky, values)
            px, py = np.concatenate([px[keep], kx[kink]]), np.concatenate([py[keep], ky[kink]])
            keep = np.ones(px.shape, dtype=bool)
    found: list[tuple[float, float, float]] = []
    for qx, qy in zip(px[keep], py[keep], strict=True):
        if all(math.hypot(qx - fx, qy - fy) > 1e-6 * size for fx, fy, _ in found):
            found.append((float(qx), float(qy), float(value_fn(qx, qy))))
    if not found:
        return ()
    found.sort(key=lambda f: (f[2], f[0], f[1]))
    lowest = found[0][2]
    return tuple(
        Minimum((fx, fy), fv, bool(fv - lowest <= 1e-9 * max(1.0, abs(lowest))))
        for fx, fy, fv in found
    )


def _compass_search(
    value_fn: Callable[..., Any],
    px: np.ndarray,
    py: np.ndarray,
    step: float,
    size: float,
    iterations: int = 120,
) -> tuple[np.ndarray, np.ndarray]:
    """Walk each point downhill over 8 compass directions, halving the step when none is
    lower, until the step is below 1e-12 of the box: a minimum without derivatives."""
    px, py = px.astype(float), py.astype(float)
    h = np.full(px.shape, step)
    directions = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    here = np.asarray(value_fn(px, py), dtype=float) + np.zeros(px.shape)
    for _ in range(iterations):
        best, bx, by = here.copy(), px.copy(), py.copy()
        for dx, dy in directions:
            cx, cy = px + dx * h, py + dy * h
            v = np.asarray(value_fn(cx, cy), dtype=float) + np.zeros(px.shape)
            better = np.isfinite(v) & (v < best)
            best, bx, by = (
                np.where(better, v, best),
                np.where(better, cx, bx),
                np.where(better, cy, by),
            )
        moved = best < here
        px, py, here = bx, by, best
        h = np.where(moved, h, 0.5 * h)
        if (h < 1e-12 * size).all():
            break
    return px, py


def _higher_all_around(
    value_fn: Callable[..., Any],
    bounds: Bounds,
    px: np.ndarray,
    py: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """Points inside the bounds where J is finite and every point of a small ring around
    them is clearly higher: a minimum that need not be smooth.

    The lowest point of the ring is located by refining the angle (golden section), so a
    flat valley ((x - 2*y)**2), whose ring is only higher where it misses the valley's
    exact direction, is not taken for a minimum.
    """
    (xmin, xmax), (ymin, ymax) = bounds
    size = max(xmax - xmin, ymax - ymin)
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    inside = (px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax)
    here = np.asarray(value_fn(px, py), dtype=float) + np.zeros(px.shape)
    r = 1e-3 * size

    def rise(theta: np.ndarray) -> np.ndarray:
        ring = value_fn(px + r * np.cos(theta), py + r * np.sin(theta))
        return np.asarray(ring, dtype=float) + np.zeros(px.shape) - here

    angles = np.linspace(0.0, 2.0 * np.pi, 64, endpoint=False)
    rises = np.stack([rise(np.full(px.shape, a)) for a in angles])
    lowest = angles[np.nanargmin(np.where(np.isfinite(rises), rises, np.inf), axis=0)]
    lo, hi = lowest - 2.0 * np.pi / 64, lowest + 2.0 * np.pi / 64
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(40):  # the interval shrinks to 1e-9 of its width
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        left = rise(a) < rise(b)
        lo, hi = np.where(left, lo, a), np.where(left, b, hi)
    least = np.minimum(rises.min(axis=0), rise(0.5 * (lo + hi)))
    return inside & np.isfinite(here) & (least > 1e-9 * max(spread, 1e-300))


def is_minimum(
    value_fn: Callable[..., Any],
    grad_fn: Callable[..., Any],
    hessian_fn: Callable[..., Any],
    bounds: Bounds,
    px: np.ndarray,
    py: np.ndarray,
    values: np.ndarray,
) -> np.ndarray:
    """Which Newton end points are (isolated) local minima inside the bounds.

    A point qualifies if it is inside the (closed) bounds, finite, has a vanishing
    gradient and either a positive definite Hessian (a strict minimum) or, where the
    Hessian is degenerate (x**4 + y**4 at 0), every point of a small ring around it is
    clearly higher. The ring test rejects the points of a flat valley ((x - y)**2).
    """
    (xmin, xmax), (ymin, ymax) = bounds
    size = max(xmax - xmin, ymax - ymin)
    tol = 1e-9 * size
    inside = (
        np.isfinite(px)
        & np.isfinite(py)
        & (px >= xmin - tol)
        & (px <= xmax + tol)
        & (py >= ymin - tol)
        & (py <= ymax + tol)
    )
    finite = values[np.isfinite(values)]
    spread = float(finite.max() - finite.min()) if finite.size else 0.0
    gx, gy = grad_fn(px, py)
    hxx, hxy, hyy = hessian_fn(px, py)
    lam_max = np.abs(_eigen_max(hxx, hxy, hyy))
    lam_min = _eigen_min(hxx, hxy, hyy)
    # A vanishing gradient: tiny against the slope the grid shows, spread / size.
    flat = np.hypot(gx, gy) <= 1e-8 * max(spread / size, 1e-300)
    strict = lam_min > 1e-8 * np.maximum(lam_max, 1e-300)
    here = value_fn(px, py)
    angles = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
    r = 1e-3 * size
    ring = np.stack([value_fn(px + r * np.cos(a), py + r * np.sin(a)) for a in angles])
    higher = np.all(ring - here > 1e-12 * max(spread, 1e-300), axis=0)
    return inside & np.isfinite(here) & flat & (strict | higher)


def default_start(
    xs: np.ndarray, ys: np.ndarray, values: np.ndarray, minima: tuple[Minimum, ...]
) -> tuple[float, float]:
    """A grid point well inside the bounds, far from every minimum, fairly high up.

    Among the points of the inner 80 % of the box that are finite and at least a third
    of the diagonal from every minimum (or the farthest third, if none is that far), the
    one whose J is nearest the 75th percentile: high enough for a visible descent, not a
    far corner where the gradient is huge.
    """
    gx, gy = np.meshgrid(xs, ys)
    span_x, span_y = xs[-1] - xs[0], ys[-1] - ys[0]
    inner = (
        (gx >= xs[0] + 0.1 * span_x)
        & (gx <= xs[-1] - 0.1 * span_x)
        & (gy >= ys[0] + 0.1 * span_y)
        & (gy <= ys[-1] - 0.1 * span_y)
        & np.isfinite(values)
    )
    if not inner.any():
        return (float(xs[len(xs) // 4]), float(ys[len(ys) // 4]))
    if minima:
        points = np.array([m.point for m in minima])
        dist = np.min(np.hypot(gx[..., None] - points[:, 0], gy[..., None] - points[:, 1]), -1)
        far = inner & (dist >= np.hypot(span_x, span_y) / 3)
        if not far.any():
            far = inner & (dist >= np.quantile(dist[inner], 2 / 3))
    else:
        far = inner
    candidates = np.argwhere(far)
    j = values[far]
    target = np.quantile(j, 0.75)
    row, col = candidates[int(np.argmin(np.abs(j - target)))]
    return (float(xs[col]), float(ys[row]))


def default_lr(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> float:
    """α = 1/λmax, the largest Hessian eigenvalue over the grid, clipped to [1e-5, 1].

    Below 2/λmax plain gradient descent is stable everywhere on the map, so the default
    run does not diverge; with momentum γ = 0.9 the limit is 3.8/λmax, a safe margin.
    """
    lam = _eigen_max(hxx, hxy, hyy)
    lam = lam[np.isfinite(lam)]
    lam_max = float(lam.max()) if lam.size else 0.0
    if lam_max <= 0.0:
        return 1.0
    return float(np.clip(1.0 / lam_max, 1e-5, 1.0))
