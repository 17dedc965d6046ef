r"""Maps over many runs at once: the (α, γ) parameter map and the basin-of-attraction map.

Each map is ONE batched :func:`momentum_viz.core.simulate` call with ``record="summary"``
(one run per cell), so a 120 × 120 map costs about as much as 14,400 runs of the
surface's default number of steps and no Python loop runs over the cells.

* :func:`parameter_map`: a fixed start point, a grid of learning rates α (columns,
  log-spaced by :func:`default_axes`) × momenta γ (rows). Each cell says whether the
  run converged (and at which step), did not converge within the steps, or diverged.
  The γ = 0 row of a "momentum" map is plain SGD.
* :func:`basin_map`: fixed α and γ, a grid of start points over ``surface.bounds``;
  each cell holds the index of the minimum the run ends at (−1 none, −2 diverged).
* :func:`stability_boundary`: on a quadratic with largest eigenvalue λ_max, the largest
  stable step α for each γ (the line to draw over a parameter map): (2 + 2γ)/λ_max for
  heavy ball, (2 + 2γ)/((1 + 2γ)λ_max) for Nesterov, 2/λ_max for SGD.

Pure NumPy: no Streamlit here; :mod:`momentum_viz.views.parameter_map` and
:mod:`momentum_viz.views.basin_map` draw the maps.

>>> import numpy as np
>>> pmap = parameter_map("quadratic", "momentum", (-3.0, 1.0), lrs=[0.001, 0.02, 0.1],
...                      momenta=[0.0, 0.8], steps=500)
>>> pmap.status.tolist()    # rows γ = 0, 0.8; columns α = 0.001, 0.02, 0.1
[[1, 2, 0], [1, 2, 0]]
>>> stability_boundary(50.0, [0.0, 0.5]).tolist()  # (2 + 2γ)/λmax
[0.04, 0.06]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from surfaces import Surface

from .optimizer import simulate
from .ranges import DEFAULT_TOL, LR_RANGE, MOMENTUM_RANGE
from .validation import (
    Method,
    check_axis,
    check_method,
    check_momentum,
    check_points,
    check_real,
    check_surface,
    check_whole,
    readonly,
)

__all__ = [
    "BASIN_DIVERGED",
    "BASIN_NONE",
    "CONVERGED",
    "DIVERGED",
    "NOT_CONVERGED",
    "BasinMap",
    "ParameterMap",
    "basin_map",
    "default_axes",
    "parameter_map",
    "stability_boundary",
]

# Status codes of a parameter-map cell (ParameterMap.status), worst first.
DIVERGED = 0
NOT_CONVERGED = 1
CONVERGED = 2

# Codes of a basin-map cell besides the minimum indices 0, 1, …
BASIN_NONE = -1  # ended at no listed minimum within tol
BASIN_DIVERGED = -2

DEFAULT_GRID = 120
DEFAULT_BASIN_RESOLUTION = 80
# The default α axis reaches this many decades below the smaller of the current α and
# the surface's default α (but never below LR_RANGE[0]), and up to LR_RANGE[1].
DEFAULT_DECADES_BELOW = 3.0
MAX_CELLS = 1_000_000


@dataclass(frozen=True, eq=False)
class ParameterMap:
    """The result of :func:`parameter_map`; grids have shape (n_mom, n_lr), read-only.

    Row i is γ = ``momenta[i]``, column j is α = ``lrs[j]``.

    Attributes:
        surface: name of the surface.
        method: "sgd", "momentum" or "nesterov".
        start: the start point of every run.
        steps, noise, seed, tol: the settings every run used.
        lrs: the α of each column, shape (n_lr,), increasing.
        momenta: the γ of each row, shape (n_mom,), increasing.
        converged_at: the step from which the run stays within ``tol`` of the minimum
            it ends at (settled, see :class:`~momentum_viz.numerics.optimizer.Run`), −1
            when it ends at no minimum; so CONVERGED cells always have ``minimum ≥ 0``.
        diverged: whether the run diverged (left the divergence box or overflowed).
        minimum: index into ``surface.minima`` of the minimum the run ends at, −1 none.
        reached_global: ``minimum`` is a global minimum.
    """

    surface: str
    method: str
    start: tuple[float, float]
    steps: int
    noise: float
    seed: int
    tol: float
    lrs: np.ndarray
    momenta: np.ndarray
    converged_at: np.ndarray
    diverged: np.ndarray
    minimum: np.ndarray
    reached_global: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(n_mom, n_lr)."""
        return (self.momenta.size, self.lrs.size)

    @property
    def status(self) -> np.ndarray:
        """DIVERGED (0), NOT_CONVERGED (1) or CONVERGED (2) per cell, int8."""
        status = np.full(self.shape, NOT_CONVERGED, dtype=np.int8)
        status[(self.converged_at >= 0) & ~self.diverged] = CONVERGED
        status[self.diverged] = DIVERGED
        return status

    def cell(self, lr: float, momentum: float) -> tuple[int, int]:
        """(row, column) of the cell nearest to (α, γ) (α compared on a log scale)."""
        col = int(np.argmin(np.abs(np.log(self.lrs) - math.log(lr))))
        row = int(np.argmin(np.abs(self.momenta - momentum)))
        return row, col


