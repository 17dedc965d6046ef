r"""The optimizer core: plain SGD, momentum and Nesterov on a 2-D loss surface.

One update rule covers all three methods. With learning rate :math:`\alpha > 0`,
momentum :math:`0 \le \gamma < 1` and the velocity starting at :math:`v_0 = 0`:

.. math::

    v_{t+1} = \gamma\, v_t + \alpha\, g_t, \qquad \theta_{t+1} = \theta_t - v_{t+1},

where :math:`g_t = \nabla J(\theta_t)` for ``"momentum"`` (heavy ball),
:math:`g_t = \nabla J(\theta_t - \gamma v_t)` for ``"nesterov"`` (gradient at the
look-ahead point) and ``"sgd"`` is the same rule with :math:`\gamma = 0`. With gradient
noise :math:`\sigma > 0` the gradient is :math:`g_t + \sigma \varepsilon_t`,
:math:`\varepsilon_t \sim \mathcal N(0, I)`. On a data surface with ``batch_size=b``, ∇J is
the mean gradient over step t's mini-batch of b examples (:mod:`.minibatch`), and σε is
added to it.

.. note::

   **Conventions.** ``v`` is a *velocity* in parameter units (it already contains α).
   This is Keras ``SGD(momentum=γ)`` with ``v`` of opposite sign (Keras adds its
   velocity), and PyTorch ``SGD(momentum=γ, dampening=0)`` with ``v = α·buf`` while α
   stays constant (PyTorch's buffer holds un-scaled gradients). Frameworks implement
   Nesterov by storing the look-ahead point :math:`\theta - \gamma v` as the
   parameters; we store :math:`\theta` itself, so a framework's plotted Nesterov path is
   offset from ours by :math:`\gamma v`.

Two implementations live here: :func:`reference_run`, a short per-run loop written
for reading, and :func:`simulate`, the runner every view uses. On the built-in surfaces
:func:`simulate` runs the compiled kernel of :mod:`.kernel`; its NumPy fallback (custom
formulas, or no Numba) has two integrators, as PyTorch's optimizers keep a
single-tensor loop beside the fused "foreach" one: a batched one for N runs (contiguous
x/y arrays, in-place ufuncs, cache-sized blocks on a thread pool) and, for a single
unbatched run, a scalar loop on Python floats (:func:`_single_run`; see the note above
it). The tests check that all of them agree.

>>> run = simulate("rosenbrock", "momentum", (-1.5, 2.0), lr=1e-3, momentum=0.95,
...                steps=1000)
>>> run.positions.shape, run.losses.shape
((1001, 2), (1001,))
>>> bool(run.converged_at > 0), run.minimum
(True, 0)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from surfaces import Surface

from . import kernel
from .minibatch import BatchMode, batch_indices, check_batching
from .ranges import DEFAULT_TOL
from .validation import (
    METHODS,
    Method,
    Shape,
    check_lr,
    check_method,
    check_momentum,
    check_points,
    check_real,
    check_seed,
    check_steps,
    check_surface,
    readonly,
    reject,
)

__all__ = ["DIVERGENCE_BOX", "METHODS", "Method", "Run", "reference_run", "simulate"]

# A run has diverged once it leaves a box this many times the size of the plotted
# bounds (around the same centre) or stops being finite.
DIVERGENCE_BOX = 1000.0

Record = Literal["path", "summary"]

# Work is split into blocks of runs small enough that a block's working arrays stay in
# the CPU cache, and steps are taken in chunks so the divergence and convergence checks
# run on whole (chunk, block) arrays at once instead of once per step.
_BLOCK = 8192
_CHUNK = 8


@dataclass(frozen=True, slots=True)
class Run:
    """The result of :func:`simulate` (arrays are read-only).

    Attributes:
        method: "sgd", "momentum" or "nesterov".
        positions: θ at each recorded step, shape (T, 2) or (T, N, 2).
        velocities: v at each recorded step (zero at step 0), same shape.
        losses: J(θ) at each recorded step, shape (T,) or (T, N).
        converged_at: the step from which the run *settles*: the first step t such that
            θ_s stays within ``tol`` of ``minimum`` for every s ≥ t up to the last step
            (not the first visit: a run that passes through the tol-ball and leaves it
            again is not converged then). −1 when the run ends at no listed minimum
            (``minimum == -1``, which includes every diverged run). An int, or an int
            array of shape (N,).
        diverged_at: first step that left the divergence box or was not finite, −1
            for never; the run stays frozen at its last point inside the box from then on.
        minimum: index into ``surface.minima`` of the minimum the run ends within
            ``tol`` of, −1 for none.
        steps: number of steps taken (T = steps + 1 with record="path", 2 with "summary").
    """

    method: str
    positions: np.ndarray
    velocities: np.ndarray
    losses: np.ndarray
    converged_at: int | np.ndarray
    diverged_at: int | np.ndarray
    minimum: int | np.ndarray
    steps: int


# --- validation ------------------------------------------------------------------------


def _batch_shape(start: np.ndarray, lr: np.ndarray, momentum: np.ndarray) -> tuple[int, ...]:
    shapes = {"start": start.shape[:-1], "lr": lr.shape, "momentum": momentum.shape}
    for name, shape in shapes.items():
        if len(shape) > 1:
            raise reject(name, "a scalar or an array with one batch axis (N,)", Shape(shape))
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        described = ", ".join(f"{k} {v}" for k, v in shapes.items())
        raise ValueError(f"batch shapes do not broadcast: {described}") from None


class _Args(NamedTuple):
    """The arguments of :func:`simulate`, checked, with the batch flattened to N runs."""

    surface: Surface
    method: Method
    batch: tuple[int, ...]  # () for a single run, (N,) for a batch
    x0: np.ndarray  # shape (N,), contiguous
    y0: np.ndarray
    lr: np.ndarray  # shape (N,), a read-only view: each block copies its own
    momentum: np.ndarray
    steps: int
    noise_seq: np.ndarray | None
    batch_seq: np.ndarray | None  # the examples of each step's mini-batch, (steps, b)
    tol: float
    path: bool


def _checked_args(
    surface, method, start, lr, momentum, steps, noise, seed, tol, record, batching=(None, None)
) -> _Args:
    """Check every argument of :func:`simulate` (ValueError naming the first bad one);
    ``batching`` is (batch_size, batches)."""
    surface = check_surface(surface)
    method = check_method(method)
    start_arr = check_points("start", start)
    lr_arr = check_lr(lr)
    mom_arr = check_momentum(momentum)  # SGD ignores γ but still rejects nonsense
    if method == "sgd":
        mom_arr = np.zeros(())
    steps = check_steps(steps)
    noise = check_real("noise", noise, low=0.0)
    seed = check_seed(seed)
    tol = check_real("tol", tol, low=0.0, strict=True)
    if record not in ("path", "summary"):
        raise reject("record", "'path' or 'summary'", record)
    batch_size, batches = batching
    batches = "independent" if batches is None else batches
    size = check_batching(surface, batch_size, batches)
    batch = _batch_shape(start_arr, lr_arr, mom_arr)
    n_runs = batch[0] if batch else 1

    def per_run(values: np.ndarray) -> np.ndarray:
        return np.broadcast_to(values, batch).reshape(n_runs)

    return _Args(
        surface=surface,
        method=method,
        batch=batch,
        x0=np.ascontiguousarray(per_run(start_arr[..., 0])),
        y0=np.ascontiguousarray(per_run(start_arr[..., 1])),
        lr=per_run(lr_arr),
        momentum=per_run(mom_arr),
        steps=steps,
        noise_seq=_noise_sequence(noise, seed, steps),
        batch_seq=None if size is None else _batch_sequence(surface, size, steps, seed, batches),
        tol=tol,
        path=record == "path",
    )


def _noise_sequence(noise: float, seed: int, steps: int) -> np.ndarray | None:
    """σ·ε for every step, shared by every run and every method with this seed.

    Drawing the sequence once per (seed, steps) gives common random numbers: SGD,
    momentum and Nesterov, and every run of a batch, see the same noise, so differences
    come from the method and its settings, not from luck.
    """
    if noise == 0:
        return None
    return noise * np.random.default_rng(seed).standard_normal((steps, 2))


def _batch_sequence(
    surface: Surface, size: int, steps: int, seed: int, batches: BatchMode
) -> np.ndarray:
    """The examples of each step's mini-batch, shared like the noise (common random numbers)."""
    table = batch_indices(surface.n_examples, size, steps=steps, seed=seed, batches=batches)
    return readonly(table)


