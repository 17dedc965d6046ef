"""Every check of a user-facing parameter of the numerics, with one message shape.

A bad value raises ``ValueError("<name> (<symbol>) must be <what> in <allowed range>; got
<value>")``: the parameter's name as the caller spelled it, the allowed range, and the
first offending value. The app shows these messages, so they are written for people.

>>> check_momentum(1.0)
Traceback (most recent call last):
...
ValueError: momentum (γ) must be a number in [0, 1); got 1.0
>>> check_steps(0)
Traceback (most recent call last):
...
ValueError: steps must be a whole number in 1…100,000; got 0
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from surfaces import Surface, get_surface

from .ranges import MAX_STEPS

METHODS = ("sgd", "momentum", "nesterov")
Method = Literal["sgd", "momentum", "nesterov"]

# How each parameter is shown in messages: its name and, where it has one, its symbol.
_SYMBOLS = {"lr": "α", "momentum": "γ", "noise": "σ", "lam": "λ", "lam_max": "λmax"}
_SYMBOLS |= {"lam_min": "λmin", "lrs": "α", "momenta": "γ", "eigenvalues": "λ"}


def _label(name: str) -> str:
    symbol = _SYMBOLS.get(name)
    return f"{name} ({symbol})" if symbol else name


class Shape(tuple):
    """An array's shape, shown as ``shape (N, 2)`` in messages about the wrong shape."""

    def __repr__(self) -> str:
        return f"shape {tuple(self)}"


def reject(name: str, allowed: str, value: object) -> ValueError:
    """The error for a bad ``value`` of parameter ``name`` (``allowed`` says what is valid)."""
    return ValueError(f"{_label(name)} must be {allowed}; got {value!r}")


def readonly(arr: np.ndarray) -> np.ndarray:
    """``arr``, marked read-only (results are shared, e.g. through caches)."""
    arr.flags.writeable = False
    return arr


# --- names -------------------------------------------------------------------------------


def check_surface(surface: Surface | str) -> Surface:
    """A Surface, or the registered surface of that name (ValueError listing valid names)."""
    if isinstance(surface, Surface):
        return surface
    return get_surface(surface)


def check_method(method: object) -> Method:
    """The method name, if it is one of :data:`METHODS`."""
    if method not in METHODS:
        raise reject("method", f"one of {', '.join(METHODS)}", method)
    return method  # type: ignore[return-value]


# --- numbers and arrays of numbers -------------------------------------------------------


def as_float_array(name: str, value: object, allowed: str) -> np.ndarray:
    """``value`` as a float array, or the error for ``name`` saying what is ``allowed``."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise reject(name, allowed, value) from None


def _check_array(name: str, value: object, allowed: str, ok) -> np.ndarray:
    arr = as_float_array(name, value, allowed)
    good = ok(arr)
    if not good.all():
        raise reject(name, allowed, float(arr[~good].flat[0]))
    return arr


def check_lr(lr: npt.ArrayLike, name: str = "lr") -> np.ndarray:
    """Learning rates α: finite and > 0, any shape."""
    return _check_array(name, lr, "a finite number in (0, inf)", lambda a: np.isfinite(a) & (a > 0))


def check_momentum(momentum: npt.ArrayLike, name: str = "momentum") -> np.ndarray:
    """Momenta γ in [0, 1), any shape."""
    return _check_array(
        name, momentum, "a number in [0, 1)", lambda a: np.isfinite(a) & (a >= 0) & (a < 1)
    )


def check_curvature(lam: npt.ArrayLike, name: str = "lam") -> np.ndarray:
    """Curvatures λ: finite, of any sign (a saddle has a negative one), any shape."""
    return _check_array(name, lam, "a finite number in (-inf, inf)", np.isfinite)


def check_real(name: str, value: object, *, low: float = -math.inf, strict: bool = False) -> float:
    """One finite number ≥ ``low`` (> ``low`` with ``strict``)."""
    allowed = f"a finite number in {'(' if strict else '['}{low:g}, inf)"
    if low == -math.inf:
        allowed = "a finite number in (-inf, inf)"
    try:
        val = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise reject(name, allowed, value) from None
    if not math.isfinite(val) or val < low or (strict and val == low):
        raise reject(name, allowed, value)
    return val


def check_whole(name: str, value: object, low: int, high: int | None = None) -> int:
    """A whole number (not a bool) in ``low``…``high`` (no upper limit for None)."""
    allowed = (
        f"a whole number in {low:,}…{high:,}" if high is not None else f"a whole number ≥ {low:,}"
    )
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise reject(name, allowed, value)
    if value < low or (high is not None and value > high):
        raise reject(name, allowed, value)
    return int(value)


def check_steps(steps: object) -> int:
    """A number of steps, 1…MAX_STEPS."""
    return check_whole("steps", steps, 1, MAX_STEPS)


def check_seed(seed: object) -> int:
    """A seed for ``numpy.random.default_rng``: a whole number ≥ 0."""
    return check_whole("seed", seed, 0)


# --- points and axes ---------------------------------------------------------------------


def check_points(name: str, value: object, *, batch: bool = True) -> np.ndarray:
    """One finite point, shape (2,), or (with ``batch``) N of them, shape (N, 2)."""
    allowed = "a finite point (x, y)" + (" or an (N, 2) array of them" if batch else "")
    arr = as_float_array(name, value, allowed)
    shapes_ok = arr.ndim in ((1, 2) if batch else (1,)) and arr.shape[-1:] == (2,)
    if not shapes_ok:
        raise reject(name, allowed, Shape(arr.shape))
    if not np.isfinite(arr).all():
        raise reject(name, allowed, arr.tolist())
    return arr


def check_axis(name: str, values: object, *, low: float, high: float, open_low: bool) -> np.ndarray:
    """A non-empty, strictly increasing 1-D axis of numbers in the range (or [) low, high)."""
    allowed = f"increasing numbers in {'(' if open_low else '['}{low:g}, {high:g})"
    arr = np.array(as_float_array(name, values, allowed))  # a copy, made read-only below
    if arr.ndim != 1 or arr.size == 0:
        raise reject(name, f"a non-empty 1-D sequence of {allowed}", Shape(arr.shape))
    low_ok = arr > low if open_low else arr >= low
    good = np.isfinite(arr) & low_ok & (arr < high)
    if not good.all():
        raise reject(name, allowed, float(arr[~good][0]))
    if arr.size > 1 and not np.all(np.diff(arr) > 0):
        raise reject(name, f"strictly {allowed}", arr.tolist())
    return readonly(arr)
