r"""A smooth landscape with three wells of different depths, for "momentum escapes".

.. math:: J(x, y) = s\,(x^2 + y^2) - \sum_i d_i
          \exp\!\left(-\frac{(x - a_i)^2 + (y - b_i)^2}{2 w_i^2}\right)

A shallow bowl (s = 0.05) keeps it bounded below and brings a run back from the edges;
three Gaussian wells dig the minima. From the default start, plain gradient descent
rolls into the shallow well on the upper left and stays; with γ = 0.9 momentum carries
the point over the low ridge into the deep global well on the right.

>>> import numpy as np
>>> bool(MULTIWELL.value(np.zeros(2)) < 0)
True
>>> [m.is_global for m in MULTIWELL.minima]
[False, True, False]
"""

from __future__ import annotations

import math

import numpy as np

from ._base import Surface, polish_minima

BOWL = 0.05
# (centre x, centre y, depth, width) of each well.
WELLS = (
    (-1.6, 1.2, 1.0, 0.6),
    (1.6, -0.8, 2.2, 0.9),
    (-0.5, -2.2, 1.4, 0.7),
)


# exp(z) for z ≤ 0 in plain arithmetic (Cody–Waite reduction z = k ln 2 + r, |r| ≤ ln 2 / 2,
# a degree-13 Taylor polynomial, 2^k by ldexp), not np.exp: NumPy's exp is a different
# function on different processors (its AVX-512 version differs from the C library's in
# the last bit for 5 % of arguments), and the compiled kernel (momentum_viz/numerics/
# kernel.py) compiles this very body. + − × and ldexp round the same everywhere, so the
# wells are the same surface, to the bit, for NumPy, the kernel and every machine, and
# their runs (chaotic for large α, where one bit grows to the third digit) agree.
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits: k · _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 − _LN2_HI
_INV_LN2 = 1.44269504088896338700e00
_HORNER = tuple(1.0 / math.factorial(n) for n in range(13, -1, -1))  # 1/13!, …, 1/0!
_EXP_FLOOR = -1000.0  # exp(−1000) underflows to 0; also where a NaN argument goes


def _exp_nonpositive(z):
    """exp(z) for z ≤ 0 (arrays or floats), within 2 ulp; a NaN z gives 0."""
    z = np.fmax(z, _EXP_FLOOR)
    k = np.rint(z * _INV_LN2)
    r = (z - k * _LN2_HI) - k * _LN2_LO
    p = 0.0 * r
    for c in _HORNER:
        p = p * r + c
    return np.ldexp(p, np.int64(k))


def _wells(x, y):
    """Yield (dx, dy, g, 1/width²) per well, with g = depth · exp(−(dx² + dy²) / (2 width²))."""
    for a, b, depth, width in WELLS:
        dx = x - a
        dy = y - b
        inv_w2 = 1.0 / (width * width)
        yield dx, dy, depth * _exp_nonpositive(-0.5 * (dx * dx + dy * dy) * inv_w2), inv_w2


def _value(x, y):
    total = BOWL * (x * x + y * y)
    for _, _, gauss, _ in _wells(x, y):
        total = total - gauss
    return total


def _grad(x, y):
    gx = 2.0 * BOWL * x
    gy = 2.0 * BOWL * y
    for dx, dy, gauss, inv_w2 in _wells(x, y):
        e = gauss * inv_w2
        gx = gx + e * dx
        gy = gy + e * dy
    return gx, gy


def _hessian(x, y):
    hxx = 2.0 * BOWL + 0.0 * x
    hxy = 0.0 * x
    hyy = 2.0 * BOWL + 0.0 * y
    for dx, dy, gauss, inv_w2 in _wells(x, y):
        e = gauss * inv_w2
        hxx = hxx + e * (1.0 - dx * dx * inv_w2)
        hxy = hxy - e * dx * dy * inv_w2
        hyy = hyy + e * (1.0 - dy * dy * inv_w2)
    return hxx, hxy, hyy


MULTIWELL = Surface(
    name="multiwell",
    title="Three wells (local minima)",
    latex=(
        r"J(x, y) = 0.05\,(x^2 + y^2) - \sum_{i=1}^{3} d_i\, "
        r"e^{-\|(x, y) - c_i\|^2 / 2 w_i^2}"
    ),
    bounds=((-4.0, 4.0), (-4.0, 4.0)),
    minima=polish_minima(
        _grad, _hessian, _value, [(-1.543, 1.158), (1.539, -0.774), (-0.43, -2.09)]
    ),
    start=(-3.5, 2.5),
    lr=0.3,
    momentum=0.9,
    steps=300,
    value_fn=_value,
    grad_fn=_grad,
    hessian_fn=_hessian,
    log_scale=False,
    description="A shallow well on the way down and a deep one behind a low ridge.",
)