# --- the readable reference loop -------------------------------------------------------


def _divergence_box(surface: Surface) -> tuple[float, float, float, float]:
    """(centre x, centre y, half-width x, half-width y) of the divergence box."""
    (xmin, xmax), (ymin, ymax) = surface.bounds
    return (
        0.5 * (xmin + xmax),
        0.5 * (ymin + ymax),
        0.5 * DIVERGENCE_BOX * (xmax - xmin),
        0.5 * DIVERGENCE_BOX * (ymax - ymin),
    )


def _within(dx, dy, tol: float):
    """‖(dx, dy)‖ ≤ tol, computed as dx² + dy² ≤ tol² — the one test both runners use.

    Written once so :func:`reference_run` (floats) and :func:`simulate` (arrays, the same
    IEEE operations in the same order) can never disagree at the tol boundary.
    """
    return dx * dx + dy * dy <= tol * tol


def _listed_minimum_at(surface: Surface, point: np.ndarray, tol: float) -> int:
    """Index of the first listed minimum within ``tol`` of ``point``, −1 for none."""
    for index, minimum in enumerate(surface.minima):
        mx, my = minimum.point
        if _within(float(point[0]) - mx, float(point[1]) - my, tol):
            return index
    return -1


def _settled_step(surface: Surface, positions: np.ndarray, index: int, tol: float) -> int:
    """The first step t with every θ_s, s ≥ t, within ``tol`` of minimum ``index``; −1 if
    ``index`` is −1. Read backwards from the end: the settled streak is the tail."""
    if index < 0:
        return -1
    mx, my = surface.minima[index].point
    t = len(positions)
    while t > 0 and _within(float(positions[t - 1][0]) - mx, float(positions[t - 1][1]) - my, tol):
        t -= 1
    return t  # == len(positions) cannot happen: the last point is within tol


