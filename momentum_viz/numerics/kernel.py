"""The compiled kernel of :func:`~.optimizer.simulate`, for the built-in surfaces (Numba).

The NumPy integrators in :mod:`.optimizer` stay the readable reference and the fallback;
this module runs the same update rule, run by run and step by step, as machine code:

* **The same math.** The gradients are not rewritten here: each built-in surface's own
  ``grad_fn`` (the function :func:`~.optimizer.reference_run` evaluates) is compiled as it
  is (:func:`_twin`), and the quadratic bowl's through :func:`surfaces.quadratic.bowl_grad`
  with its matrix as numbers, so one compiled kernel serves every κ. The update takes the
  operations of ``reference_run`` in the same order (γ·v, the look-ahead, g + σε,
  γ·v + α·g, θ − v), so a run is equal to it bit for bit (the three wells compute their
  exp in plain arithmetic for this, see surfaces/multiwell.py); ``tests/test_kernel.py``
  checks it, table-driven, on every surface × method.
* **The same outcome.** Divergence (the first step outside the box or not finite, the
  run frozen at its last point inside with v = 0), settling (the last step outside
  ``tol`` of each listed minimum, tracked while running, so record="summary" keeps no
  path) and the first-listed-minimum rule are those of the NumPy runner.
* **One compilation, cached on disk.** Every surface goes through one kernel (the
  surface is a number, ``kind``), compiled once, by :func:`warm_up` in the server's
  warm-up before the first visitor, and cached in a directory named after a hash of the
  sources it is compiled from (a changed gradient never meets a stale cache):
  ``$NUMBA_CACHE_DIR`` (the image sets ``/tmp/numba-cache``: the pod's ``/tmp`` is a
  writable emptyDir on a read-only root filesystem) or the system's temporary directory.
  Without a writable directory it compiles without caching; without Numba, or with
  ``MOMENTUM_VIZ_KERNEL=numpy``, :func:`usable_for` is False and simulate uses NumPy.
* **Threads, not Numba's thread pool.** The kernel releases the GIL (``nogil``) and large
  batches are split into blocks on a thread pool, as the NumPy runner does. Numba's own
  ``parallel=True`` layer (``workqueue``) aborts the process when two threads launch
  parallel kernels at once, which is what two Streamlit sessions would do.

Custom formulas (:func:`surfaces.from_expression`) stay on the NumPy path: nothing a user
typed is ever compiled.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import os
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from surfaces import SURFACES, DataSurface, Surface, least_squares, logistic
from surfaces.datasets import logistic_example_grad, lsq_example_grad, lsq_grad
from surfaces.quadratic import bowl_grad, bowl_matrix

__all__ = ["KERNEL_ENV", "integrate", "usable_for", "warm_up"]

_LOGGER = logging.getLogger(__name__)

#: Set to "numpy" to turn the compiled kernel off (the NumPy path then runs everything).
KERNEL_ENV = "MOMENTUM_VIZ_KERNEL"

try:  # Numba is a runtime dependency, but the app must still work where it cannot load.
    import numba
except ImportError:  # pragma: no cover (exercised by the fallback tests via _STATE)
    numba = None

# The built-in surfaces the kernel knows, by name, in the order of ``kind``; the quadratic
# bowl is last (its gradient takes the matrix entries as arguments).
_FIXED = ("rosenbrock", "himmelblau", "beale", "six_hump_camel", "styblinski_tang", "multiwell")
_BOWL_KIND = len(_FIXED)
# The data surfaces come after the bowl: their gradient is a mean over examples (all of
# them, or the step's mini-batch), read from a data table passed to the kernel.
_LEAST_SQUARES_KIND = _BOWL_KIND + 1
_LOGISTIC_KIND = _BOWL_KIND + 2

# Runs per block handed to one thread (as the NumPy runner's blocks).
_BLOCK = 8192


class _State:
    """Whether the kernel may be used, and whether it has been compiled (or loaded)."""

    enabled = numba is not None and os.environ.get(KERNEL_ENV, "numba") != "numpy"
    ready = False
    compile_seconds = 0.0
    kernel: Callable[..., None] | None = None
    lock = threading.Lock()


_STATE = _State()


# --- compiling the surfaces' own gradient functions ------------------------------------


def _twin(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled by Numba, its body unchanged.

    A gradient may call helpers of its module (Beale's ``_beale_terms``, the wells'
    generator): Numba calls only compiled functions, so each plain Python function the
    body names is compiled the same way and put in place of it, in a copy of the
    function's globals (the surface modules themselves are left untouched).
    """
    scope = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        helper = scope.get(name)
        if isinstance(helper, types.FunctionType):
            scope[name] = _twin(helper)
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    return numba.njit(clone, error_model="numpy")


