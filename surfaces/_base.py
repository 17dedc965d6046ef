"""The Surface type shared by every loss surface, and the Newton polish that locates minima."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

# A component function takes the x and y coordinate arrays (same shape) and returns
# an array (value), a pair (gradient) or a triple hxx, hxy, hyy (Hessian).
ValueFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
GradFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
HessFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
# In-place gradient kernel for the fast batched runner: (x, y, gx, gy, tmp) -> None.
# Writes the gradient into gx, gy; tmp is scratch space of the same shape.
GradKernel = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]

Bounds = tuple[tuple[float, float], tuple[float, float]]


class Minimum(NamedTuple):
    """A local minimum of a surface: its location, its value and whether it is global."""

    point: tuple[float, float]
    value: float
    is_global: bool


def _split(xy: np.typing.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(xy, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(f"xy must be an array whose last axis has length 2; got shape {arr.shape}")
    return arr[..., 0], arr[..., 1]


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D loss surface J(x, y) with its analytic gradient and Hessian.

    Points are arrays whose last axis has length 2, with any leading shape:
    ``value`` returns ``xy.shape[:-1]``, ``grad`` returns ``xy.shape`` and
    ``hessian`` returns ``xy.shape + (2,)``.

    The remaining fields describe how the app shows the surface: the plotted
    ``bounds``, the listed ``minima`` and the defaults of the starting view
    (``start``, ``lr``, ``momentum``, ``steps``).

    A surface is equal to, and hashes like, any surface with the same :attr:`key`: its
    ``name`` plus the ``params`` of the factory that built it (e.g. κ and the angle of a
    quadratic bowl). Caches can therefore key on surfaces directly, and two bowls built
    with the same κ share entries.
    """

    name: str
    title: str
    latex: str
    bounds: Bounds
    minima: tuple[Minimum, ...]
    start: tuple[float, float]
    lr: float
    momentum: float
    steps: int
    value_fn: ValueFn = field(repr=False)
    grad_fn: GradFn = field(repr=False)
    hessian_fn: HessFn = field(repr=False)
    grad_kernel: GradKernel | None = field(default=None, repr=False)
    description: str = ""
    eigenvalues: tuple[float, float] | None = None  # exact, for quadratic bowls only
    log_scale: bool = True  # contour levels log-spaced (values span orders of magnitude)
    # The arguments of the factory that built this surface, as (name, value) pairs; with
    # ``name`` they identify it (see :attr:`key`). Empty for the fixed surfaces.
    # Values are numbers, or for a custom surface its formula text and bounds: hashable.
    params: tuple[tuple[str, Hashable], ...] = ()
    # A formula's gradient is a straight-line program of NumPy calls run by a Python loop:
    # its number of calls is what a run's cost is counted in before it is run (see
    # momentum_viz.numerics.first_run). 0 for the surfaces written in NumPy.
    grad_operations: int = 0

    @property
    def key(self) -> tuple[str, tuple[tuple[str, Hashable], ...]]:
        """What identifies the surface: ``(name, params)``."""
        return (self.name, self.params)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Surface):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def value(self, xy: np.typing.ArrayLike) -> np.ndarray:
        """J at each point: shape ``xy.shape[:-1]``."""
        x, y = _split(xy)
        return np.asarray(self.value_fn(x, y), dtype=float)

    def grad(self, xy: np.typing.ArrayLike) -> np.ndarray:
        """∇J at each point: shape ``xy.shape``."""
        x, y = _split(xy)
        gx, gy = self.grad_fn(x, y)
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1).astype(float, copy=False)

    def hessian(self, xy: np.typing.ArrayLike) -> np.ndarray:
        """∇²J at each point: shape ``xy.shape + (2,)``."""
        x, y = _split(xy)
        hxx, hxy, hyy = np.broadcast_arrays(*self.hessian_fn(x, y), x)[:3]
        rows = (np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1))
        return np.stack(rows, axis=-2).astype(float, copy=False)

    def grad_into(
        self, x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray, tmp: np.ndarray
    ) -> None:
        """Write ∇J(x, y) into ``gx``, ``gy`` (used by the batched runner)."""
        if self.grad_kernel is not None:
            self.grad_kernel(x, y, gx, gy, tmp)
        else:
            gx[...], gy[...] = self.grad_fn(x, y)

    @property
    def global_minimum(self) -> Minimum:
        """The first listed global minimum.

        Raises ValueError for a surface with no minimum in its bounds (``minima == ()``,
        possible for a custom surface), rather than leaking StopIteration.
        """
        for m in self.minima:
            if m.is_global:
                return m
        raise ValueError(f"surface {self.title!r} has no minimum inside its bounds")


def polish_minima(
    grad_fn: GradFn,
    hessian_fn: HessFn,
    value_fn: ValueFn,
    guesses: list[tuple[float, float]],
    *,
    global_atol: float = 1e-9,
) -> tuple[Minimum, ...]:
    """Refine approximate minima with Newton's method and label the global ones.

    Each guess must already lie in the basin where Newton converges; a guess that
    does not converge to a point with positive definite Hessian is an error in the
    surface's definition, so this raises rather than listing a wrong minimum.
    """
    points = []
    for guess in guesses:
        p = np.array(guess, dtype=float)
        for _ in range(100):
            gx, gy = grad_fn(p[0], p[1])
            hxx, hxy, hyy = hessian_fn(p[0], p[1])
            step = np.linalg.solve([[hxx, hxy], [hxy, hyy]], [gx, gy])
            p = p - step
            if np.max(np.abs(step)) < 1e-15:
                break
        hxx, hxy, hyy = hessian_fn(p[0], p[1])
        if not (hxx > 0 and hxx * hyy - hxy * hxy > 0):
            raise ValueError(f"guess {guess} did not converge to a minimum (got {p})")
        points.append((float(p[0]), float(p[1])))
    values = [float(value_fn(np.float64(px), np.float64(py))) for px, py in points]
    lowest = min(values)
    return tuple(
        Minimum(point, value, bool(value - lowest <= global_atol * max(1.0, abs(lowest))))
        for point, value in zip(points, values, strict=True)
    )