@dataclass(frozen=True, eq=False)
class BasinMap:
    """The result of :func:`basin_map`; grids have shape (resolution, resolution), read-only.

    Row i is y = ``ys[i]``, column j is x = ``xs[j]`` (cell centres tiling the bounds).

    Attributes:
        surface: name of the surface.
        method, lr, momentum, steps, noise, seed, tol: the settings every run used.
        xs, ys: the start coordinates of each column / row.
        basin: index of the minimum the run from that start ends at, BASIN_NONE (−1)
            if none, BASIN_DIVERGED (−2) if it diverged.
        converged_at: the step from which the run stays within ``tol`` of the minimum
            it ends at (settled), −1 when it ends at none: ``converged_at ≥ 0`` exactly
            where ``basin ≥ 0``.
    """

    surface: str
    method: str
    lr: float
    momentum: float
    steps: int
    noise: float
    seed: int
    tol: float
    xs: np.ndarray
    ys: np.ndarray
    basin: np.ndarray
    converged_at: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ys.size, self.xs.size)

    def fractions(self) -> dict[int, float]:
        """Share of the start points per basin code (only codes that occur)."""
        codes, counts = np.unique(self.basin, return_counts=True)
        return {int(c): float(n) / self.basin.size for c, n in zip(codes, counts, strict=True)}


# --- parameter map -------------------------------------------------------------------------


def default_axes(
    surface: Surface | str,
    lr: float | None = None,
    *,
    n_lr: int = DEFAULT_GRID,
    n_mom: int = DEFAULT_GRID,
    decades_below: float = DEFAULT_DECADES_BELOW,
) -> tuple[np.ndarray, np.ndarray]:
    """The default (α, γ) axes of a parameter map: ``(lrs, momenta)``.

    α is log-spaced from ``decades_below`` decades under min(``lr``, the surface's default
    α) — but not below LR_RANGE[0] = 1e-5 — up to LR_RANGE[1] = 1, so the map always
    contains the current and the default α and reaches into divergence. γ runs from 0
    (plain SGD, the first row) to MOMENTUM_RANGE[1] = 0.999, evenly spaced in log(1 − γ)
    as the app's γ slider: coarse near 0, ever finer towards 1, where momentum changes most.

    >>> lrs, momenta = default_axes("rosenbrock", n_lr=6, n_mom=4)
    >>> lrs.round(6).tolist(), momenta.round(6).tolist()
    ([1e-05, 0.0001, 0.001, 0.01, 0.1, 1.0], [0.0, 0.9, 0.99, 0.999])
    """
    surface = check_surface(surface)
    ref = surface.lr if lr is None else min(check_real("lr", lr, low=0.0, strict=True), surface.lr)
    n_lr = check_whole("n_lr", n_lr, 2, 10_000)
    n_mom = check_whole("n_mom", n_mom, 2, 10_000)
    decades = check_real("decades_below", decades_below, low=0.0, strict=True)
    lo_range, hi_range = LR_RANGE
    lo = min(max(ref / 10.0**decades, lo_range), hi_range / 10.0)
    lrs = np.geomspace(lo, hi_range, n_lr)
    top = MOMENTUM_RANGE[1]
    momenta = 1.0 - np.geomspace(1.0, 1.0 - top, n_mom)
    momenta[0], momenta[-1] = 0.0, top  # exact ends (geomspace may round the last)
    return readonly(lrs), readonly(momenta)