def reference_run(
    surface: Surface | str,
    method: Method,
    start: tuple[float, float],
    *,
    lr: float,
    momentum: float = 0.0,
    steps: int = 200,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
    batch_size: int | None = None,
    batches: BatchMode = "independent",
) -> Run:
    """One run, step by step, written to be read; the tests compare :func:`simulate` to it.

    Same arguments, conventions and result as :func:`simulate` with a single start point
    and record="path".
    """
    surface = check_surface(surface)
    gamma = 0.0 if method == "sgd" else float(momentum)
    noise_seq = _noise_sequence(noise, seed, steps)
    size = check_batching(surface, batch_size, batches)
    batch_seq = None if size is None else _batch_sequence(surface, size, steps, seed, batches)
    cx, cy, hx, hy = _divergence_box(surface)

    theta = np.array(start, dtype=float)
    v = np.zeros(2)
    positions, velocities = [theta.copy()], [v.copy()]
    diverged_at = -1
    for t in range(1, steps + 1):
        if diverged_at < 0:
            # A diverging run overflows on purpose; it is detected right below.
            with np.errstate(all="ignore"):
                at = theta - gamma * v if method == "nesterov" else theta
                if batch_seq is None:
                    g = surface.grad(at)
                else:  # the mean gradient over this step's mini-batch
                    g = surface.batch_grad(at, batch_seq[t - 1])
                if noise_seq is not None:
                    g = g + noise_seq[t - 1]
                v = gamma * v + lr * g
                new_theta = theta - v
            inside = abs(new_theta[0] - cx) <= hx and abs(new_theta[1] - cy) <= hy
            if inside:  # False for NaN too
                theta = new_theta
            else:
                diverged_at, v = t, np.zeros(2)  # frozen at the last point inside the box
        positions.append(theta.copy())
        velocities.append(v.copy())
    positions_arr = np.array(positions)
    # Converged = settled: the run ends within tol of a minimum and stays there from
    # converged_at on; a diverged run ends at no minimum.
    final = -1 if diverged_at >= 0 else _listed_minimum_at(surface, theta, tol)
    converged_at = _settled_step(surface, positions_arr, final, tol)
    return Run(
        method=method,
        positions=positions_arr,
        velocities=np.array(velocities),
        losses=surface.value(positions_arr),
        converged_at=converged_at,
        diverged_at=diverged_at,
        minimum=final,
        steps=steps,
    )


# --- the batched runner ----------------------------------------------------------------


