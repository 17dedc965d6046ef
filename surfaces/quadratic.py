r"""Ill-conditioned, rotated quadratic bowls: the surface where momentum theory is exact.

.. math:: J(\theta) = \tfrac{1}{2}\,\theta^\top A\,\theta, \qquad
          A = R_\varphi \operatorname{diag}(1, \kappa) R_\varphi^\top

The eigenvalues of :math:`A` are exactly 1 and κ (the condition number); the slow
eigenvector points along the angle φ.

>>> import numpy as np
>>> bowl = quadratic(kappa=4.0, angle=0.0)
>>> bowl.eigenvalues
(1.0, 4.0)
>>> bowl.grad(np.array([1.0, 1.0])).tolist()
[1.0, 4.0]
>>> float(bowl.value(np.array([1.0, 1.0])))
2.5
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ._base import Minimum, Surface

KAPPA_RANGE = (1.0, 1000.0)
#: The condition number of the registered bowl ``SURFACES["quadratic"]`` and of the app's
#: starting view: ill-conditioned enough that SGD crawls, small enough to see the zigzag.
DEFAULT_KAPPA = 50.0
DEFAULT_ANGLE = math.pi / 6
#: The bowl's name without its κ (the app's surface selector; κ has its own slider).
QUADRATIC_TITLE = "Rotated quadratic bowl"


def quadratic(kappa: float = DEFAULT_KAPPA, angle: float = DEFAULT_ANGLE) -> Surface:
    """Build the quadratic bowl with condition number ``kappa`` rotated by ``angle`` (rad).

    Equal arguments give the same object (the bowls are cached), and bowls built with
    equal arguments compare equal and hash alike in any case.

    >>> quadratic(10.0) is quadratic(10), quadratic(10.0) == quadratic(20.0)
    (True, False)
    """
    lo, hi = KAPPA_RANGE
    kappa_f, angle_f = _as_float(kappa), _as_float(angle)
    if not (math.isfinite(kappa_f) and lo <= kappa_f <= hi):
        raise ValueError(f"kappa (κ) must be a finite number in [{lo:g}, {hi:g}]; got {kappa!r}")
    if not math.isfinite(angle_f):
        raise ValueError(f"angle must be a finite number of radians in (-inf, inf); got {angle!r}")
    return _quadratic(kappa_f, angle_f)


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan  # refused below, with the parameter's name and range


def bowl_matrix(kappa: float, angle: float) -> tuple[float, float, float]:
    """The entries (a_xx, a_xy, a_yy) of the symmetric matrix A of the bowl (κ, angle)."""
    c, s = math.cos(angle), math.sin(angle)
    # A = 1 * e1 e1^T + kappa * e2 e2^T with e1 = (c, s), e2 = (-s, c).
    return c * c + kappa * s * s, c * s * (1.0 - kappa), s * s + kappa * c * c


def bowl_grad(x, y, a_xx: float, a_xy: float, a_yy: float):
    """∇J = A θ of the bowl with matrix entries a_xx, a_xy, a_yy (arrays or floats).

    Module-level with the matrix as arguments, so the compiled kernel
    (momentum_viz/numerics/kernel.py) compiles this very body once for every κ.
    """
    return a_xx * x + a_xy * y, a_xy * x + a_yy * y


@lru_cache(maxsize=64)
def _quadratic(kappa: float, angle: float) -> Surface:
    c, s = math.cos(angle), math.sin(angle)
    a_xx, a_xy, a_yy = bowl_matrix(kappa, angle)

    def value(x, y):
        return 0.5 * (a_xx * x * x + 2.0 * a_xy * x * y + a_yy * y * y)

    def grad(x, y):
        return bowl_grad(x, y, a_xx, a_xy, a_yy)

    def hessian(x, y):
        ones = np.ones_like(np.asarray(x, dtype=float))
        return a_xx * ones, a_xy * ones, a_yy * ones

    def kernel(x, y, gx, gy, tmp):
        np.multiply(x, a_xx, out=gx)
        np.multiply(y, a_xy, out=tmp)
        np.add(gx, tmp, out=gx)
        np.multiply(x, a_xy, out=gy)
        np.multiply(y, a_yy, out=tmp)
        np.add(gy, tmp, out=gy)

    # Start far out along the slow direction and a little off it along the fast one,
    # so the fast direction oscillates while the slow one crawls.
    start = (-3.5 * c - s, -3.5 * s + c)  # -3.5 e1 + 1.0 e2
    return Surface(
        name="quadratic",
        title=f"{QUADRATIC_TITLE} (κ = {kappa:g})",
        latex=(
            r"J(\theta) = \tfrac{1}{2}\,\theta^\top A\,\theta,\quad "
            rf"\operatorname{{eig}}(A) = \{{1,\ {kappa:g}\}}"
        ),
        bounds=((-4.0, 4.0), (-4.0, 4.0)),
        minima=(Minimum((0.0, 0.0), 0.0, True),),
        start=start,
        lr=1.0 / kappa,
        momentum=0.8,
        steps=200,
        value_fn=value,
        grad_fn=grad,
        hessian_fn=hessian,
        grad_kernel=kernel,
        eigenvalues=(1.0, kappa),
        params=(("kappa", kappa), ("angle", angle)),
        description=_description(kappa),
    )


def _description(kappa: float) -> str:
    """What the bowl looks like at this κ: round at 1, long and narrow only when κ is large
    (its contours' axes are in the ratio √κ : 1)."""
    if kappa == 1.0:
        return "A round bowl: every direction curves alike, and downhill points at the minimum."
    if kappa < 10.0:
        return "A slightly oval bowl, tilted: the directions curve almost alike."
    return "A long, narrow, tilted bowl: the textbook case for momentum."