def parameter_map(
    surface: Surface | str,
    method: Method,
    start: tuple[float, float],
    *,
    lrs: np.typing.ArrayLike,
    momenta: np.typing.ArrayLike,
    steps: int,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
) -> ParameterMap:
    """Run ``method`` from ``start`` for every (γ, α) of the grid ``momenta`` × ``lrs``.

    One batched :func:`simulate` call (record="summary") over all n_mom × n_lr cells;
    for "sgd", which ignores γ, one row is run and repeated. Every cell sees the same
    noise sequence (same ``seed``), so the map shows the effect of α and γ alone.

    Args:
        surface: a :class:`surfaces.Surface` or a registered surface name.
        method: "sgd", "momentum" or "nesterov".
        start: the start point (x, y).
        lrs: strictly increasing learning rates α > 0 (the columns), e.g. from
            :func:`default_axes`.
        momenta: strictly increasing γ in [0, 1) (the rows).
        steps, noise, seed, tol: as for :func:`simulate`.

    Raises:
        ValueError: naming the parameter, for a bad surface, method, start, lrs, momenta
            or (via :func:`simulate`) steps, noise, seed or tol.
    """
    surface = check_surface(surface)
    method = check_method(method)
    lrs_arr = check_axis("lrs", lrs, low=0.0, high=math.inf, open_low=True)
    mom_arr = check_axis("momenta", momenta, low=0.0, high=1.0, open_low=False)
    start_arr = check_points("start", start, batch=False)
    n_mom, n_lr = mom_arr.size, lrs_arr.size
    if n_mom * n_lr > MAX_CELLS:
        raise ValueError(
            f"lrs × momenta must have at most {MAX_CELLS:,} cells; got {n_lr} × {n_mom}"
        )

    rows = 1 if method == "sgd" else n_mom
    run = simulate(
        surface,
        method,
        start_arr,
        lr=np.tile(lrs_arr, rows),
        momentum=np.repeat(mom_arr[:rows], n_lr) if rows > 1 else mom_arr[0],
        steps=steps,
        noise=noise,
        seed=seed,
        tol=tol,
        record="summary",
    )

    def grid(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values).reshape(rows, n_lr)
        return readonly(np.ascontiguousarray(np.broadcast_to(values, (n_mom, n_lr))))

    minimum = grid(run.minimum)
    is_global = np.array([m.is_global for m in surface.minima] + [False])
    return ParameterMap(
        surface=surface.name,
        method=method,
        start=(float(start_arr[0]), float(start_arr[1])),
        steps=run.steps,
        noise=float(noise),
        seed=int(seed),
        tol=float(tol),
        lrs=lrs_arr,
        momenta=mom_arr,
        converged_at=grid(run.converged_at),
        diverged=grid(np.asarray(run.diverged_at) >= 0),
        minimum=minimum,
        reached_global=readonly(is_global[minimum]),  # index −1 picks the trailing False
    )


