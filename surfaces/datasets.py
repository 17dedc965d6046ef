r"""Data surfaces: the loss of a two-parameter model fitted to a real, published data set.

Two models, each the plain mean over the N examples (no regularization term):

* ``"least-squares"``, θ = (slope, intercept):

  .. math:: J(\theta) = \frac1N \sum_i (\text{slope}\,x_i + \text{intercept} - y_i)^2

  on Engel's 1857 food budgets (food expenditure against income, both in hundreds of
  Belgian francs). The income is neither centred nor scaled, so the surface is the long,
  thin valley unscaled features make (κ ≈ 574); ``standardize=True`` fits the feature
  ``(x − mean) / sd`` instead (population sd) and κ falls to 1.
* ``"logistic"``, θ = (w₁, w₂), :math:`p_i = \sigma(w_1 x_{i1} + w_2 x_{i2})`:

  .. math:: J(\theta) = \frac1N \sum_i \log(1 + e^{z_i}) - y_i z_i,
            \qquad z_i = w_1 x_{i1} + w_2 x_{i2}

  on the petals (length, width in cm) of Fisher's Iris versicolor (y = 0) and Iris
  virginica (y = 1), no intercept. The species overlap, so the minimum is finite (κ ≈ 962).

A data surface is a :class:`DataSurface`: a :class:`~surfaces.Surface` (the full-data
loss, its gradient and Hessian, broadcasting like every surface) that also carries its
``data = (X, y)`` (``X`` of shape (N, 1) for least squares, (N, 2) for the logistic
model), its ``model``, per-example gradients and the mean gradient over a mini-batch of
example indices. The files live in ``surfaces/data/`` (sources and licences in the
README there) and are validated when this module is imported.

>>> import numpy as np
>>> engel = least_squares()
>>> engel.model, engel.data[0].shape, round(engel.kappa)
('least-squares', (235, 1), 574)
>>> round(least_squares(standardize=True).kappa, 9)
1.0
>>> iris = logistic()
>>> iris.model, iris.data[0].shape, round(iris.kappa)
('logistic', (100, 2), 962)
>>> bool(np.allclose(iris.grad(np.array(iris.minima[0].point)), 0.0, atol=1e-12))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from ._base import Minimum, Surface, polish_minima

# exp in plain arithmetic (see surfaces/multiwell.py): NumPy's exp and tanh round
# differently from the C library's on some processors, and the compiled kernel must
# compute the same logistic gradient as NumPy to the bit (chaotic runs amplify one bit).
from .multiwell import _exp_nonpositive

__all__ = [
    "DATA_DIR",
    "MODELS",
    "DataFileError",
    "DataSurface",
    "least_squares",
    "load_table",
    "logistic",
]

#: Where the shipped data files live.
DATA_DIR = Path(__file__).parent / "data"
MODELS = ("least-squares", "logistic")
Model = Literal["least-squares", "logistic"]

# The default α: the largest of the app's slider stops (1, 1.5, 2, 3, 5, 7 × 10^k) at or
# below 1 / λmax, so that the slider shows it exactly and every method is stable.
_ROUND_STEPS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)


def _default_lr(lam_max: float) -> float:
    """The largest 1, 1.5, 2, 3, 5 or 7 × 10^k that is ≤ 1 / λmax.

    >>> _default_lr(248.3), _default_lr(2.0), _default_lr(4.62)
    (0.003, 0.5, 0.2)
    """
    top = 1.0 / lam_max
    decade = 10.0 ** math.floor(math.log10(top))
    return max(float(f"{m * decade:.12g}") for m in _ROUND_STEPS if m * decade <= top * (1 + 1e-12))


# Full-data loss on a grid: the examples are summed in slices so that the temporary
# (grid points × examples) array stays below this many numbers (32 MB).
_MAX_TEMP = 1 << 22


class DataFileError(ValueError):
    """A shipped data file is missing or malformed (raised at import: the app must not
    start half-working on broken data)."""


def load_table(name: str, columns: int, *, min_rows: int = 10, directory: Path = DATA_DIR):
    """The numbers of the CSV file ``name`` (one header line), checked: shape (rows,
    ``columns``) with at least ``min_rows`` rows, every value finite.

    Raises :class:`DataFileError` naming the file and what is wrong with it.
    """
    path = Path(directory) / name
    try:
        with path.open(encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as err:
        raise DataFileError(f"data file {path} cannot be read: {err}") from None
    rows = [line for line in lines[1:] if line.strip()]
    table = np.empty((len(rows), columns))
    for number, line in enumerate(rows, start=2):
        cells = line.split(",")
        if len(cells) != columns:
            raise DataFileError(
                f"data file {path}, line {number}: expected {columns} columns, got {len(cells)}"
            )
        try:
            table[number - 2] = [float(cell) for cell in cells]
        except ValueError:
            problem = f"data file {path}, line {number}: not a number in {line!r}"
            raise DataFileError(problem) from None
    if len(rows) < min_rows:
        raise DataFileError(f"data file {path}: expected at least {min_rows} rows, got {len(rows)}")
    if not np.isfinite(table).all():
        bad = int(np.flatnonzero(~np.isfinite(table).all(axis=1))[0]) + 2
        raise DataFileError(f"data file {path}, line {bad}: a value is not finite")
    return table


@dataclass(frozen=True, eq=False)
class DataSurface(Surface):
    """A :class:`~surfaces.Surface` that is the mean loss of a model over a data set.

    Extra attributes: ``data`` = ``(X, y)`` (read-only arrays, ``X`` of shape (N, d)),
    ``model`` ("least-squares" or "logistic"), ``kappa`` (the condition number of the
    Hessian at the minimum) and ``example_grad_fn`` (the gradient of one example's loss,
    written with plain arithmetic so that arrays broadcast through it and the compiled
    kernel compiles the same body).
    """

    data: tuple[np.ndarray, np.ndarray] = field(default=(np.zeros((0, 1)), np.zeros(0)), repr=False)
    model: Model = "least-squares"
    kappa: float = math.nan
    example_grad_fn: Callable[..., tuple[np.ndarray, np.ndarray]] | None = field(
        default=None, repr=False
    )

    @property
    def n_examples(self) -> int:
        """N, the number of examples."""
        return int(self.data[1].shape[0])

    def _columns(self, index) -> tuple[np.ndarray, ...]:
        features, labels = self.data
        return (*(features[index, k] for k in range(features.shape[1])), labels[index])

    def example_grads(self, theta: np.typing.ArrayLike) -> np.ndarray:
        """The gradient of each example's loss at one point θ: shape (N, 2)."""
        t = np.asarray(theta, dtype=float)
        gx, gy = self.example_grad_fn(t[0], t[1], *self._columns(slice(None)))
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1)

    def batch_grad_fn(
        self, x: np.ndarray, y: np.ndarray, batch: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The mean gradient over the examples ``batch`` (an index array of shape (b,))
        at the points (x, y) (arrays of one shape S): two arrays of shape S."""
        x = np.asarray(x, dtype=float)[..., None]
        y = np.asarray(y, dtype=float)[..., None]
        gx, gy = self.example_grad_fn(x, y, *self._columns(np.asarray(batch)))
        count = gx.shape[-1]
        return _ordered_sum(gx) / count, _ordered_sum(gy) / count

    def batch_grad(self, xy: np.typing.ArrayLike, batch: np.typing.ArrayLike) -> np.ndarray:
        """The mini-batch gradient at each point: shape ``xy.shape``."""
        arr = np.asarray(xy, dtype=float)
        gx, gy = self.batch_grad_fn(arr[..., 0], arr[..., 1], np.asarray(batch))
        return np.stack([gx, gy], axis=-1)


def _ordered_sum(terms: np.ndarray, total: np.ndarray | float = 0.0) -> np.ndarray:
    """``total`` plus the sum over the last axis, added in order, one term at a time.

    Not ``np.sum`` (pairwise): the compiled kernel adds the examples in order, and a mean
    over examples must round alike in both (see the note on ``_exp_nonpositive``).
    """
    for k in range(terms.shape[-1]):
        total = total + terms[..., k]
    return np.asarray(total, dtype=float)


# --- least squares -----------------------------------------------------------------------

#: Engel's incomes and food expenditures are in francs; the surface uses hundreds of francs,
#: the unit that puts both parameters on the map at once (slope ≈ 0.49, intercept ≈ 1.5).
ENGEL_UNIT = 100.0


def lsq_example_grad(slope, intercept, x, y):
    """∇ of one example's squared error (slope·x + intercept − y)²."""
    residual = slope * x + intercept - y
    return 2.0 * residual * x, 2.0 * residual


def lsq_grad(slope, intercept, m_xx, m_x, best_slope, best_intercept):
    """∇J of least squares, from the moments m_xx = mean x², m_x = mean x and the minimum:
    ∇J = 2 M (θ − θ*) with M = [[m_xx, m_x], [m_x, 1]] (the normal equations make this
    the mean of the examples' gradients; module-level so the kernel compiles it)."""
    ds, di = slope - best_slope, intercept - best_intercept
    return 2.0 * (m_xx * ds + m_x * di), 2.0 * (m_x * ds + di)


def least_squares(standardize: bool = False) -> DataSurface:
    """Least squares on Engel's food budgets; ``standardize`` centres and scales the income.

    Equal arguments give the same object (built once).

    >>> least_squares() is least_squares(False), least_squares() == least_squares(True)
    (True, False)
    """
    if not isinstance(standardize, bool | np.bool_):
        raise ValueError(f"standardize must be True or False; got {standardize!r}")
    return _least_squares(bool(standardize))


@lru_cache(maxsize=2)
def _least_squares(standardize: bool) -> DataSurface:
    table = load_table("engel.csv", 2) / ENGEL_UNIT
    x, y = table[:, 0], table[:, 1]
    if standardize:
        x = (x - x.mean()) / x.std()
    features = np.ascontiguousarray(x[:, None])
    design = np.stack([x, np.ones_like(x)], axis=1)
    best = np.linalg.lstsq(design, y, rcond=None)[0]
    best_s, best_i = float(best[0]), float(best[1])
    j_min = float(np.mean((best_s * x + best_i - y) ** 2))
    m_xx, m_x = float(np.mean(x * x)), float(np.mean(x))
    hess = 2.0 * np.array([[m_xx, m_x], [m_x, 1.0]])
    lam = np.linalg.eigvalsh(hess)

    def value(s, i):
        ds, di = s - best_s, i - best_i
        return j_min + m_xx * ds * ds + 2.0 * m_x * ds * di + di * di

    def grad(s, i):
        return lsq_grad(s, i, m_xx, m_x, best_s, best_i)

    def hessian(s, i):
        ones = np.ones_like(np.asarray(s, dtype=float))
        return hess[0, 0] * ones, hess[0, 1] * ones, hess[1, 1] * ones

    # The box: the valley's floor runs along the slow eigenvector; show ±6 (standardized)
    # or the stretch from the start to well past the minimum.
    if standardize:
        bounds = ((best_s - 6.0, best_s + 6.0), (best_i - 8.0, best_i + 4.0))
        start = (best_s - 4.0, best_i - 6.0)
    else:
        bounds = ((best_s - 1.0, best_s + 1.0), (best_i - 9.0, best_i + 9.0))
        start = (best_s + 0.5, best_i - 7.0)
    name_part = "standardized income" if standardize else "income in hundreds of francs"
    return DataSurface(
        name="engel",
        title=f"Least squares: Engel's food budgets ({name_part})",
        latex=r"J(a, b) = \frac{1}{N}\sum_{i=1}^{N} (a\,x_i + b - y_i)^2",
        bounds=bounds,
        minima=(Minimum((best_s, best_i), j_min, True),),
        start=start,
        lr=_default_lr(float(lam[1])),
        momentum=0.9,
        steps=1000 if standardize else 2000,
        value_fn=value,
        grad_fn=grad,
        hessian_fn=hessian,
        description=(
            "Food expenditure against income of 235 Belgian households (Engel, 1857): "
            "the mean squared error of a straight line, as a function of its slope and "
            "intercept."
        ),
        log_scale=True,
        params=(("standardize", standardize),),
        data=(_readonly(features), _readonly(y.copy())),
        model="least-squares",
        kappa=float(lam[1] / lam[0]),
        example_grad_fn=lsq_example_grad,
    )


# --- logistic regression -----------------------------------------------------------------


def sigmoid(z):
    """σ(z) = 1 / (1 + e^−z), never overflowing: with e = e^−|z|, 1 / (1 + e) for z ≥ 0
    and e / (1 + e) below (selected by arithmetic, so arrays and the kernel take one path)."""
    e = _exp_nonpositive(-abs(z))
    s = 1.0 / (1.0 + e)
    positive = (z >= 0.0) * 1.0
    return positive * s + (1.0 - positive) * (e * s)


def logistic_example_grad(w1, w2, x1, x2, label):
    """∇ of one example's logistic loss: (σ(z) − label)·(x1, x2), z = w1·x1 + w2·x2."""
    residual = sigmoid(w1 * x1 + w2 * x2) - label
    return residual * x1, residual * x2


def _sum_over_examples(fn, x, y, columns: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Σ over the examples, in order, of ``fn(x, y, *example columns)`` at every point,
    in slices of examples small enough for the temporary (points × examples) arrays."""
    x = np.asarray(x, dtype=float)[..., None]
    y = np.asarray(y, dtype=float)[..., None]
    n = columns[0].shape[0]
    per_slice = max(1, _MAX_TEMP // max(1, x.size))
    totals = None
    for lo in range(0, n, per_slice):
        parts = fn(x, y, *(c[lo : lo + per_slice] for c in columns))
        if totals is None:
            totals = (0.0,) * len(parts)
        totals = tuple(_ordered_sum(p, t) for p, t in zip(parts, totals, strict=True))
    return totals


@lru_cache(maxsize=1)
def logistic() -> DataSurface:
    """Logistic regression, no intercept, on the petals of Iris versicolor and virginica."""
    table = load_table("iris_petals.csv", 3)
    labels = table[:, 2]
    if not np.isin(labels, (0.0, 1.0)).all():
        raise DataFileError("data file iris_petals.csv: the label column must hold 0 or 1")
    x1, x2 = table[:, 0].copy(), table[:, 1].copy()
    n = len(labels)
    columns = (x1, x2, labels)

    def loss_terms(w1, w2, a, b, label):
        z = w1 * a + w2 * b
        return (np.logaddexp(0.0, z) - label * z,)

    def hess_terms(w1, w2, a, b, label):
        p = sigmoid(w1 * a + w2 * b)
        weight = p * (1.0 - p)
        return weight * a * a, weight * a * b, weight * b * b

    def value(w1, w2):
        return _sum_over_examples(loss_terms, w1, w2, columns)[0] / n

    def grad(w1, w2):
        gx, gy = _sum_over_examples(logistic_example_grad, w1, w2, columns)
        return gx / n, gy / n

    def hessian(w1, w2):
        return tuple(h / n for h in _sum_over_examples(hess_terms, w1, w2, columns))

    # Newton from w = 0 (where the loss is log 2 and the Hessian is positive definite);
    # polish_minima refuses a run that does not reach a minimum: separable data would.
    minimum = polish_minima(grad, hessian, value, [(0.0, 0.0)])[0]
    hxx, hxy, hyy = hessian(*minimum.point)
    lam = np.linalg.eigvalsh(np.array([[hxx, hxy], [hxy, hyy]]))
    best_1, best_2 = minimum.point
    return DataSurface(
        name="iris",
        title="Logistic regression: iris petals (versicolor or virginica)",
        latex=(
            r"J(w_1, w_2) = \frac{1}{N}\sum_{i=1}^{N} \log\left(1 + e^{z_i}\right) - y_i z_i,"
            r"\quad z_i = w_1 x_{i1} + w_2 x_{i2}"
        ),
        bounds=((best_1 - 5.0, best_1 + 5.0), (best_2 - 8.0, best_2 + 8.0)),
        minima=(minimum,),
        start=(0.0, 0.0),
        lr=_default_lr(float(lam[1])),
        momentum=0.9,
        # Each step sums over the 100 flowers: 1,000 steps keep the slider families and
        # maps affordable, and SGD (time constant 1 / (α λmin) ≈ 1,000) is still short.
        steps=1000,
        value_fn=value,
        grad_fn=grad,
        hessian_fn=hessian,
        description=(
            "Is an iris flower virginica or versicolor, from its petals' length and width "
            "(Fisher, 1936)? The mean logistic loss of the two weights."
        ),
        log_scale=False,
        params=(),
        data=(_readonly(np.stack([x1, x2], axis=1)), _readonly(labels.copy())),
        model="logistic",
        kappa=float(lam[1] / lam[0]),
        example_grad_fn=logistic_example_grad,
    )


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(arr)
    arr.flags.writeable = False
    return arr
