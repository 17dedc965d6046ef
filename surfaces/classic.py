r"""Classic optimisation test functions, written out analytically.

Each function family gives the value, gradient and Hessian as functions of the x and
y coordinate arrays, so they broadcast over any leading shape (as SciPy's ``rosen``).

>>> import numpy as np
>>> float(ROSENBROCK.value(np.array([1.0, 1.0])))
0.0
>>> ROSENBROCK.grad(np.array([[0.0, 0.0], [2.0, 1.0]])).tolist()
[[-2.0, 0.0], [2402.0, -600.0]]
>>> ROSENBROCK.hessian(np.array([1.0, 1.0])).tolist()
[[802.0, -400.0], [-400.0, 200.0]]
"""

from __future__ import annotations

import numpy as np

from ._base import Surface, polish_minima

# --- Rosenbrock ------------------------------------------------------------------------
# J = (a - x)^2 + b (y - x^2)^2 with a = 1, b = 100; one minimum at (1, 1).


def _rosen_value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _rosen_grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * d, 200.0 * d


def _rosen_hessian(x, y):
    return 2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x, 200.0 + 0.0 * x


def _rosen_kernel(x, y, gx, gy, tmp):
    # gy = 200 d with d = y - x^2, and gx = x (2 - 2 gy) - 2: seven in-place ufunc calls.
    np.multiply(x, x, out=tmp)
    np.subtract(y, tmp, out=tmp)
    np.multiply(tmp, 200.0, out=gy)
    np.multiply(gy, -2.0, out=gx)
    np.add(gx, 2.0, out=gx)
    np.multiply(gx, x, out=gx)
    np.subtract(gx, 2.0, out=gx)


ROSENBROCK = Surface(
    name="rosenbrock",
    title="Rosenbrock valley",
    latex=r"J(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    minima=polish_minima(_rosen_grad, _rosen_hessian, _rosen_value, [(1.0, 1.0)]),
    start=(-1.5, 2.0),
    lr=1e-3,
    momentum=0.95,
    steps=1000,
    value_fn=_rosen_value,
    grad_fn=_rosen_grad,
    hessian_fn=_rosen_hessian,
    grad_kernel=_rosen_kernel,
    description="A narrow curved valley: the gradient points across it, not along it.",
)

# --- Himmelblau ------------------------------------------------------------------------
# J = (x^2 + y - 11)^2 + (x + y^2 - 7)^2; four global minima of value 0.