def stability_boundary(
    lam_max: float, momenta: np.typing.ArrayLike, method: Method = "momentum"
) -> np.ndarray:
    r"""The largest stable step α for each γ on a quadratic with largest eigenvalue λ_max.

    .. math:: α_{max} = \begin{cases} 2/λ_{max} & \text{"sgd"} \\
              (2 + 2γ)/λ_{max} & \text{"momentum" (heavy ball)} \\
              (2 + 2γ)/\bigl((1 + 2γ)\,λ_{max}\bigr) & \text{"nesterov"} \end{cases}

    The run is stable for α below the line and diverges beyond it (the limits of
    :func:`~momentum_viz.numerics.theory.max_stable_lr` and
    :func:`~momentum_viz.numerics.theory.nesterov_max_stable_lr`); draw it over a
    parameter map of a quadratic bowl (``surface.eigenvalues[1]``) for the map's method.
    Heavy ball's limit grows with γ; Nesterov's is below SGD's 2/λ_max for *every*
    γ > 0 and falls towards (4/3)/λ_max as γ → 1. "sgd" ignores γ (one value per row).

    >>> stability_boundary(4.0, [0.0, 0.9]).round(12).tolist()
    [0.5, 0.95]
    >>> stability_boundary(4.0, [0.0, 0.5], "nesterov").round(12).tolist()  # 2/4, 1.5/4
    [0.5, 0.375]
    >>> stability_boundary(4.0, [0.0, 0.5], "sgd").tolist()
    [0.5, 0.5]
    """
    lam = check_real("lam_max", lam_max, low=0.0, strict=True)
    gamma = check_momentum(momenta, "momenta")
    method = check_method(method)
    if method == "sgd":
        return np.full(gamma.shape, 2.0 / lam)
    if method == "nesterov":
        return (2.0 + 2.0 * gamma) / ((1.0 + 2.0 * gamma) * lam)
    return (2.0 + 2.0 * gamma) / lam


# --- basin map -----------------------------------------------------------------------------


def basin_map(
    surface: Surface | str,
    method: Method,
    *,
    lr: float,
    momentum: float,
    steps: int,
    resolution: int = DEFAULT_BASIN_RESOLUTION,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
) -> BasinMap:
    """Run ``method`` from every cell centre of a ``resolution``² grid over the bounds.

    One batched :func:`simulate` call (record="summary"). Each cell gets the index of
    the minimum its run ends within ``tol`` of, BASIN_NONE (−1) if none, BASIN_DIVERGED
    (−2) if it diverged. Show one map per method side by side: where SGD's basins
    follow the wells, momentum's are stretched and mixed by the speed runs carry.

    Raises:
        ValueError: naming the parameter (resolution here; the rest via :func:`simulate`).
    """
    surface = check_surface(surface)
    method = check_method(method)
    resolution = check_whole("resolution", resolution, 2, math.isqrt(MAX_CELLS))
    (xmin, xmax), (ymin, ymax) = surface.bounds
    xs = xmin + (np.arange(resolution) + 0.5) * ((xmax - xmin) / resolution)
    ys = ymin + (np.arange(resolution) + 0.5) * ((ymax - ymin) / resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)  # row i: y = ys[i]
    starts = np.stack([grid_x.ravel(), grid_y.ravel()], axis=-1)
    run = simulate(
        surface,
        method,
        starts,
        lr=lr,
        momentum=momentum,
        steps=steps,
        noise=noise,
        seed=seed,
        tol=tol,
        record="summary",
    )
    basin = np.array(run.minimum, dtype=np.int64)
    basin[np.asarray(run.diverged_at) >= 0] = BASIN_DIVERGED
    shape = (resolution, resolution)
    return BasinMap(
        surface=surface.name,
        method=method,
        lr=float(lr),
        momentum=float(momentum),
        steps=run.steps,
        noise=float(noise),
        seed=int(seed),
        tol=float(tol),
        xs=readonly(xs),
        ys=readonly(ys),
        basin=readonly(basin.reshape(shape)),
        converged_at=readonly(np.array(run.converged_at).reshape(shape)),
    )