@functools.cache
def _sources_hash() -> str:
    """A hash of every source the kernel is compiled from, and of the compiler's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for name in _FIXED:
        digest.update(inspect.getsource(sys.modules[SURFACES[name].grad_fn.__module__]).encode())
    digest.update(inspect.getsource(sys.modules[bowl_grad.__module__]).encode())
    digest.update(inspect.getsource(sys.modules[lsq_grad.__module__]).encode())
    digest.update(inspect.getsource(sys.modules[__name__]).encode())
    return digest.hexdigest()[:16]


def _cache_dir() -> str | None:
    """A writable directory for the compiled code, named after :func:`_sources_hash`."""
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "momentum-viz-numba"
    )
    path = os.path.join(base, _sources_hash())
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _compile_kernel() -> Callable[..., None]:
    """The kernel as a Numba dispatcher (compiled, or loaded from the cache, at its first call)."""
    cache_dir = _cache_dir()
    jit = numba.njit(nogil=True, error_model="numpy", cache=cache_dir is not None)
    if cache_dir is None:
        return jit(_integrate_runs)
    # Numba finds a cached function's directory when the function is defined, through
    # CacheImpl._locator_classes (a private attribute of Numba 0.68): ours goes first for
    # this one definition. See _ContentCacheLocator for why.
    impl = numba.core.caching.CacheImpl
    saved, saved_dir = impl._locator_classes, numba.config.CACHE_DIR
    impl._locator_classes = [_ContentCacheLocator, *saved]
    numba.config.CACHE_DIR = cache_dir
    try:
        return jit(_integrate_runs)
    finally:
        impl._locator_classes, numba.config.CACHE_DIR = saved, saved_dir


if numba is not None:

    class _ContentCacheLocator(numba.core.caching.UserProvidedCacheLocator):
        """The kernel's cache, valid for the same sources wherever they lie.

        Numba's own locators key a cached function by its file's path and modification
        time, so a copy of the same code (the deploy test's copy of the image's files, a
        checkout touched by git) would compile again: 5 s before readiness on an idle
        core, a minute on a loaded one. Keyed instead by :func:`_sources_hash` (the
        directory's name already is), the cache written by one copy serves every
        identical one.
        """

        def __init__(self, py_func: Callable[..., Any], py_file: str) -> None:
            super().__init__(py_func, py_file)
            self._cache_path = numba.config.CACHE_DIR  # no subdirectory per source path

        def get_source_stamp(self) -> str:
            return _sources_hash()

    # Module-level, not closures: Numba's cache keys a closure by its cells, which differ
    # in every process, so a closure would be compiled again at every start.
    _rosenbrock, _himmelblau, _beale, _camel, _styblinski_tang, _multiwell = (
        _twin(SURFACES[name].grad_fn) for name in _FIXED
    )
    _bowl = _twin(bowl_grad)
    _lsq, _lsq_example, _logistic_example = (
        _twin(fn) for fn in (lsq_grad, lsq_example_grad, logistic_example_grad)
    )

    @numba.njit(error_model="numpy")
    def _data_gradients(kind, data, examples, ax, ay, gx, gy, n):  # pragma: no cover
        """The mean over ``examples`` (rows of ``data``) of the examples' gradients at
        (ax[j], ay[j]) into gx[j], gy[j]: examples outside, runs inside (vectorized)."""
        for j in range(n):
            gx[j], gy[j] = 0.0, 0.0
        for e in examples:
            c0, c1, c2 = data[e, 0], data[e, 1], data[e, 2]
            for j in range(n):
                if kind == _LEAST_SQUARES_KIND:
                    ex, ey = _lsq_example(ax[j], ay[j], c0, c1)
                else:
                    ex, ey = _logistic_example(ax[j], ay[j], c0, c1, c2)
                gx[j], gy[j] = gx[j] + ex, gy[j] + ey
        count = examples.shape[0]
        for j in range(n):
            gx[j], gy[j] = gx[j] / count, gy[j] / count

    @numba.njit(error_model="numpy")
    def _gradients(kind, coef, ax, ay, gx, gy, n):  # pragma: no cover (compiled)
        """∇J of surface number ``kind`` at (ax[j], ay[j]) into gx[j], gy[j], j < n: the
        branch is taken once per call, and each loop is one the compiler vectorizes.
        (The logistic surface's, a sum over its data, is :func:`_data_gradients`'.)"""
        if kind == _LEAST_SQUARES_KIND:  # the full data's, in closed form
            for j in range(n):
                gx[j], gy[j] = _lsq(ax[j], ay[j], coef[0], coef[1], coef[2], coef[3])
        elif kind == 0:
            for j in range(n):
                gx[j], gy[j] = _rosenbrock(ax[j], ay[j])
        elif kind == 1:
            for j in range(n):
                gx[j], gy[j] = _himmelblau(ax[j], ay[j])
        elif kind == 2:
            for j in range(n):
                gx[j], gy[j] = _beale(ax[j], ay[j])
        elif kind == 3:
            for j in range(n):
                gx[j], gy[j] = _camel(ax[j], ay[j])
        elif kind == 4:
            for j in range(n):
                gx[j], gy[j] = _styblinski_tang(ax[j], ay[j])
        elif kind == 5:
            for j in range(n):
                gx[j], gy[j] = _multiwell(ax[j], ay[j])
        else:
            for j in range(n):
                gx[j], gy[j] = _bowl(ax[j], ay[j], coef[0], coef[1], coef[2])


# Runs advanced together, step by step: their state (a few arrays of this length) stays
# in the L1 cache, and each step is a few loops over them in vector instructions.
_LANES = 256


def _integrate_runs(kind, coef, x0, y0, lr, mom, nesterov, steps, noise, box, minima, tol,
                    path, lo, hi, px, py, pvx, pvy, outcome,
                    data, batches):  # fmt: skip  # pragma: no cover
    """Runs lo…hi − 1, in place (see :func:`integrate`), ``_LANES`` at a time.

    ``data`` holds a data surface's examples, one per row; ``batches`` the examples of
    each step's mini-batch, one row per step (no rows: every step uses all the data).

    Per run the operations are reference_run's, in its order. The loops over runs have no
    branch: a run that leaves the box is frozen by selects (θ kept, v = 0), as the NumPy
    runner freezes it by zeroing α and γ, and settling is tracked by selects too.
    """
    cx, cy, hx, hy = box[0], box[1], box[2], box[3]
    n_min = minima.shape[0]
    tol2 = tol * tol
    x, y, vx, vy = np.empty(_LANES), np.empty(_LANES), np.empty(_LANES), np.empty(_LANES)
    ax, ay, gx, gy = np.empty(_LANES), np.empty(_LANES), np.empty(_LANES), np.empty(_LANES)
    diverged = np.empty(_LANES, np.int64)
    last_out = np.empty((n_min, _LANES), np.int64)  # last step outside tol of minimum k
    batched = batches.shape[0] > 0
    all_data = np.empty(data.shape[0], batches.dtype)  # the examples 0…N − 1
    for e in range(data.shape[0]):
        all_data[e] = e
    for first in range(lo, hi, _LANES):
        n = min(_LANES, hi - first)
        for j in range(n):
            x[j], y[j], vx[j], vy[j], diverged[j] = x0[first + j], y0[first + j], 0.0, 0.0, -1
        for t in range(steps + 1):
            if t > 0:
                for j in range(n):
                    # γ v, also the Nesterov look-ahead offset (as in reference_run)
                    ax[j] = x[j] - mom[first + j] * vx[j] if nesterov else x[j]
                    ay[j] = y[j] - mom[first + j] * vy[j] if nesterov else y[j]
                if batched or kind == _LOGISTIC_KIND:  # a mean over examples
                    examples = batches[t - 1] if batched else all_data
                    _data_gradients(kind, data, examples, ax, ay, gx, gy, n)
                else:
                    _gradients(kind, coef, ax, ay, gx, gy, n)
                if noise.shape[0]:
                    for j in range(n):
                        gx[j], gy[j] = gx[j] + noise[t - 1, 0], gy[j] + noise[t - 1, 1]
                for j in range(n):
                    i = first + j
                    new_vx = mom[i] * vx[j] + lr[i] * gx[j]
                    new_vy = mom[i] * vy[j] + lr[i] * gy[j]
                    new_x, new_y = x[j] - new_vx, y[j] - new_vy
                    inside = (abs(new_x - cx) <= hx) & (abs(new_y - cy) <= hy)  # False: NaN
                    moves = inside & (diverged[j] < 0)
                    diverged[j] = t if (diverged[j] < 0) & ~inside else diverged[j]
                    x[j], y[j] = (new_x, new_y) if moves else (x[j], y[j])
                    vx[j], vy[j] = (new_vx, new_vy) if moves else (0.0, 0.0)
            for k in range(n_min):
                for j in range(n):
                    dx, dy = x[j] - minima[k, 0], y[j] - minima[k, 1]
                    outside = not dx * dx + dy * dy <= tol2
                    last_out[k, j] = t if outside else (last_out[k, j] if t > 0 else -1)
            if path or t == 0 or t == steps:
                row = t if path else min(t, 1)
                for j in range(n):
                    i = first + j
                    px[row, i], py[row, i], pvx[row, i], pvy[row, i] = x[j], y[j], vx[j], vy[j]
        for j in range(n):
            converged_at, minimum = -1, -1
            for k in range(n_min - 1, -1, -1):  # reversed: the first listed minimum wins
                if diverged[j] < 0 and last_out[k, j] < steps:
                    converged_at, minimum = last_out[k, j] + 1, k
            i = first + j
            outcome[0, i], outcome[1, i], outcome[2, i] = converged_at, diverged[j], minimum


# --- what the optimizer calls ----------------------------------------------------------


def _kind_and_coefficients(surface: Surface) -> tuple[int, np.ndarray] | None:
    """The kernel's number for ``surface`` and its gradient's numbers; None if unknown.

    A fixed surface is known only if its gradient IS the compiled one (a surface built
    elsewhere under a built-in name is not), a bowl by its (κ, angle).
    """
    if surface.name in _FIXED and surface.grad_fn is SURFACES[surface.name].grad_fn:
        return _FIXED.index(surface.name), np.zeros(4)
    params = dict(surface.params)
    if isinstance(surface, DataSurface):
        return _data_kind(surface, params)
    if surface.name == "quadratic" and set(params) == {"kappa", "angle"}:
        return _BOWL_KIND, np.array([*bowl_matrix(params["kappa"], params["angle"]), 0.0])
    return None


def _data_kind(surface: DataSurface, params: dict) -> tuple[int, np.ndarray] | None:
    """A data surface's kernel number and full-gradient numbers; None unless it is one
    the package built (only those are known to have the gradient compiled here)."""
    if surface.name == "engel" and set(params) == {"standardize"}:
        if surface is not least_squares(params["standardize"]):
            return None
        # The same numbers, computed the same way, as the surface's own gradient closes over.
        x = surface.data[0][:, 0]
        best = surface.minima[0].point
        return _LEAST_SQUARES_KIND, np.array([np.mean(x * x), np.mean(x), *best])
    if surface.name == "iris" and not params and surface is logistic():
        return _LOGISTIC_KIND, np.zeros(4)
    return None


def _data_table(surface: Surface) -> np.ndarray:
    """The examples as rows of three columns (features, then the label; zeros pad)."""
    if not isinstance(surface, DataSurface):
        return np.zeros((0, 3))
    features, labels = surface.data
    table = np.zeros((labels.shape[0], 3))
    table[:, : features.shape[1]] = features
    table[:, features.shape[1]] = labels
    return table


def usable_for(surface: Surface) -> bool:
    """True when :func:`integrate` can run ``surface``: the kernel is on and compiled
    (compiling it now if the server's warm-up has not) and the surface is a built-in one."""
    if not _STATE.enabled or _kind_and_coefficients(surface) is None:
        return False
    if not _STATE.ready:
        warm_up()  # False below if compiling failed
    return _STATE.ready


def warm_up() -> float:
    """Compile the kernel (or load it from the cache) now; return the seconds it took.

    The server calls this before it accepts a visitor. If compiling fails, the kernel
    is turned off (logged) and simulate keeps the NumPy path: a slower app, not a broken one.
    """
    with _STATE.lock:
        if _STATE.ready or not _STATE.enabled:
            return _STATE.compile_seconds
        started = time.perf_counter()
        try:
            kernel = _compile_kernel()
            _call_once(kernel)
        except Exception:  # any compiler failure: keep serving, on NumPy
            _LOGGER.exception("momentum-viz: the compiled kernel is off (NumPy path kept)")
            _STATE.enabled = False
            return 0.0
        _STATE.kernel = kernel
        _STATE.compile_seconds = time.perf_counter() - started
        _STATE.ready = True
        return _STATE.compile_seconds


def _call_once(kernel: Callable[..., None]) -> None:
    """One tiny call with the argument types of every real call: Numba compiles (or loads)
    the kernel's only specialization."""
    one = np.zeros(1)
    rows = np.zeros((2, 1))
    kernel(
        0, np.zeros(4), one, one, one, one, False, 1, np.zeros((0, 2)), np.ones(4),
        np.zeros((1, 2)), 1.0, False, 0, 1, rows, rows.copy(), rows.copy(), rows.copy(),
        np.zeros((3, 1), dtype=np.int64), np.zeros((0, 3)), np.zeros((0, 1), dtype=np.int32),
    )  # fmt: skip


def integrate(
    surface: Surface,
    nesterov: bool,
    start: tuple[np.ndarray, np.ndarray],
    lr: np.ndarray,
    momentum: np.ndarray,
    steps: int,
    noise_seq: np.ndarray | None,
    box: tuple[float, float, float, float],
    tol: float,
    path: bool,
    workers: int | None = None,
    *,
    batch_seq: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...] | None]:
    """Every run by the compiled kernel; the same results as the NumPy runner's blocks.

    Args:
        surface: a surface :func:`usable_for` accepts.
        nesterov: the gradient at the look-ahead point θ − γv.
        start: (x0, y0), each of shape (N,); ``lr`` and ``momentum`` shape (N,).
        steps, tol: as for simulate; ``noise_seq``: σ·ε per step, shape (steps, 2), or None.
        box: (centre x, centre y, half-width x, half-width y) of the divergence box.
        path: keep every step (else the start and the final state).
        workers: threads for batches of more than one block (default: one per CPU).
        batch_seq: on a data surface, the examples of each step's mini-batch, shape
            (steps, b); None for the full data.

    Returns:
        (final x, y, vx, vy as shape (4, N); converged_at, diverged_at, minimum as an
        int array of shape (3, N); with ``path`` the (T, N) arrays of x, y, vx, vy).
    """
    kind, coef = _kind_and_coefficients(surface)
    # Writable, contiguous float arrays, as in _call_once: Numba compiles one more
    # specialization for any other layout (a read-only view of simulate's checked input
    # would cost a second compilation at the first visitor's move, after the warm-up).
    x0, y0, lr, momentum = (np.require(a, float, ["C", "W"]) for a in (*start, lr, momentum))
    n_runs = x0.shape[0]
    buffers = tuple(np.empty((steps + 1 if path else 2, n_runs)) for _ in range(4))
    outcome = np.empty((3, n_runs), dtype=np.int64)
    noise = np.zeros((0, 2)) if noise_seq is None else np.require(noise_seq, float, ["C", "W"])
    minima = np.array([m.point for m in surface.minima], dtype=float).reshape(-1, 2)
    fixed = (kind, coef, x0, y0, lr, momentum, nesterov, steps, noise, np.array(box), minima,
             float(tol), path)  # fmt: skip
    batches = np.zeros((0, 1), np.int32) if batch_seq is None else batch_seq
    data_args = (_data_table(surface), np.require(batches, np.int32, ["C", "W"]))

    def work(lo: int, hi: int) -> None:
        _STATE.kernel(*fixed, lo, hi, *buffers, outcome, *data_args)

    blocks = [(lo, min(lo + _BLOCK, n_runs)) for lo in range(0, n_runs, _BLOCK)]
    n_workers = min(len(blocks), workers or os.cpu_count() or 1)
    if n_workers <= 1:
        for lo, hi in blocks:
            work(lo, hi)
    else:  # the kernel releases the GIL: threads over blocks use every core
        with ThreadPoolExecutor(n_workers) as pool:
            list(pool.map(lambda b: work(*b), blocks))
    final = np.stack([buf[-1] for buf in buffers])
    return final, outcome, buffers if path else None