def _himmel_value(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def _himmel_grad(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def _himmel_hessian(x, y):
    return 12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 4.0 * x + 12.0 * y * y - 26.0


HIMMELBLAU = Surface(
    name="himmelblau",
    title="Himmelblau (four minima)",
    latex=r"J(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=polish_minima(
        _himmel_grad,
        _himmel_hessian,
        _himmel_value,
        [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
    ),
    start=(-0.5, -0.5),
    lr=5e-3,
    momentum=0.8,
    steps=300,
    value_fn=_himmel_value,
    grad_fn=_himmel_grad,
    hessian_fn=_himmel_hessian,
    description="Four equally deep minima: where you start (and how fast) decides which wins.",
)

# --- Beale -----------------------------------------------------------------------------
# J = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum at (3, 0.5).


def _beale_terms(x, y):
    y2 = y * y
    y3 = y2 * y
    return 1.5 - x + x * y, 2.25 - x + x * y2, 2.625 - x + x * y3, y2, y3


def _beale_value(x, y):
    t1, t2, t3, _, _ = _beale_terms(x, y)
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_grad(x, y):
    t1, t2, t3, y2, y3 = _beale_terms(x, y)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * (t1 * x + t2 * 2.0 * x * y + t3 * 3.0 * x * y2)
    return gx, gy


def _beale_hessian(x, y):
    t1, t2, t3, y2, y3 = _beale_terms(x, y)
    hxx = 2.0 * ((y - 1.0) ** 2 + (y2 - 1.0) ** 2 + (y3 - 1.0) ** 2)
    hxy = 2.0 * (
        (y - 1.0) * x
        + t1
        + (y2 - 1.0) * 2.0 * x * y
        + t2 * 2.0 * y
        + (y3 - 1.0) * 3.0 * x * y2
        + t3 * 3.0 * y2
    )
    hyy = 2.0 * (x * x + (2.0 * x * y) ** 2 + (3.0 * x * y2) ** 2 + t2 * 2.0 * x + t3 * 6.0 * x * y)
    return hxx, hxy, hyy


BEALE = Surface(
    name="beale",
    title="Beale (flat plateaus, sharp ridges)",
    latex=(
        r"J(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2"
        r" + (2.625 - x + xy^3)^2"
    ),
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    minima=polish_minima(_beale_grad, _beale_hessian, _beale_value, [(3.0, 0.5)]),
    # From the origin the run first slides onto the long plateau towards (3, 0.5): momentum
    # crosses it, plain SGD is still crawling after the 1,000 steps (tests/test_surfaces.py).
    start=(0.0, 0.0),
    lr=3e-3,
    momentum=0.9,
    steps=1000,
    value_fn=_beale_value,
    grad_fn=_beale_grad,
    hessian_fn=_beale_hessian,
    description="Wide flat plateaus where plain gradient descent crawls.",
)

# --- Six-hump camel --------------------------------------------------------------------
# J = (4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (-4 + 4 y^2) y^2; two global, four local minima.


def _camel_value(x, y):
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def _camel_grad(x, y):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


def _camel_hessian(x, y):
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0 + 0.0 * x, -8.0 + 48.0 * y * y


SIX_HUMP_CAMEL = Surface(
    name="six_hump_camel",
    title="Six-hump camel (six minima)",
    latex=r"J(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)\,y^2",
    bounds=((-2.2, 2.2), (-1.2, 1.2)),
    minima=polish_minima(
        _camel_grad,
        _camel_hessian,
        _camel_value,
        [
            (0.0898, -0.7126),
            (-0.0898, 0.7126),
            (-1.7036, 0.7961),
            (1.7036, -0.7961),
            (-1.6071, -0.5687),
            (1.6071, 0.5687),
        ],
    ),
    start=(-2.0, -1.0),
    lr=5e-3,
    momentum=0.9,
    steps=500,
    value_fn=_camel_value,
    grad_fn=_camel_grad,
    hessian_fn=_camel_hessian,
    log_scale=False,
    description="Two global and four local minima side by side.",
)

# --- Styblinski–Tang -------------------------------------------------------------------
# J = ((x^4 - 16 x^2 + 5 x) + (y^4 - 16 y^2 + 5 y)) / 2; four minima, one global.


# Products, not powers: x * x * x is about three times faster than x**3 on arrays.
def _st_value(x, y):
    x2, y2 = x * x, y * y
    return 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x + y2 * y2 - 16.0 * y2 + 5.0 * y)


def _st_grad(x, y):
    return 2.0 * x * x * x - 16.0 * x + 2.5, 2.0 * y * y * y - 16.0 * y + 2.5


def _st_hessian(x, y):
    return 6.0 * x * x - 16.0, 0.0 * x, 6.0 * y * y - 16.0


STYBLINSKI_TANG = Surface(
    name="styblinski_tang",
    title="Styblinski–Tang (four minima)",
    latex=r"J(x, y) = \tfrac{1}{2}\sum_{i \in \{x, y\}} \left(i^4 - 16 i^2 + 5 i\right)",
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=polish_minima(
        _st_grad,
        _st_hessian,
        _st_value,
        [(-2.9035, -2.9035), (2.7468, -2.9035), (-2.9035, 2.7468), (2.7468, 2.7468)],
    ),
    start=(4.5, 4.5),
    lr=5e-3,
    momentum=0.9,
    steps=400,
    value_fn=_st_value,
    grad_fn=_st_grad,
    hessian_fn=_st_hessian,
    log_scale=False,
    description="Four minima in a quartic landscape: one global, two of equal depth, one shallow.",
)