def _integrate_block(
    surface: Surface,
    nesterov: bool,
    x0: np.ndarray,
    y0: np.ndarray,
    lr: np.ndarray,
    mom: np.ndarray,
    steps: int,
    noise_seq: np.ndarray | None,
    batch_seq: np.ndarray | None,
    tol: float,
    px: np.ndarray,
    py: np.ndarray,
    vx_buf: np.ndarray,
    vy_buf: np.ndarray,
    path: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate one block of B runs in place; return (converged_at, diverged_at, minimum).

    With ``path`` the position/velocity buffers hold every step (T rows); otherwise
    they hold one chunk (``_CHUNK + 1`` rows) and row 0 carries the state between chunks.
    ``lr`` and ``mom`` are this block's own copies: a diverged run is frozen by setting
    both to 0 at its last point inside the box, where its gradient is finite, so it
    stops moving without leaving the vectorized loop.
    """
    with np.errstate(all="ignore"):  # overflow in diverging runs is detected, not warned
        return _integrate_block_unchecked(
            surface, nesterov, x0, y0, lr, mom, steps, noise_seq, batch_seq, tol,
            px, py, vx_buf, vy_buf, path,
        )  # fmt: skip


class _Block(NamedTuple):
    """The in-place state of one block of B runs (buffers of T or ``_CHUNK + 1`` rows)."""

    px: np.ndarray  # x at each row, shape (rows, B)
    py: np.ndarray
    vx: np.ndarray  # velocity at each row
    vy: np.ndarray
    lr: np.ndarray  # shape (B,); set to 0 with mom to freeze a diverged run
    mom: np.ndarray
    last_out: np.ndarray  # shape (n_minima, B): last step outside tol of each minimum, −1
    diverged_at: np.ndarray  # shape (B,), −1 until known


def _freeze_diverged(
    block: _Block, box: tuple[float, float, float, float], base: int, rows: int, first: int
) -> None:
    """Mark runs that left the box in rows base… (steps first…) and freeze them there."""
    cx, cy, hx, hy = box
    xs, ys = block.px[base : base + rows], block.py[base : base + rows]
    # Fast path: min/max reductions propagate NaN, so one comparison per bound
    # tells whether every point of the chunk is finite and inside the box.
    if xs.min() >= cx - hx and xs.max() <= cx + hx and ys.min() >= cy - hy and ys.max() <= cy + hy:
        return
    inside = (np.abs(xs - cx) <= hx) & (np.abs(ys - cy) <= hy)
    # A frozen run stays put only where its gradient is finite: where it is NaN (a custom
    # surface's sqrt(x) at x < 0) the product 0·NaN moves it to NaN. Put it back.
    again = ~inside.all(axis=0) & (block.diverged_at >= 0)
    for col in np.flatnonzero(again):
        block.px[base : base + rows, col] = block.px[base - 1, col]
        block.py[base : base + rows, col] = block.py[base - 1, col]
        block.vx[base : base + rows, col] = 0.0
        block.vy[base : base + rows, col] = 0.0
    newly = ~inside.all(axis=0) & (block.diverged_at < 0)
    for col in np.flatnonzero(newly):
        row = int(np.argmin(inside[:, col]))  # first row outside
        block.diverged_at[col] = first + row
        last = base + row - 1  # last row inside the box
        block.px[base + row : base + rows, col] = block.px[last, col]
        block.py[base + row : base + rows, col] = block.py[last, col]
        block.vx[base + row : base + rows, col] = 0.0
        block.vy[base + row : base + rows, col] = 0.0
        block.lr[col] = 0.0
        block.mom[col] = 0.0


def _track_settling(
    block: _Block, minima: list[tuple[float, float]], tol: float, base: int, rows: int, first: int
) -> None:
    """Update ``last_out[k]``, the last step so far *outside* tol of minimum k, per run.

    Rows base… hold steps first…. Where a run is outside at the chunk's last row, that
    row is its latest outside step; only runs inside at the last row (few, except near
    the end of converging sweeps) need the earlier rows of the chunk looked at. So the
    common case costs one distance per run and minimum per chunk, not one per step.
    """
    last = base + rows - 1
    x_last, y_last = block.px[last], block.py[last]
    for k, (mx, my) in enumerate(minima):
        out_k = block.last_out[k]
        inside = _within(x_last - mx, y_last - my, tol)
        np.copyto(out_k, first + rows - 1, where=~inside)
        if rows == 1 or not inside.any():
            continue
        cols = np.flatnonzero(inside)
        far = ~_within(block.px[base:last, cols] - mx, block.py[base:last, cols] - my, tol)
        left = far.any(axis=0)
        if left.any():
            # the last far row of each column: rows − 2 − (index of the first in reverse)
            row = (rows - 2) - np.argmax(far[::-1, left], axis=0)
            out_k[cols[left]] = first + row


def _settled(
    last_out: np.ndarray, diverged_at: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(converged_at, minimum) per run from ``last_out`` (shape (n_minima, B)).

    The run ends at the first listed minimum k it is within tol of at the last step
    (``last_out[k] < steps``) and has settled there from ``last_out[k] + 1`` on;
    diverged runs and runs ending at no minimum get −1 for both.
    """
    n_runs = diverged_at.shape[0]
    minimum = np.full(n_runs, -1, dtype=np.int64)
    converged_at = np.full(n_runs, -1, dtype=np.int64)
    for k in reversed(range(last_out.shape[0])):  # reversed: the first listed wins
        ends_here = (last_out[k] < steps) & (diverged_at < 0)
        minimum[ends_here] = k
        converged_at[ends_here] = last_out[k, ends_here] + 1
    return converged_at, minimum


def _integrate_block_unchecked(
    surface, nesterov, x0, y0, lr, mom, steps, noise_seq, batch_seq, tol,
    px, py, vx_buf, vy_buf, path,
):  # fmt: skip
    n_runs = x0.shape[0]
    box = _divergence_box(surface)
    minima = [m.point for m in surface.minima]
    gx, gy, tmp, ax, ay = (np.empty(n_runs) for _ in range(5))
    px[0], py[0] = x0, y0
    vx_buf[0] = 0.0
    vy_buf[0] = 0.0
    last_out = np.full((len(minima), n_runs), -1, dtype=np.int64)
    diverged_at = np.full(n_runs, -1, dtype=np.int64)
    block = _Block(px, py, vx_buf, vy_buf, lr, mom, last_out, diverged_at)

    def check(base: int, rows: int, first_step: int) -> None:
        _freeze_diverged(block, box, base, rows, first_step)
        _track_settling(block, minima, tol, base, rows, first_step)

    check(0, 1, 0)
    grad_into = surface.grad_into
    if batch_seq is not None:  # a data surface: the mean gradient over this step's batch

        def grad_into(x, y, gx, gy, tmp, batch):
            gx[...], gy[...] = surface.batch_grad_fn(x, y, batch)

    for s in range(0, steps, _CHUNK):
        rows = min(_CHUNK, steps - s)
        base = s if path else 0
        for k in range(rows):
            i = base + k
            x, y, vx, vy = px[i], py[i], vx_buf[i], vy_buf[i]
            vx_new, vy_new = vx_buf[i + 1], vy_buf[i + 1]
            # vx_new, vy_new = γ v (also the look-ahead offset for Nesterov).
            np.multiply(vx, mom, out=vx_new)
            np.multiply(vy, mom, out=vy_new)
            if nesterov:
                np.subtract(x, vx_new, out=ax)
                np.subtract(y, vy_new, out=ay)
                at_x, at_y = ax, ay
            else:
                at_x, at_y = x, y
            if batch_seq is None:
                grad_into(at_x, at_y, gx, gy, tmp)
            else:
                grad_into(at_x, at_y, gx, gy, tmp, batch_seq[s + k])
            if noise_seq is not None:
                np.add(gx, noise_seq[s + k, 0], out=gx)
                np.add(gy, noise_seq[s + k, 1], out=gy)
            # v ← γ v + α g ; θ ← θ − v
            np.multiply(gx, lr, out=gx)
            np.multiply(gy, lr, out=gy)
            np.add(vx_new, gx, out=vx_new)
            np.add(vy_new, gy, out=vy_new)
            np.subtract(x, vx_new, out=px[i + 1])
            np.subtract(y, vy_new, out=py[i + 1])
        check(base + 1, rows, s + 1)
        if not path:
            for buf in (px, py, vx_buf, vy_buf):
                buf[0] = buf[rows]
    converged_at, minimum = _settled(last_out, diverged_at, steps)
    return converged_at, diverged_at, minimum


# --- the scalar path for one run -------------------------------------------------------
#
# Note (why two integrators): the batched integrator above pays a fixed cost of about a
# dozen NumPy calls per step whatever the number of runs: nothing next to 65,536 runs,
# but 10-20 ms per 1,000 steps for the one run per method the app computes on every
# slider move, where a loop on Python floats takes 0.5-2 ms (benchmarks/bench_single.py).
# So, as PyTorch keeps a readable single-tensor loop beside its fused "foreach" one,
# simulate sends one unbatched run here. The loop calls ``surface.grad_fn``, the very
# function reference_run evaluates (on 0-d arrays there, whose arithmetic is the same
# IEEE double arithmetic), with the same operations in the same order, so its path
# equals reference_run's bit for bit; the batched path's in-place gradient kernels may
# round differently in the last bit. Settling and losses are computed afterwards over
# the whole path, vectorized, with the batched path's definitions and tie rules
# (``_within``, the first listed minimum wins, a diverged run ends at no minimum).


class _ScalarPath(NamedTuple):
    """The steps a scalar run took before it stopped (at the end or at divergence)."""

    xs: list[float]  # θ at steps 0…len − 1
    ys: list[float]
    vxs: list[float]  # v at the same steps
    vys: list[float]
    diverged_at: int  # the step that left the box (len(xs) then), −1 for never


def _scalar_path(
    surface: Surface,
    nesterov: bool,
    start: tuple[float, float],
    lr: float,
    gamma: float,
    steps: int,
    noise: tuple[Sequence[float], Sequence[float]] | None,
) -> _ScalarPath:
    """The update rule step by step on Python floats, stopping at divergence."""
    grad = surface.grad_fn
    cx, cy, hx, hy = _divergence_box(surface)
    x, y = start
    vx = vy = 0.0
    xs, ys, vxs, vys = [x], [y], [vx], [vy]
    for t in range(steps):
        # γ v, also the Nesterov look-ahead offset (reference_run: gamma * v, the same product)
        mvx, mvy = gamma * vx, gamma * vy
        ax, ay = (x - mvx, y - mvy) if nesterov else (x, y)
        try:
            gx, gy = grad(ax, ay)
        except ArithmeticError:
            # Python floats raise where NumPy returns inf or NaN (1.0 / 0.0, ** overflowing):
            # this one gradient as reference_run evaluates it, on an array (diverging, most
            # likely, which the box test below detects).
            gx, gy = surface.grad(np.array([ax, ay]))
        # float(): a grad_fn calling NumPy (multiwell's np.exp) returns NumPy scalars, whose
        # arithmetic would make the rest of the loop ~4× slower; the value is unchanged.
        gx, gy = float(gx), float(gy)
        if noise is not None:
            gx, gy = gx + noise[0][t], gy + noise[1][t]
        vx, vy = mvx + lr * gx, mvy + lr * gy
        x_new, y_new = x - vx, y - vy
        if not (abs(x_new - cx) <= hx and abs(y_new - cy) <= hy):  # False for NaN too
            return _ScalarPath(xs, ys, vxs, vys, t + 1)
        x, y = x_new, y_new
        xs.append(x)
        ys.append(y)
        vxs.append(vx)
        vys.append(vy)
    return _ScalarPath(xs, ys, vxs, vys, -1)


def _outcome_of_path(
    surface: Surface, px: np.ndarray, py: np.ndarray, diverged_at: int, tol: float
) -> tuple[int, int]:
    """(converged_at, minimum) of one finished path, as reference_run and _settled define
    them: the first listed minimum the last point is within ``tol`` of, and the step after
    the last one outside it; (−1, −1) for a diverged run or one that ends at no minimum."""
    if diverged_at >= 0:
        return -1, -1
    for index, (mx, my) in enumerate(m.point for m in surface.minima):
        if _within(px[-1] - mx, py[-1] - my, tol):  # first listed wins
            outside = np.flatnonzero(~_within(px - mx, py - my, tol))
            return (int(outside[-1]) + 1 if outside.size else 0), index
    return -1, -1


def _single_run(args: _Args) -> Run:
    """The :class:`Run` of one unbatched run, by the scalar loop."""
    steps, surface = args.steps, args.surface
    noise = None
    if args.noise_seq is not None:
        noise = (args.noise_seq[:, 0].tolist(), args.noise_seq[:, 1].tolist())
    start = (float(args.x0[0]), float(args.y0[0]))
    # np.errstate: a grad_fn calling NumPy functions (multiwell's np.exp) would warn where
    # a diverging run overflows; the divergence is detected, not warned about.
    with np.errstate(all="ignore"):
        path = _scalar_path(
            surface, args.method == "nesterov", start, float(args.lr[0]),
            float(args.momentum[0]), steps, noise,
        )  # fmt: skip
    done = len(path.xs)  # steps + 1, or the steps before divergence
    positions = np.empty((steps + 1, 2))
    velocities = np.zeros((steps + 1, 2))  # a diverged run has v = 0 from then on
    positions[:done, 0], positions[:done, 1] = path.xs, path.ys
    velocities[:done, 0], velocities[:done, 1] = path.vxs, path.vys
    positions[done:] = positions[done - 1]  # frozen at the last point inside the box
    converged_at, minimum = _outcome_of_path(
        surface, positions[:, 0], positions[:, 1], path.diverged_at, args.tol
    )
    if not args.path:  # record="summary": the start and the final state
        positions, velocities = positions[[0, -1]], velocities[[0, -1]]
    return Run(
        method=args.method,
        positions=readonly(positions),
        velocities=readonly(velocities),
        losses=readonly(surface.value(positions)),
        converged_at=converged_at,
        diverged_at=path.diverged_at,
        minimum=minimum,
        steps=steps,
    )


def simulate(
    surface: Surface | str,
    method: Method,
    start: np.typing.ArrayLike,
    *,
    lr: float | np.typing.ArrayLike,
    momentum: float | np.typing.ArrayLike = 0.0,
    steps: int = 200,
    noise: float = 0.0,
    seed: int = 0,
    tol: float = DEFAULT_TOL,
    record: Record = "path",
    workers: int | None = None,
    batch_size: int | None = None,
    batches: BatchMode = "independent",
) -> Run:
    r"""Run SGD, momentum or Nesterov on ``surface``, for one start or a batch of N runs.

    .. math::

        v_{t+1} = \gamma v_t + \alpha \left(\nabla J(\theta_t - [\text{nesterov}]\,
        \gamma v_t) + \sigma \varepsilon_t\right), \qquad \theta_{t+1} = \theta_t - v_{t+1}

    (see the module docstring for how this maps onto Keras and PyTorch).

    Args:
        surface: a :class:`surfaces.Surface` or a registered surface name.
        method: "sgd" (ignores ``momentum``), "momentum" or "nesterov".
        start: the start point, shape (2,), or N start points, shape (N, 2).
        lr: the learning rate α > 0, a scalar or shape (N,).
        momentum: γ in [0, 1), a scalar or shape (N,). "momentum" with γ = 0 is exactly "sgd".
        steps: number of steps, 1…100,000.
        noise: σ ≥ 0 of the Gaussian gradient noise; 0 is deterministic.
        seed: seed of ``numpy.random.default_rng``. Every method and every run of the
            batch sees the same noise sequence for the same seed (common random numbers).
        tol: distance to a listed minimum that counts as converged.
        record: "path" keeps every step (T = steps + 1); "summary" keeps only the start
            and the final state (T = 2), for large sweeps.
        workers: threads for large batches (default: one per CPU; unused by one run).
        batch_size: on a data surface, b: each step's gradient is the mean over b of
            the N examples drawn without replacement, the same batches for every method
            and run (:mod:`.minibatch`); None (the default) or N: exactly the full-batch
            run. σ (``noise``) is added to the mini-batch gradient.
        batches: "independent" (each step's batch drawn afresh) or "epoch" (disjoint
            batches within each reshuffle).

    Returns:
        A :class:`Run`; with any batched input, arrays gain an N axis after T.

    Raises:
        ValueError: naming the parameter, the value and the allowed range, for a bad
            surface, method, start, lr, momentum, steps, noise, seed, tol or record.

    A run diverges at the first step whose point is not finite or leaves a box 1000
    times the size of ``surface.bounds``; from then on it stays frozen at its last point
    inside the box, so no NaN or inf reaches the output and no warning is emitted.

    On the built-in surfaces every run goes through the compiled kernel (:mod:`.kernel`,
    Numba), equal to :func:`reference_run` bit for bit. Elsewhere (a custom formula, or
    no Numba) one unbatched run (start of shape (2,), scalar ``lr`` and ``momentum``) is
    integrated by a scalar loop on Python floats, equal to :func:`reference_run` bit for
    bit and 20-30 times faster than the batched integrator at N = 1; any batch, even of
    one run, by the batched integrator (see the note above :func:`_single_run`).
    """
    args = _checked_args(
        surface, method, start, lr, momentum, steps, noise, seed, tol, record, (batch_size, batches)
    )
    if kernel.usable_for(args.surface):  # a built-in surface and Numba at hand
        final, outcome, path_buffers = kernel.integrate(
            args.surface, args.method == "nesterov", (args.x0, args.y0), args.lr,
            args.momentum, args.steps, args.noise_seq, _divergence_box(args.surface),
            args.tol, args.path, workers, batch_seq=args.batch_seq,
        )  # fmt: skip
        return _assemble(args, final, outcome, path_buffers)
    if not args.batch and args.batch_seq is None:
        # one start, scalar α and γ, all the data: what the app runs on every move
        return _single_run(args)
    final, outcome, path_buffers = _run_blocks(args, workers)
    return _assemble(args, final, outcome, path_buffers)


def _run_blocks(
    args: _Args, workers: int | None
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...] | None]:
    """Integrate every run, in blocks of ``_BLOCK`` runs spread over a thread pool.

    Returns the final (x, y, vx, vy), shape (4, N); the outcome (converged_at,
    diverged_at, minimum), an int array of shape (3, N); and with record="path" the
    (T, N) buffers of x, y, vx, vy at every step.
    """
    n_runs = args.x0.shape[0]
    rows = args.steps + 1 if args.path else _CHUNK + 1
    path_buffers = tuple(np.empty((rows, n_runs)) for _ in range(4)) if args.path else None
    outcome = np.empty((3, n_runs), dtype=np.int64)
    final = np.empty((4, n_runs))  # x, y, vx, vy after the last step

    def work(lo: int, hi: int) -> None:
        if path_buffers is not None:
            bufs = tuple(buf[:, lo:hi] for buf in path_buffers)
        else:
            bufs = tuple(np.empty((rows, hi - lo)) for _ in range(4))
        outcome[:, lo:hi] = _integrate_block(
            args.surface, args.method == "nesterov", args.x0[lo:hi], args.y0[lo:hi],
            args.lr[lo:hi].copy(), args.momentum[lo:hi].copy(), args.steps,
            args.noise_seq, args.batch_seq, args.tol, *bufs, args.path,
        )  # fmt: skip
        last = args.steps if args.path else 0  # summary: each chunk's last row → row 0
        for j, buf in enumerate(bufs):
            final[j, lo:hi] = buf[last]

    blocks = [(lo, min(lo + _BLOCK, n_runs)) for lo in range(0, n_runs, _BLOCK)]
    n_workers = min(len(blocks), workers or os.cpu_count() or 1)
    if n_workers <= 1:
        for lo, hi in blocks:
            work(lo, hi)
    else:
        # NumPy ufuncs release the GIL, so threads over blocks use every core.
        with ThreadPoolExecutor(n_workers) as pool:
            list(pool.map(lambda b: work(*b), blocks))
    return final, outcome, path_buffers


def _assemble(
    args: _Args,
    final: np.ndarray,
    outcome: np.ndarray,
    path_buffers: tuple[np.ndarray, ...] | None,
) -> Run:
    """The :class:`Run`: arrays stacked as (T, [N,] 2), read-only; scalars for one run."""
    if path_buffers is not None:
        px, py, vx, vy = path_buffers
        positions = np.stack([px, py], axis=-1)
        velocities = np.stack([vx, vy], axis=-1)
    else:
        n_runs = args.x0.shape[0]
        start = np.stack([args.x0, args.y0], axis=-1)
        positions = np.stack([start, np.stack([final[0], final[1]], axis=-1)])
        velocities = np.stack([np.zeros((n_runs, 2)), np.stack([final[2], final[3]], axis=-1)])
    losses = args.surface.value(positions)
    converged_at, diverged_at, minimum = outcome

    if not args.batch:
        return Run(
            method=args.method,
            positions=readonly(positions[:, 0]),
            velocities=readonly(velocities[:, 0]),
            losses=readonly(losses[:, 0]),
            converged_at=int(converged_at[0]),
            diverged_at=int(diverged_at[0]),
            minimum=int(minimum[0]),
            steps=args.steps,
        )
    return Run(
        method=args.method,
        positions=readonly(positions),
        velocities=readonly(velocities),
        losses=readonly(losses),
        converged_at=readonly(converged_at),
        diverged_at=readonly(diverged_at),
        minimum=readonly(minimum),
        steps=args.steps,
    )
